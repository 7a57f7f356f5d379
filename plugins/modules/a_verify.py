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
    the addresses found with O(expected).
  - Fails when a name resolves elsewhere, partly elsewhere (one address wrong or
    missing), not at all (NXDOMAIN or NODATA), or when the lookup fails
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
      - Duplicates (also with and without trailing dot) are checked once.
    type: list
    elements: str
  expected:
    description:
      - The addresses the name(s) must resolve to, IPv4 and/or IPv6.
      - For each record type in O(record_types), the addresses found must be exactly
        the expected addresses of that family.
    type: list
    elements: str
    required: true
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

- name: Many names in one call
  mailops.sendmail.a_verify:
    names: "{{ groups['mail_servers'] | map('extract', hostvars, 'fqdn_name') | list }}"
    expected: "{{ groups['mail_servers'] | map('extract', hostvars, 'fqdn_ip') | list }}"
  register: a_check
  ignore_errors: true

- name: Show every failing name
  ansible.builtin.debug:
    var: a_check.failures
'''

RETURN = r'''
msg:
  description: The failure (or a count and the first failures), or a success summary.
  returned: always
  type: str
  sample: "mail.example.org A: expected 198.51.100.10, found 198.51.100.99"
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
        - V(ok), V(mismatch) (only other addresses), V(partial) (some addresses wrong or missing),
          V(nxdomain), V(nodata), V(servfail), V(refused), V(timeout), V(error) or V(invalid) (bad name).
      type: str
      sample: ok
    msg:
      description: What was expected and what was found.
      type: str
      sample: "mail.example.org A: 198.51.100.10 as expected"
    addresses:
      description: All addresses found (of O(record_types)), IPv4 first, sorted.
      type: list
      elements: str
      sample: [198.51.100.10]
    missing:
      description: Expected addresses not found.
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

from ansible_collections.mailops.sendmail.plugins.module_utils._dns import (
    STATUS_NXDOMAIN,
    DnsConfigError,
    addresses_of_type,
    addresses_text,
    check_dns_params,
    client_from_params,
    collect_failures,
    dedupe_names,
    dns_argument_spec,
    join_or_none,
    parse_addresses,
    run_concurrently,
    run_module,
    sort_addresses,
    summarize,
)


def _check_name(client, display, name, error, expected, record_types):
    """Verify one name; return its result dict."""
    label = '/'.join(record_types)
    wanted = sort_addresses(a for t in record_types for a in addresses_of_type(expected, t))
    result = dict(name=display, failed=True, status='error', msg='', addresses=[], missing=[], unexpected=[],
                  cname=[])
    head = '%s %s: expected %s' % (display, label, join_or_none(addresses_text(wanted)))
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
    found = sort_addresses(set(found))
    unexpected = [a for a in found if a not in wanted]
    missing = [a for a in wanted if a not in found]
    result.update(addresses=addresses_text(found), unexpected=addresses_text(unexpected),
                  missing=addresses_text(missing))
    via = ' (via CNAME %s)' % ' -> '.join(result['cname']) if result['cname'] else ''
    if not found:
        result.update(status='nodata', msg='%s, found no %s record (NODATA)%s' % (head, ' or '.join(record_types), via))
    elif not unexpected and not missing:
        result.update(status='ok', failed=False, msg='%s %s: %s as expected%s' % (
            display, label, join_or_none(result['addresses']), via))
    else:
        details = []
        if unexpected:
            details.append('unexpected: %s' % join_or_none(result['unexpected']))
        if missing:
            details.append('missing: %s' % join_or_none(result['missing']))
        status = 'mismatch' if len(unexpected) == len(found) else 'partial'
        result.update(status=status, msg='%s, found %s%s (%s)' % (
            head, join_or_none(result['addresses']), via, '; '.join(details)))
    return result


def verify_names(client, names, expected, record_types, workers):
    """Check many names concurrently; return ``(checks, failures)``."""
    entries = dedupe_names(names)

    def work(entry):
        return _check_name(client, entry[0], entry[1], entry[2], expected, record_types)

    def on_error(entry, exc):
        return dict(name=entry[0], failed=True, status='error', msg='%s: unexpected error: %s' % (entry[0], exc),
                    addresses=[], missing=[], unexpected=[], cname=[])

    checks = run_concurrently(work, entries, workers, on_error)
    return checks, collect_failures(checks, 'name')


# The argument spec, also used by the action plugin (plugins/action/a_verify.py), which runs the check
# in the controller's own Python when the task runs there.
ARGUMENT_SPEC = dict(
    name=dict(type='str'),
    names=dict(type='list', elements='str'),
    expected=dict(type='list', elements='str', required=True),
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
    try:
        expected = parse_addresses(params['expected'])
    except ValueError as exc:
        return dict(msg=str(exc)), True
    record_types = list(dict.fromkeys(params['record_types']))
    if not any(addresses_of_type(expected, t) for t in record_types):
        problem = 'expected (%s) has no address for the record types %s' % (
            join_or_none(addresses_text(expected)), ', '.join(record_types))
        return dict(msg=problem), True
    names = [params['name']] if params['name'] is not None else params['names']
    if not names:
        return dict(msg='names is empty: give at least one name'), True
    try:
        client = client_from_params(params)
    except DnsConfigError as exc:
        return dict(msg=str(exc)), True

    checks, failures = verify_names(client, names, expected, record_types, params['workers'])
    result = dict(changed=False, checks=checks, failures=failures, msg=summarize(checks, failures, 'names'))
    if params['name'] is not None:
        result['addresses'] = checks[0]['addresses']
    return result, bool(failures)


def main():
    run_module(ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE, REQUIRED_ONE_OF, run)


if __name__ == '__main__':
    main()
