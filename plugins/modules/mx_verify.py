#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: mx_verify
short_description: Verify that mail domains' MX records point at this mail server
version_added: 0.1.0
description:
  - Looks up the MX records of one or many mail domains, follows every MX
    exchange to its A/AAAA records and checks that O(require=any) MX host or
    O(require=all) of them resolve to an address of this server (O(expected)).
  - An MX host matches when it resolves to one or more of the O(expected) addresses and to no
    other address, as M(mailops.sendmail.a_verify) does with O(mailops.sendmail.a_verify#module:match=subset).
    O(expected) lists all addresses of the server, and an MX host may publish only some of them,
    for example only its IPv4 address.
  - "Reports clearly, per domain: no MX (the RFC 5321 section 5.1 implicit MX on the
    domain's own A/AAAA records: reported, and a failure unless O(allow_implicit_mx=true)),
    a null MX (RFC 7505 C(0 .): the domain accepts no mail, a failure), an MX that
    points at a CNAME (RFC 2181 section 10.3) or is an IP address literal (both
    invalid: such a host never counts as a match), NXDOMAIN, SERVFAIL, REFUSED and
    timeouts (after O(retries))."
  - Many domains are checked in one call, concurrently (bounded thread pool);
    lookups of MX hosts shared by many domains are made once. Every domain gets a
    result and all failing domains are listed in RV(failures).
  - "Read-only. Works on the controller (C(delegate_to: localhost)) and on targets."
author:
  - mailops team (@mailops)
extends_documentation_fragment:
  - mailops.sendmail.dns
options:
  domain:
    description:
      - Mail domain to check, with or without trailing dot.
      - Exactly one of O(domain) and O(domains) is required.
    type: str
  domains:
    description:
      - Many mail domains to check in one call.
      - Duplicates (also with and without trailing dot) are checked once.
    type: list
    elements: str
  expected:
    description:
      - The addresses of this mail server, IPv4 and/or IPv6.
      - An MX host matches when its addresses (of O(record_types)) are one or more of these and no other.
    type: list
    elements: str
    required: true
  require:
    description:
      - V(any) - at least one MX host must resolve to expected addresses only.
      - V(all) - every MX host must resolve to expected addresses only.
    type: str
    choices: [any, all]
    default: any
  allow_implicit_mx:
    description:
      - Accept a domain without MX records when its own A/AAAA records (the implicit
        MX of RFC 5321 section 5.1) are expected addresses.
      - When false, a domain without MX always fails (the implicit MX is still reported).
    type: bool
    default: false
  record_types:
    description:
      - Address records looked up for each MX host.
      - Default is the types of the addresses in O(expected) (V(A) for IPv4, V(AAAA) for IPv6).
    type: list
    elements: str
    choices: [A, AAAA]
notes:
  - The module fails when any domain fails; RV(checks) and RV(failures) are returned
    either way, so use C(ignore_errors) or C(failed_when) to act on them.
  - "The DNS modules form the action group C(mailops.sendmail.dns): set their shared options
    once with C(module_defaults: {group/mailops.sendmail.dns: {nameservers: [...]}})."
seealso:
  - module: mailops.sendmail.a_verify
  - module: mailops.sendmail.ptr_verify
  - name: RFC 7505 (null MX)
    description: A "Null MX" No Service Resource Record for Domains That Accept No Mail.
    link: https://www.rfc-editor.org/rfc/rfc7505
'''

EXAMPLES = r'''
- name: The domain's MX points at this server
  mailops.sendmail.mx_verify:
    domain: example.org
    expected: [198.51.100.10]
  delegate_to: localhost

- name: All domains of the server in one call, every MX host must be ours
  mailops.sendmail.mx_verify:
    domains: "{{ sendmail_local_host_names }}"
    expected: ["{{ fqdn_ip }}"]
    require: all
    nameservers: [198.51.100.53]
    timeout: 2
    retries: 1
  delegate_to: localhost
  register: mx_check
  ignore_errors: true

- name: List the failing domains with their reasons
  ansible.builtin.debug:
    var: mx_check.failures

- name: A domain served through its A record only (no MX) is fine here
  mailops.sendmail.mx_verify:
    domain: host-only.example.org
    expected: [198.51.100.10, "2001:db8::10"]
    allow_implicit_mx: true
'''

RETURN = r'''
msg:
  description: The failure (or a count and the first failures), or a success summary.
  returned: always
  type: str
  sample: "example.org MX: expected an MX host resolving to 198.51.100.10, found 10 mx.other.example (198.51.100.99)"
mx:
  description: The MX records of O(domain), sorted by preference (as in RV(checks[].mx)).
  returned: when O(domain) is used
  type: list
  elements: dict
  sample:
    - {"preference": 10, "exchange": "mail.example.org", "addresses": ["198.51.100.10"], "status": "ok", "problem": ""}
failures:
  description: Every failing domain with its reason.
  returned: always
  type: dict
  sample: {"gone.example.org": "gone.example.org MX: expected an MX host resolving to 198.51.100.10, found nothing: the domain does not exist (NXDOMAIN)"}
checks:
  description: One result per domain, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    domain:
      description: The domain checked, lower case, without trailing dot.
      type: str
      sample: example.org
    failed:
      description: Whether this domain failed.
      type: bool
    status:
      description:
        - V(ok), V(mismatch) (MX hosts resolve elsewhere or not at all), V(invalid_mx)
          (an MX host is a CNAME, an IP literal or a null MX among others), V(no_mx)
          (implicit MX not allowed), V(null_mx), V(nxdomain), V(servfail), V(refused),
          V(timeout), V(error) or V(invalid) (bad domain name).
        - V(servfail), V(refused), V(timeout) and V(error) are also used when the MX lookup
          worked but no MX host could be looked up.
      type: str
      sample: ok
    msg:
      description: What was expected and what was found.
      type: str
    implicit_mx:
      description: True when the domain has no MX record (mail goes to its A/AAAA records).
      type: bool
    null_mx:
      description: True when the domain has a null MX (RFC 7505).
      type: bool
    cname:
      description: The CNAME chain followed from the domain for its MX lookup, if any.
      type: list
      elements: str
    mx:
      description:
        - MX records sorted by preference, then exchange. For an implicit MX, one entry
          with preference 0 and the domain itself as exchange.
      type: list
      elements: dict
      contains:
        preference:
          description: MX preference.
          type: int
        exchange:
          description: MX host, lower case, without trailing dot (V(.) for a null MX).
          type: str
        addresses:
          description: Addresses of the MX host (of O(record_types)), sorted.
          type: list
          elements: str
        status:
          description:
            - V(ok) (the host has addresses and all are expected, so it matches), V(mismatch) (only
              unexpected addresses), V(partial) (expected and unexpected addresses), V(nxdomain),
              V(nodata), V(servfail), V(refused), V(timeout) or V(error).
            - Invalid MX hosts, which never match - V(cname) (the exchange is an alias),
              V(ip_literal) (the exchange is an IP address) and V(null) (a null MX among others).
          type: str
        problem:
          description: Why the host does not match, empty when it does.
          type: str
'''

from ansible_collections.mailops.sendmail.plugins.module_utils._dns import (
    LOOKUP_ERRORS,
    MATCH_SUBSET,
    STATUS_NODATA,
    STATUS_NXDOMAIN,
    DnsConfigError,
    addresses_text,
    check_dns_params,
    client_from_params,
    collect_failures,
    compare_addresses,
    dedupe_names,
    dns_argument_spec,
    family_types,
    ip_literal,
    join_or_none,
    name_text,
    parse_addresses,
    run_concurrently,
    run_module,
    summarize,
)

_INVALID_HOST = frozenset(('cname', 'ip_literal', 'null'))


def _host(preference, exchange, status='error', problem=''):
    return dict(preference=preference, exchange=exchange, addresses=[], status=status, problem=problem)


def _resolve_host(client, host, name, expected, record_types, alias_ok=False):
    """Fill ``host`` (one MX entry) with the addresses of ``name`` and its verdict."""
    found = []
    missing_types = []
    cnames = []
    for rdtype in record_types:
        answer = client.query(name, rdtype)
        cnames = cnames or answer.cnames
        if answer.status == STATUS_NXDOMAIN:
            host.update(status='nxdomain', problem='does not exist (NXDOMAIN)')
            break
        if answer.failed_lookup:
            host.update(status=answer.status, problem='%s lookup failed: %s' % (rdtype, answer.detail))
            break
        if answer.status == STATUS_NODATA:
            missing_types.append(rdtype)
        found.extend(answer.addresses())
    else:
        # An MX host matches when it resolves to one or more expected addresses and to no other
        # (a_verify's match=subset): expected lists all of the server's addresses.
        status, found, _missing, unexpected = compare_addresses(found, expected, MATCH_SUBSET)
        host['addresses'] = addresses_text(found)
        if status == 'nodata':
            host.update(status='nodata', problem='has no %s record' % ' or '.join(missing_types))
        elif status == 'ok':
            host.update(status='ok')
        else:
            host.update(status=status, problem='resolves to unexpected %s' % join_or_none(addresses_text(unexpected)))
    if cnames and not alias_ok:
        problem = 'is a CNAME to %s, which an MX must not name (RFC 2181 section 10.3)' % cnames[-1]
        if host['status'] != 'ok':
            problem += '; %s' % host['problem'].replace('does not exist', 'the target does not exist')
        host.update(status='cname', problem=problem)
    return host


def _describe_host(host):
    text = '%d %s' % (host['preference'], host['exchange'])
    if host['addresses']:
        text += ' (%s)' % ', '.join(host['addresses'])
    if host['problem'] and host['status'] not in ('mismatch', 'partial'):
        text += ' ' + host['problem']
    return text


def _check_domain(client, display, name, error, expected, require, allow_implicit, record_types):
    """Verify one domain; return its result dict."""
    want = 'an MX host' if require == 'any' else 'every MX host'
    head = '%s MX: expected %s resolving to %s' % (display, want, join_or_none(addresses_text(expected)))
    result = dict(domain=display, failed=True, status='error', msg='', implicit_mx=False, null_mx=False,
                  cname=[], mx=[])
    if error:
        result.update(status='invalid', msg='%s: %s' % (head, error))
        return result
    answer = client.query(name, 'MX')
    result['cname'] = answer.cnames
    if answer.status == STATUS_NXDOMAIN:
        result.update(status='nxdomain', msg='%s, found nothing: the domain does not exist (NXDOMAIN)' % head)
        return result
    if answer.failed_lookup:
        result.update(status=answer.status, msg='%s MX lookup failed: %s' % (display, answer.detail))
        return result

    if answer.status == STATUS_NODATA:
        # RFC 5321 section 5.1: no MX, the domain itself is the (implicit) MX host.
        result['implicit_mx'] = True
        host = _resolve_host(client, _host(0, display), name, expected, record_types, alias_ok=True)
        result['mx'] = [host]
        if host['status'] in ('nxdomain', 'nodata'):
            result.update(status='no_mx', msg='%s, found no MX record and no %s record: '
                                              'the domain accepts no mail' % (head, '/'.join(record_types)))
            return result
        implicit = 'no MX record; mail goes to the implicit MX (RFC 5321 section 5.1), the domain\'s own %s' % (
            join_or_none(host['addresses']) if host['addresses'] else 'address')
        if not allow_implicit:
            result.update(status='no_mx', msg='%s, found %s%s; set allow_implicit_mx to accept an implicit MX' % (
                head, implicit, ' ' + host['problem'] if host['problem'] else ''))
        elif host['status'] == 'ok':
            result.update(status='ok', failed=False, msg='%s MX: %s, as expected' % (display, implicit))
        else:
            result.update(status='mismatch', msg='%s, found %s %s' % (head, implicit, host['problem']))
        return result

    hosts = []
    records = sorted(answer.records, key=lambda r: (r.preference, name_text(r.exchange)))
    null_records = [r for r in records if name_text(r.exchange) == '.']
    if null_records and len(null_records) == len(records):
        result.update(null_mx=True, status='null_mx',
                      mx=[_host(r.preference, '.', 'null', 'is a null MX (RFC 7505)') for r in records],
                      msg='%s, found a null MX (RFC 7505, "0 ."): the domain accepts no mail' % head)
        return result
    for record in records:
        exchange = name_text(record.exchange)
        host = _host(record.preference, exchange)
        if exchange == '.':
            host.update(status='null',
                        problem='is a null MX mixed with other MX records (RFC 7505 section 3)')
        elif ip_literal(exchange) is not None:
            host.update(status='ip_literal',
                        problem='is an IP address literal, not a host name (an MX must name a host)')
        else:
            _resolve_host(client, host, record.exchange, expected, record_types)
        hosts.append(host)
    result['mx'] = hosts

    matched = [h for h in hosts if h['status'] == 'ok']
    ok = bool(matched) if require == 'any' else len(matched) == len(hosts)
    found = '; '.join(_describe_host(h) for h in hosts)
    via = ' (via CNAME %s)' % ' -> '.join(result['cname']) if result['cname'] else ''
    if ok:
        others = [h for h in hosts if h['status'] != 'ok']
        note = ''
        if others:
            note = '; other MX: %s' % '; '.join(_describe_host(h) for h in others)
        result.update(status='ok', failed=False, msg='%s MX%s: %s as expected%s' % (
            display, via, '; '.join(_describe_host(h) for h in matched), note))
        return result
    unmatched = [h['status'] for h in hosts if h['status'] != 'ok']
    if any(status in _INVALID_HOST for status in unmatched):
        status = 'invalid_mx'
    elif all(status in LOOKUP_ERRORS for status in unmatched):
        status = unmatched[0]  # the MX hosts could not be looked up: servfail, timeout, ...
    else:
        status = 'mismatch'
    result.update(status=status, msg='%s, found%s %s' % (head, via, found))
    return result


def verify_domains(client, domains, expected, require='any', allow_implicit_mx=False, record_types=None,
                   workers=16):
    """Check many domains concurrently; return ``(checks, failures)``."""
    record_types = list(record_types or family_types(expected))
    entries = dedupe_names(domains)

    def work(entry):
        return _check_domain(client, entry[0], entry[1], entry[2], expected, require, allow_implicit_mx,
                             record_types)

    def on_error(entry, exc):
        return dict(domain=entry[0], failed=True, status='error', implicit_mx=False, null_mx=False, cname=[],
                    mx=[], msg='%s MX: unexpected error: %s' % (entry[0], exc))

    checks = run_concurrently(work, entries, workers, on_error)
    return checks, collect_failures(checks, 'domain')


# The argument spec, also used by the action plugin (plugins/action/mx_verify.py), which runs the check
# in the controller's own Python when the task runs there.
ARGUMENT_SPEC = dict(
    domain=dict(type='str'),
    domains=dict(type='list', elements='str'),
    expected=dict(type='list', elements='str', required=True),
    require=dict(type='str', choices=['any', 'all'], default='any'),
    allow_implicit_mx=dict(type='bool', default=False),
    record_types=dict(type='list', elements='str', choices=['A', 'AAAA']),
)
ARGUMENT_SPEC.update(dns_argument_spec())
MUTUALLY_EXCLUSIVE = [('domain', 'domains')]
REQUIRED_ONE_OF = [('domain', 'domains')]


def run(params):
    """The check for validated params: ``(result, failed)``."""
    problem = check_dns_params(params)
    if problem:
        return dict(msg=problem), True
    try:
        expected = parse_addresses(params['expected'])
    except ValueError as exc:
        return dict(msg=str(exc)), True
    if not expected:
        return dict(msg='expected is empty: give the addresses of this mail server'), True
    record_types = list(dict.fromkeys(params['record_types'] or family_types(expected)))
    domains = [params['domain']] if params['domain'] is not None else params['domains']
    if not domains:
        return dict(msg='domains is empty: give at least one domain'), True
    try:
        client = client_from_params(params)
    except DnsConfigError as exc:
        return dict(msg=str(exc)), True

    checks, failures = verify_domains(client, domains, expected, params['require'], params['allow_implicit_mx'],
                                      record_types, params['workers'])
    result = dict(changed=False, checks=checks, failures=failures, msg=summarize(checks, failures, 'domains'))
    if params['domain'] is not None:
        result['mx'] = checks[0]['mx']
    return result, bool(failures)


def main():
    run_module(ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE, REQUIRED_ONE_OF, run)


if __name__ == '__main__':
    main()
