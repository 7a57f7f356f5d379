# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The check of mailops.sendmail.dnsbl_verify: a server's own addresses are not listed on DNS
blocklists (RFC 5782: the reversed address under the list's zone; an A record means listed, its
TXT record says why).

``ARGUMENT_SPEC``, ``MUTUALLY_EXCLUSIVE``, ``REQUIRED_ONE_OF`` and ``run(params)`` serve both
the module and its action plugin, as for a_verify.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.mailops.sendmail.plugins.module_utils._dns import (
    STATUS_NXDOMAIN,
    DnsConfigError,
    addresses_text,
    check_dns_params,
    client_from_params,
    collect_failures,
    dedupe_names,
    dns_argument_spec,
    join_or_none,
    parse_addresses,
    reversed_labels,
    run_concurrently,
    summarize,
)

# Answers in 127.255.255.0/24 are how some lists (Spamhaus among them) say that they refused the
# query (e.g. through a public resolver): not a listing, and no answer either.
_LIST_ERRORS = ipaddress.ip_network('127.255.255.0/24')


def _check_pair(client, zone, address):
    query = '%s.%s' % (reversed_labels(address), zone)
    result = dict(zone=zone, address=str(address), query=query, failed=True, status='error', msg='',
                  codes=[], reasons=[])
    head = '%s A: expected %s not listed on %s' % (query, address, zone)
    answer = client.query(query, 'A')
    if answer.status == STATUS_NXDOMAIN or answer.status == 'nodata':
        result.update(status='not_listed', failed=False, msg='%s: not listed on %s (%s)' % (
            address, zone, 'NXDOMAIN' if answer.status == STATUS_NXDOMAIN else 'NODATA'))
        return result
    if answer.failed_lookup:
        result.update(status='unavailable', msg='%s: %s did not answer, so whether %s is listed is not known: %s' % (
            query, zone, address, answer.detail))
        return result
    codes = addresses_text(answer.addresses())
    result['codes'] = codes
    if codes and all(ipaddress.ip_address(c) in _LIST_ERRORS for c in codes):
        result.update(status='refused', msg='%s: %s answered %s, an error code of the list (the query was '
                                            'refused, e.g. through a public resolver), not a listing' % (
                                                query, zone, join_or_none(codes)))
        return result
    txt = client.query(query, 'TXT')
    result['reasons'] = txt.texts() if not txt.failed_lookup else []
    reason = '; '.join('"%s"' % t for t in result['reasons']) if result['reasons'] else (
        'no TXT reason' if not txt.failed_lookup else 'TXT lookup failed: %s' % txt.detail)
    result.update(status='listed', msg='%s, found %s listed: %s (TXT: %s)' % (head, address, join_or_none(codes), reason))
    return result


ARGUMENT_SPEC = dict(
    addresses=dict(type='list', elements='str', required=True),
    zones=dict(type='list', elements='str', required=True),
)
ARGUMENT_SPEC.update(dns_argument_spec())
MUTUALLY_EXCLUSIVE = []
REQUIRED_ONE_OF = []


def run(params):
    """The check for validated params: ``(result, failed)``."""
    problem = check_dns_params(params)
    if problem:
        return dict(msg=problem), True
    try:
        addresses = parse_addresses(params['addresses'], 'addresses')
    except ValueError as exc:
        return dict(msg=str(exc)), True
    zones = dedupe_names(params['zones'])
    bad = ['%s (%s)' % (z[0], z[2]) for z in zones if z[2]]
    if bad:
        return dict(msg='zones: %s' % ', '.join(bad)), True
    if not addresses or not zones:
        return dict(msg='%s is empty' % ('addresses' if not addresses else 'zones')), True
    try:
        client = client_from_params(params)
    except DnsConfigError as exc:
        return dict(msg=str(exc)), True
    pairs = [(zone[0], address) for zone in zones for address in addresses]

    def on_error(pair, exc):
        return dict(zone=pair[0], address=str(pair[1]), query='%s.%s' % (reversed_labels(pair[1]), pair[0]),
                    failed=True, status='error', msg='%s on %s: unexpected error: %s' % (pair[1], pair[0], exc),
                    codes=[], reasons=[])

    checks = run_concurrently(lambda pair: _check_pair(client, pair[0], pair[1]), pairs, params['workers'], on_error)
    failures = collect_failures(checks, 'query')
    listed = [c for c in checks if c['status'] == 'listed']
    result = dict(changed=False, checks=checks, failures=failures, listed=len(listed),
                  msg=summarize(checks, failures, 'listings') if failures else
                  'none of %s listed on %s' % (join_or_none(addresses_text(addresses)),
                                               join_or_none(z[0] for z in zones)))
    return result, bool(failures)
