# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The check of mailops.sendmail.mx_verify: whether mail domains have MX hosts that resolve to this mail server.

``ARGUMENT_SPEC``, ``MUTUALLY_EXCLUSIVE``, ``REQUIRED_ONE_OF`` and ``run(params)``
serve both ways the check runs: the module (plugins/modules/mx_verify.py, on any
host, through ``run_module()`` of _dns.py) and its action plugin, in the
controller's own Python (plugins/plugin_utils/_dns_action.py).
"""

from __future__ import annotations

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


# The options, documented in plugins/modules/mx_verify.py and the doc fragment mailops.sendmail.dns.
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
