#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: a_verify
short_description: Verify that host names resolve to the expected addresses
version_added: 0.1.0
description:
  - Looks up the A and/or AAAA records of one or many host names and compares
    the addresses found with the expected ones (O(expected), or per name in O(names)).
  - With O(match=exact) (the default) a name must resolve to exactly the expected
    addresses of the looked-up families. With O(match=subset) it must resolve to one or
    more of them and to nothing else, for example a name checked against the
    addresses of several servers.
  - Fails when a name resolves elsewhere, partly elsewhere (one address wrong, or with
    O(match=exact) missing), not at all (NXDOMAIN or NODATA), or when the lookup fails
    (SERVFAIL, REFUSED, timeout after O(retries)). The message names the record,
    the expected and the found values.
  - Many names are checked in one call, concurrently (bounded thread pool); every
    name gets a result and all failing names are listed in RV(failures).
  - "Read-only. Works on the controller (C(delegate_to: localhost)) and on targets."
author:
  - mailops team (@mailops)
extends_documentation_fragment:
  - mailops.sendmail.dns
options:
  name:
    description:
      - Fully qualified host name to check, with or without trailing dot.
      - Exactly one of O(name) and O(names) is required.
    type: str
  names:
    description:
      - Many host names to check in one call.
      - "Each entry is a name, checked against O(expected), or a mapping
        C({name: <name>, expected: [<address>, ...]}) with the addresses of that name
        (O(expected) is then not needed for it); O(match) applies to every name."
      - Duplicates (also with and without trailing dot, or in another case) are checked
        once; the same name with different expected addresses is an error.
    type: list
    elements: raw
  expected:
    description:
      - The addresses the name(s) must resolve to, IPv4 and/or IPv6.
      - For each record type in O(record_types) the addresses found are compared with
        the expected addresses of that family, as O(match) says.
      - Required unless every entry of O(names) gives its own C(expected).
    type: list
    elements: str
  match:
    description:
      - How the addresses found must match the expected ones.
      - V(exact) - the addresses found are exactly the expected addresses, no fewer and
        no more (of the families in O(record_types)).
      - V(subset) - at least one address is found and every address found is expected
        (the name resolves to one or more of them and to nothing else). This is how
        M(mailops.sendmail.mx_verify) matches an MX host.
    type: str
    choices: [exact, subset]
    default: exact
  record_types:
    description:
      - Which address records to look up.
    type: list
    elements: str
    choices: [A, AAAA]
    default: [A]
notes:
  - The query goes to the nameservers directly (UDP, TCP if truncated); CNAME
    chains are followed and reported in RV(checks[].cname).
  - "The DNS modules form the action group C(mailops.sendmail.dns): set their shared options
    once with C(module_defaults: {group/mailops.sendmail.dns: {nameservers: [...]}})."
seealso:
  - module: mailops.sendmail.mx_verify
  - module: mailops.sendmail.ptr_verify
'''

EXAMPLES = r'''
- name: The mail server's name resolves to its own address
  mailops.sendmail.a_verify:
    name: mail.example.org
    expected: [198.51.100.10]
  delegate_to: localhost

- name: IPv4 and IPv6, against a given nameserver
  mailops.sendmail.a_verify:
    name: mail.example.org.
    expected: [198.51.100.10, "2001:db8::10"]
    record_types: [A, AAAA]
    nameservers: [198.51.100.53]
    timeout: 2
    retries: 1

- name: Every mail server's name resolves to its own addresses, in one call
  mailops.sendmail.a_verify:
    names:
      - {name: mail.example.org, expected: [198.51.100.10, "2001:db8::10"]}
      - {name: mx2.example.org, expected: [198.51.100.11]}
    record_types: [A, AAAA]
  delegate_to: localhost

- name: Many names in one call, each resolving to one or more of the servers' addresses and nothing else
  mailops.sendmail.a_verify:
    names: "{{ groups['mail_servers'] | map('extract', hostvars, 'fqdn_name') | list }}"
    expected: "{{ groups['mail_servers'] | map('extract', hostvars, 'fqdn_ip') | flatten | list }}"
    match: subset
  register: a_check
  ignore_errors: true

- name: Show every failing name
  ansible.builtin.debug:
    var: a_check.failures

- name: A name that must not resolve elsewhere fails with what it found
  mailops.sendmail.a_verify:
    name: www.example.org
    expected: [198.51.100.10, 198.51.100.11]
    match: subset
  register: www_check
  ignore_errors: true
'''

RETURN = r'''
msg:
  description: The failure (or a count and the first failures), or a success summary.
  returned: always
  type: str
  sample: "mail.example.org A: expected 198.51.100.10, found 198.51.100.99 (unexpected: 198.51.100.99; missing: 198.51.100.10)"
addresses:
  description: The addresses found for O(name), IPv4 first, sorted.
  returned: when O(name) is used
  type: list
  elements: str
  sample: [198.51.100.10]
failures:
  description: Every failing name with its reason.
  returned: always
  type: dict
  sample: {"old.example.org": "old.example.org A: expected 198.51.100.10, found nothing: the name does not exist (NXDOMAIN)"}
checks:
  description: One result per name, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The name checked, lower case, without trailing dot.
      type: str
      sample: mail.example.org
    failed:
      description: Whether this name failed.
      type: bool
    status:
      description:
        - V(ok), V(mismatch) (only other addresses), V(partial) (some addresses wrong, or with
          O(match=exact) missing), V(nxdomain), V(nodata), V(servfail), V(refused), V(timeout),
          V(error) or V(invalid) (bad name).
      type: str
      sample: ok
    msg:
      description: What was expected and what was found.
      type: str
      sample: "mail.example.org A: 198.51.100.10 as expected"
    expected:
      description: The expected addresses of the looked-up families this name was compared with, sorted.
      type: list
      elements: str
      sample: [198.51.100.10]
    addresses:
      description: All addresses found (of O(record_types)), IPv4 first, sorted.
      type: list
      elements: str
      sample: [198.51.100.10]
    missing:
      description: Expected addresses not found (with O(match=subset) not a failure).
      type: list
      elements: str
    unexpected:
      description: Addresses found that were not expected.
      type: list
      elements: str
    cname:
      description: The CNAME chain followed from the name, if any.
      type: list
      elements: str
      sample: []
'''

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
    run_module,
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


# The argument spec, also used by the action plugin (plugins/action/a_verify.py), which runs the check
# in the controller's own Python when the task runs there.
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


def main():
    run_module(ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE, REQUIRED_ONE_OF, run)


if __name__ == '__main__':
    main()
