# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The check of mailops.sendmail.a_verify: whether host names resolve to the expected addresses (A/AAAA).

``ARGUMENT_SPEC``, ``MUTUALLY_EXCLUSIVE``, ``REQUIRED_ONE_OF`` and ``run(params)``
serve both ways the check runs: the module (plugins/modules/a_verify.py, on any
host, through ``run_module()`` of _dns.py) and its action plugin, in the
controller's own Python (plugins/plugin_utils/_dns_action.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.mailops.sendmail.plugins.module_utils._dns import (
    MATCH_CHOICES,
    MATCH_EXACT,
    MATCH_SUBSET,
    STATUS_NXDOMAIN,
    DnsConfigError,
    addresses_of_type,
    addresses_text,
    check_dns_params,
    client_from_params,
    collect_failures,
    compare_addresses,
    dns_argument_spec,
    expectation_text,
    join_or_none,
    normalize_name,
    parse_addresses,
    run_concurrently,
    sort_addresses,
    summarize,
)

_ENTRY_KEYS = ('name', 'expected')


def _check_name(client, display, name, error, expected, record_types, match=MATCH_EXACT):
    """Verify one name; return its result dict."""
    label = '/'.join(record_types)
    wanted = sort_addresses(a for t in record_types for a in addresses_of_type(expected, t))
    result = dict(name=display, failed=True, status='error', msg='', expected=addresses_text(wanted), addresses=[],
                  missing=[], unexpected=[], cname=[])
    head = '%s %s: expected %s' % (display, label, expectation_text(wanted, match))
    if error:
        result.update(status='invalid', msg='%s: %s' % (head, error))
        return result
    found = []
    for rdtype in record_types:
        answer = client.query(name, rdtype)
        result['cname'] = result['cname'] or answer.cnames
        if answer.status == STATUS_NXDOMAIN:
            result.update(status='nxdomain', msg='%s, found nothing: %s' % (head, answer.describe()))
            return result
        if answer.failed_lookup:  # the other record type would most likely fail the same way
            result.update(status=answer.status, msg='%s %s lookup failed: %s' % (display, rdtype, answer.detail))
            return result
        found.extend(answer.addresses())
    status, found, missing, unexpected = compare_addresses(found, wanted, match)
    result.update(addresses=addresses_text(found), unexpected=addresses_text(unexpected),
                  missing=addresses_text(missing))
    via = ' (via CNAME %s)' % ' -> '.join(result['cname']) if result['cname'] else ''
    if status == 'nodata':
        result.update(status='nodata', msg='%s, found no %s record (NODATA)%s' % (head, ' or '.join(record_types), via))
    elif status == 'ok':
        among = ''
        if match == MATCH_SUBSET and len(wanted) > 1:
            among = ' (one or more of %s)' % join_or_none(result['expected'])
        result.update(status='ok', failed=False, msg='%s %s: %s as expected%s%s' % (
            display, label, join_or_none(result['addresses']), among, via))
    else:
        details = []
        if unexpected:
            details.append('unexpected: %s' % join_or_none(result['unexpected']))
        if missing and match == MATCH_EXACT:
            details.append('missing: %s' % join_or_none(result['missing']))
        result.update(status=status, msg='%s, found %s%s (%s)' % (
            head, join_or_none(result['addresses']), via, '; '.join(details)))
    return result


def _entries(names, expected, record_types):
    """Normalize the names to check: ``[(display, dns.name.Name or None, error or None, expected)]``,
    input order, unique. Raise ValueError for a bad entry (the whole call is then a parameter error)."""
    entries = []
    seen = {}
    for index, entry in enumerate(names):
        where = 'names[%d]' % index
        own = None
        if isinstance(entry, Mapping):
            unknown = sorted(str(k) for k in entry if k not in _ENTRY_KEYS)
            if unknown:
                raise ValueError('%s: unknown key %s (an entry has: name, expected)' % (where, ', '.join(unknown)))
            if not isinstance(entry.get('name'), str):
                raise ValueError('%s: give the name as name: <host name>, got %r' % (where, entry.get('name')))
            value = entry['name']
            if entry.get('expected') is not None:
                own = entry['expected']
                own = parse_addresses([own] if isinstance(own, str) else own,
                                      '%s (%s) expected' % (where, value.strip()))
                if not own:
                    raise ValueError('%s (%s): expected is empty' % (where, value.strip()))
        elif isinstance(entry, str):
            value = entry
        else:
            raise ValueError('%s: a name or a mapping {name, expected}, got %r' % (where, entry))
        try:
            name, display = normalize_name(value)
            error = None
        except ValueError as exc:
            name, display, error = None, value.strip(), str(exc)
        wanted = own if own is not None else expected
        if wanted is None:
            raise ValueError('%s (%s): no expected addresses: give expected for the name, or the expected '
                             'option for all names' % (where, display))
        if not any(addresses_of_type(wanted, t) for t in record_types):
            raise ValueError('%sexpected (%s) has no address for the record types %s' % (
                '' if own is None else '%s (%s) ' % (where, display),
                join_or_none(addresses_text(wanted)), ', '.join(record_types)))
        if display in seen:
            if set(seen[display]) != set(wanted):
                raise ValueError('names: %s is given twice with different expected addresses (%s; %s)' % (
                    display, join_or_none(addresses_text(seen[display])), join_or_none(addresses_text(wanted))))
            continue
        seen[display] = wanted
        entries.append((display, name, error, wanted))
    return entries


def verify_names(client, names, expected, record_types, workers, match=MATCH_EXACT):
    """Check many names concurrently; return ``(checks, failures)``.

    ``names``: names or ``{name, expected}`` mappings (``expected`` there as text); ``expected``:
    ipaddress objects for the names without their own (may be None when all have). Raises
    ValueError for a bad entry.
    """
    return _verify_entries(client, _entries(names, expected, record_types), record_types, workers, match)


def _verify_entries(client, entries, record_types, workers, match):
    def work(entry):
        return _check_name(client, entry[0], entry[1], entry[2], entry[3], record_types, match)

    def on_error(entry, exc):
        return dict(name=entry[0], failed=True, status='error', msg='%s: unexpected error: %s' % (entry[0], exc),
                    expected=addresses_text(entry[3]), addresses=[], missing=[], unexpected=[], cname=[])

    checks = run_concurrently(work, entries, workers, on_error)
    return checks, collect_failures(checks, 'name')


# The options, documented in plugins/modules/a_verify.py and the doc fragment mailops.sendmail.dns.
ARGUMENT_SPEC = dict(
    name=dict(type='str'),
    names=dict(type='list', elements='raw'),
    expected=dict(type='list', elements='str'),
    match=dict(type='str', choices=list(MATCH_CHOICES), default=MATCH_EXACT),
    record_types=dict(type='list', elements='str', choices=['A', 'AAAA'], default=['A']),
)
ARGUMENT_SPEC.update(dns_argument_spec())
MUTUALLY_EXCLUSIVE = [('name', 'names')]
REQUIRED_ONE_OF = [('name', 'names')]


def run(params):
    """The check for validated params: ``(result, failed)``."""
    problem = check_dns_params(params)
    if problem:
        return dict(msg=problem), True
    expected = None
    if params['expected'] is not None:
        try:
            expected = parse_addresses(params['expected'])
        except ValueError as exc:
            return dict(msg=str(exc)), True
    record_types = list(dict.fromkeys(params['record_types']))
    names = [params['name']] if params['name'] is not None else params['names']
    if not names:
        return dict(msg='names is empty: give at least one name'), True
    if params['name'] is not None and expected is None:
        return dict(msg='expected is required with name'), True
    try:
        entries = _entries(names, expected, record_types)
    except ValueError as exc:
        return dict(msg=str(exc)), True
    try:
        client = client_from_params(params)
    except DnsConfigError as exc:
        return dict(msg=str(exc)), True

    checks, failures = _verify_entries(client, entries, record_types, params['workers'], params['match'])
    result = dict(changed=False, checks=checks, failures=failures, msg=summarize(checks, failures, 'names'))
    if params['name'] is not None:
        result['addresses'] = checks[0]['addresses']
    return result, bool(failures)
