# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The check of mailops.sendmail.dmarc_verify: the ``_dmarc`` TXT record of domains (RFC 7489),
present, valid, and with at least a given policy.

``ARGUMENT_SPEC``, ``MUTUALLY_EXCLUSIVE``, ``REQUIRED_ONE_OF`` and ``run(params)`` serve both
the module and its action plugin, as for a_verify.
"""

from __future__ import annotations

import re

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.mailops.sendmail.plugins.module_utils._dns import (
    DnsConfigError,
    check_dns_params,
    client_from_params,
    collect_failures,
    dedupe_names,
    dns_argument_spec,
    run_concurrently,
    summarize,
)
from ansible_collections.mailops.sendmail.plugins.module_utils._psl import HAS_PSL, public_suffix_list


POLICIES = ('none', 'quarantine', 'reject')
_URI = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*:[^\s!]+(?:![0-9]+[kmgtKMGT]?)?$')
_FO = re.compile(r'^[01ds](?::[01ds])*$')


def _org_domain(domain):
    """The organizational domain (RFC 7489 section 3.2): the public suffix plus one label."""
    return public_suffix_list().privatesuffix(domain) or domain


def parse_record(text):
    """Parse a DMARC record (RFC 7489 section 6.3): ``(tags, error)``; unknown tags are ignored."""
    tags = {}
    parts = [p.strip() for p in text.split(';')]
    if parts and not parts[-1]:
        parts.pop()
    for index, part in enumerate(parts):
        name, eq, value = part.partition('=')
        name, value = name.strip().lower(), value.strip()
        if not eq or not name:
            return tags, 'tag %r is not name=value' % part
        if index == 0 and (name != 'v' or value != 'DMARC1'):
            return tags, 'the first tag must be v=DMARC1'
        if name in tags:
            return tags, 'tag %s= given twice' % name
        tags[name] = value
    if 'p' not in tags:
        return tags, 'no p= tag (the policy is required)'
    for name in ('p', 'sp'):
        if name in tags and tags[name].lower() not in POLICIES:
            return tags, '%s=%s is not one of %s' % (name, tags[name], ', '.join(POLICIES))
    if 'pct' in tags and not (tags['pct'].isdigit() and 0 <= int(tags['pct']) <= 100):
        return tags, 'pct=%s is not a number from 0 to 100' % tags['pct']
    for name in ('adkim', 'aspf'):
        if name in tags and tags[name].lower() not in ('r', 's'):
            return tags, '%s=%s is not r or s' % (name, tags[name])
    if 'ri' in tags and not tags['ri'].isdigit():
        return tags, 'ri=%s is not a number of seconds' % tags['ri']
    if 'fo' in tags and not _FO.match(tags['fo']):
        return tags, 'fo=%s is not a colon-separated list of 0, 1, d, s' % tags['fo']
    for name in ('rua', 'ruf'):
        for uri in _uris(tags.get(name, '')):
            if not _URI.match(uri):
                return tags, '%s= holds %r, not a URI (e.g. mailto:dmarc@example.org)' % (name, uri)
    return tags, None


def _uris(value):
    return [u.strip() for u in value.split(',') if u.strip()]


def _lookup(client, domain):
    """``(status, records, detail)`` of the DMARC TXT records at ``_dmarc.<domain>``; status is
    ok, absent or a lookup error."""
    answer = client.query('_dmarc.' + domain, 'TXT')
    if answer.failed_lookup:
        return answer.status, [], answer.detail
    texts = answer.texts()
    records = [t for t in texts if re.match(r'^v\s*=\s*DMARC1\s*(;|$)', t)]
    stray = [t for t in texts if t not in records and re.search(r'v\s*=\s*DMARC1', t, re.I)]
    if stray:
        # Receivers skip it (RFC 7489 section 6.6.3): the domain has no policy, by an error.
        return 'stray', stray, 'it does not start with v=DMARC1, so receivers ignore it'
    if not records:
        return 'absent', [], answer.describe() if not answer.records else 'no TXT record starting with v=DMARC1'
    return 'ok', records, ''


def _check_domain(client, display, error, minimum):
    name = '_dmarc.%s' % display
    result = dict(domain=display, failed=True, status='error', msg='', record='', found_at='', policy='',
                  subdomain_policy='', applied_policy='', pct=100, rua=[], ruf=[], organizational_domain='',
                  tags={})
    want = 'a DMARC record' + (' with policy %s or stronger' % minimum if minimum != 'none' else '')
    if error:
        result.update(status='invalid', msg='%s DMARC: %s' % (display, error))
        return result
    status, records, detail = _lookup(client, display)
    found_at = display
    if status == 'absent':
        if not HAS_PSL:
            result.update(msg='%s TXT: no DMARC record; the organizational domain is not known: %s' % (
                name, missing_required_lib('publicsuffixlist')))
            return result
        org = _org_domain(display)
        result['organizational_domain'] = org
        if org == display:
            result.update(status='absent', msg='%s TXT: expected %s, found none (%s)' % (name, want, detail))
            return result
        status, records, org_detail = _lookup(client, org)
        found_at = org
        if status == 'absent':
            result.update(status='absent', msg='%s TXT: expected %s, found none (%s), nor at the organizational '
                                               'domain _dmarc.%s (%s)' % (name, want, detail, org, org_detail))
            return result
    if status == 'stray':
        result.update(status='invalid', record=records[0], msg='_dmarc.%s TXT: expected a DMARC record, found "%s": %s' % (
            found_at, records[0], detail))
        return result
    if status != 'ok':
        result.update(status=status, msg='_dmarc.%s TXT lookup failed: %s' % (found_at, detail))
        return result
    where = '_dmarc.%s' % found_at
    result['found_at'] = where
    if len(records) > 1:
        result.update(status='invalid', msg='%s TXT: expected one DMARC record, found %d: %s' % (
            where, len(records), '; '.join('"%s"' % r for r in records)))
        return result
    record = records[0]
    tags, problem = parse_record(record)
    result.update(record=record, tags=tags)
    if problem:
        result.update(status='invalid', msg='%s TXT: expected a valid DMARC record, found "%s": %s' % (
            where, record, problem))
        return result
    policy = tags['p'].lower()
    sub = tags.get('sp', '').lower()
    # A subdomain without a record of its own gets the organizational domain's sp= (else p=).
    applied = (sub or policy) if found_at != display else policy
    result.update(policy=policy, subdomain_policy=sub or policy, applied_policy=applied,
                  pct=int(tags.get('pct', 100)), rua=_uris(tags.get('rua', '')), ruf=_uris(tags.get('ruf', '')))
    via = '' if found_at == display else ' (none at %s; the organizational domain\'s record applies)' % name
    if POLICIES.index(applied) < POLICIES.index(minimum):
        if found_at == display:
            msg = '%s TXT: expected policy %s or stronger, found p=%s in "%s"' % (where, minimum, applied, record)
        else:
            msg = ('%s DMARC: expected policy %s or stronger, found %s=%s in %s, the organizational domain\'s '
                   'record (%s does not exist): "%s"' % (display, minimum, 'sp' if tags.get('sp') else 'p', applied,
                                                         where, name, record))
        result.update(status='weak', msg=msg)
        return result
    result.update(status='ok', failed=False, msg='%s DMARC: policy %s%s, pct %d, rua %s (%s)%s' % (
        display, applied, ' (sp=)' if applied != policy else '', result['pct'],
        ', '.join(result['rua']) or 'none', where, via))
    return result


ARGUMENT_SPEC = dict(
    domain=dict(type='str'),
    domains=dict(type='list', elements='str'),
    min_policy=dict(type='str', choices=list(POLICIES), default='none'),
)
ARGUMENT_SPEC.update(dns_argument_spec())
MUTUALLY_EXCLUSIVE = [('domain', 'domains')]
REQUIRED_ONE_OF = [('domain', 'domains')]


def run(params):
    """The check for validated params: ``(result, failed)``."""
    problem = check_dns_params(params)
    if problem:
        return dict(msg=problem), True
    domains = [params['domain']] if params['domain'] is not None else params['domains']
    if not domains:
        return dict(msg='domains is empty: give at least one domain'), True
    try:
        client = client_from_params(params)
    except DnsConfigError as exc:
        return dict(msg=str(exc)), True
    entries = dedupe_names(domains)

    def work(entry):
        return _check_domain(client, entry[0], entry[2], params['min_policy'])

    def on_error(entry, exc):
        return dict(domain=entry[0], failed=True, status='error', msg='%s DMARC: unexpected error: %s' % (entry[0], exc))

    checks = run_concurrently(work, entries, params['workers'], on_error)
    failures = collect_failures(checks, 'domain')
    result = dict(changed=False, checks=checks, failures=failures, msg=summarize(checks, failures, 'domains'))
    if params['domain'] is not None:
        for key in ('policy', 'subdomain_policy', 'pct', 'rua', 'ruf'):
            result[key] = checks[0].get(key)
    return result, bool(failures)
