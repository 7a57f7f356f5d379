# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The check of mailops.sendmail.ptr_verify: forward-confirmed reverse DNS of addresses (PTR, then A/AAAA back).

``ARGUMENT_SPEC``, ``MUTUALLY_EXCLUSIVE``, ``REQUIRED_ONE_OF`` and ``run(params)``
serve both ways the check runs: the module (plugins/modules/ptr_verify.py, on any
host, through ``run_module()`` of _dns.py) and its action plugin, in the
controller's own Python (plugins/plugin_utils/_dns_action.py).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from ansible_collections.mailops.sendmail.plugins.module_utils._dns import (
    STATUS_NXDOMAIN,
    DnsConfigError,
    addresses_text,
    check_dns_params,
    client_from_params,
    collect_failures,
    dns_argument_spec,
    join_or_none,
    name_text,
    normalize_name,
    reverse_name,
    run_concurrently,
    summarize,
)


_ENTRY_KEYS = ('address', 'expected_name')


def _check_address(client, text, expected_name):
    """Verify the reverse DNS of one address; return its result dict."""
    result = dict(address=text, failed=True, status='error', msg='', ptr='', ptr_names=[], forward={},
                  expected_name=expected_name, confirmed=[])
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        result.update(status='invalid', msg='%s: not an IPv4 or IPv6 address' % text)
        return result
    result['address'] = str(address)
    rev = reverse_name(address)
    result['ptr'] = name_text(rev)
    want = expected_name or 'a name'
    head = '%s PTR: expected %s resolving back to %s' % (result['ptr'], want, address)
    answer = client.query(rev, 'PTR')
    if answer.status == STATUS_NXDOMAIN:
        result.update(status='nxdomain', msg='%s, found nothing: %s' % (head, answer.describe()))
        return result
    if answer.failed_lookup:
        result.update(status=answer.status, msg='%s lookup failed: %s' % (result['ptr'], answer.detail))
        return result
    names = sorted(set(name_text(r.target) for r in answer.records))
    result['ptr_names'] = names
    if not names:
        result.update(status='nodata', msg='%s, found no PTR record (NODATA)' % head)
        return result
    rdtype = 'AAAA' if address.version == 6 else 'A'
    problems = []
    for name in names:
        forward = client.query(name, rdtype)
        found = forward.addresses()
        result['forward'][name] = addresses_text(found)
        if address in found:
            result['confirmed'].append(name)
        elif forward.status in ('ok', 'nodata'):
            problems.append('%s %s is %s' % (name, rdtype, join_or_none(result['forward'][name], 'missing')))
        else:
            problems.append('%s %s: %s' % (name, rdtype, forward.describe()))
    if expected_name and expected_name not in names:
        result.update(status='mismatch', msg='%s PTR: expected %s, found %s' % (
            result['ptr'], expected_name, join_or_none(names)))
    elif expected_name and expected_name not in result['confirmed']:
        result.update(status='unconfirmed', msg='%s, found %s, but %s' % (head, join_or_none(names), '; '.join(problems)))
    elif not result['confirmed']:
        result.update(status='unconfirmed', msg='%s, found %s, but no PTR name resolves back: %s' % (
            head, join_or_none(names), '; '.join(problems)))
    else:
        confirmed = [expected_name] if expected_name else result['confirmed']
        result.update(status='ok', failed=False, msg='%s PTR: %s, which resolves back to %s' % (
            result['ptr'], join_or_none(confirmed), address))
    return result


def _canonical(value):
    text = str(value).strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text


def _expected_name(value, what):
    try:
        return normalize_name(value)[1]
    except ValueError as exc:
        raise ValueError('%s: %s' % (what, exc))


def _entries(addresses, expected_name):
    """``[(address text, expected name or None)]``, input order, unique. ``addresses``: addresses or
    ``{address, expected_name}`` mappings. Raise ValueError for a bad entry."""
    entries = {}
    for index, entry in enumerate(addresses):
        where = 'addresses[%d]' % index
        wanted = expected_name
        if isinstance(entry, Mapping):
            unknown = sorted(str(k) for k in entry if k not in _ENTRY_KEYS)
            if unknown:
                raise ValueError('%s: unknown key %s (an entry has: address, expected_name)' % (
                    where, ', '.join(unknown)))
            value = entry.get('address')
            if not isinstance(value, str):
                raise ValueError('%s: give the address as address: <IP address>, got %r' % (where, value))
            if entry.get('expected_name'):
                wanted = _expected_name(entry['expected_name'], '%s (%s) expected_name' % (where, value.strip()))
        elif isinstance(entry, str):
            value = entry
        else:
            raise ValueError('%s: an address or a mapping {address, expected_name}, got %r' % (where, entry))
        text = _canonical(value)
        if text in entries:
            if entries[text] != wanted:
                raise ValueError('addresses: %s is given twice with different expected names (%s; %s)' % (
                    text, entries[text] or 'any', wanted or 'any'))
            continue
        entries[text] = wanted
    return list(entries.items())


def verify_addresses(client, addresses, expected_name=None, workers=16):
    """Check many addresses concurrently; return ``(checks, failures)``. ``expected_name``: normalized
    (see ``normalize_name()``) or None. Raises ValueError for a bad entry."""
    return _verify_entries(client, _entries(addresses, expected_name), workers)


def _verify_entries(client, entries, workers):
    def work(entry):
        return _check_address(client, entry[0], entry[1])

    def on_error(entry, exc):
        return dict(address=entry[0], failed=True, status='error', msg='%s: unexpected error: %s' % (entry[0], exc),
                    ptr='', ptr_names=[], forward={}, expected_name=entry[1], confirmed=[])

    checks = run_concurrently(work, entries, workers, on_error)
    return checks, collect_failures(checks, 'address')


# The options, documented in plugins/modules/ptr_verify.py and the doc fragment mailops.sendmail.dns.
ARGUMENT_SPEC = dict(
    address=dict(type='str'),
    addresses=dict(type='list', elements='raw'),
    expected_name=dict(type='str'),
)
ARGUMENT_SPEC.update(dns_argument_spec())
MUTUALLY_EXCLUSIVE = [('address', 'addresses')]
REQUIRED_ONE_OF = [('address', 'addresses')]


def run(params):
    """The check for validated params: ``(result, failed)``."""
    problem = check_dns_params(params)
    if problem:
        return dict(msg=problem), True
    expected_name = None
    if params['expected_name']:
        try:
            expected_name = _expected_name(params['expected_name'], 'expected_name')
        except ValueError as exc:
            return dict(msg=str(exc)), True
    addresses = [params['address']] if params['address'] is not None else params['addresses']
    if not addresses:
        return dict(msg='addresses is empty: give at least one address'), True
    try:
        entries = _entries(addresses, expected_name)
    except ValueError as exc:
        return dict(msg=str(exc)), True
    try:
        client = client_from_params(params)
    except DnsConfigError as exc:
        return dict(msg=str(exc)), True

    checks, failures = _verify_entries(client, entries, params['workers'])
    result = dict(changed=False, checks=checks, failures=failures, msg=summarize(checks, failures, 'addresses'))
    if params['address'] is not None:
        result['ptr_names'] = checks[0]['ptr_names']
    return result, bool(failures)
