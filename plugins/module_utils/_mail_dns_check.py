# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The check of mailops.sendmail.mail_dns_check: every DNS check of one mail server in one call.

A, MX, PTR, SPF, DKIM, DMARC and DNSBL are each the ``run()`` of their own module's check
(``_a_verify`` ... ``_dnsbl_verify``), given the server's name and addresses and that check's
options, so a result and its messages are the same as the single module's. Around them: one
summary row per thing checked, the summary table, and the messages of the failed checks.

``ARGUMENT_SPEC``, ``MUTUALLY_EXCLUSIVE``, ``REQUIRED_ONE_OF`` and ``run(params)`` serve both
the module and its action plugin, as for a_verify.
"""

from __future__ import annotations

from ansible_collections.mailops.sendmail.plugins.module_utils import (
    _a_verify,
    _dkim_verify,
    _dmarc_verify,
    _dnsbl_verify,
    _mx_verify,
    _ptr_verify,
    _spf_verify,
)
from ansible_collections.mailops.sendmail.plugins.module_utils._dns import (
    MATCH_CHOICES,
    MATCH_EXACT,
    check_dns_params,
    dns_argument_spec,
    family_types,
    parse_addresses,
)

_SKIP = dict(type='str', default='')

ARGUMENT_SPEC = dict(
    name=dict(type='str', required=True),
    addresses=dict(type='list', elements='str', required=True),
    host=dict(type='str'),
    a=dict(type='dict', options=dict(
        match=dict(type='str', choices=list(MATCH_CHOICES), default=MATCH_EXACT),
        skip=_SKIP)),
    mx=dict(type='dict', options=dict(
        domains=dict(type='list', elements='str', default=[]),
        require=dict(type='str', choices=['any', 'all'], default='any'),
        allow_implicit_mx=dict(type='bool', default=False),
        skip=_SKIP)),
    ptr=dict(type='dict', options=dict(skip=_SKIP)),
    spf=dict(type='dict', options=dict(
        domains=dict(type='list', elements='raw', default=[]),
        result=dict(type='str', choices=list(_spf_verify.RESULTS), default='pass'),
        skip=_SKIP)),
    dkim=dict(type='dict', options=dict(
        keys=dict(type='list', elements='raw', default=[], no_log=False),
        skip=_SKIP)),
    dmarc=dict(type='dict', options=dict(
        domains=dict(type='list', elements='str', default=[]),
        min_policy=dict(type='str', choices=list(_dmarc_verify.POLICIES), default='none'),
        skip=_SKIP)),
    dnsbl=dict(type='dict', options=dict(
        zones=dict(type='list', elements='str', default=[]),
        skip=_SKIP)),
    # Written by the action plugin on the controller; the module itself ignores it.
    summary_path=dict(type='path'),
)
ARGUMENT_SPEC.update(dns_argument_spec())
MUTUALLY_EXCLUSIVE = []
REQUIRED_ONE_OF = []

# The checks in the order of the summary: the option, the row's name, the check's module_utils, the key of
# an item in its checks[], and the list option that must not be empty (with the reason when it is).
CHECKS = (
    ('a', 'A', _a_verify, 'name', None),
    ('mx', 'MX', _mx_verify, 'domain', ('domains', 'no domains')),
    ('ptr', 'PTR', _ptr_verify, 'address', None),
    ('spf', 'SPF', _spf_verify, 'domain', ('domains', 'no domains')),
    ('dkim', 'DKIM', _dkim_verify, 'name', ('keys', 'no keys')),
    ('dmarc', 'DMARC', _dmarc_verify, 'domain', ('domains', 'no domains')),
    ('dnsbl', 'DNSBL', _dnsbl_verify, 'query', ('zones', 'no zones')),
)
_SHARED = tuple(dns_argument_spec())


def _check_params(check, params, addresses, record_types):
    """The params of one single check, as its module would get them (its defaults filled in)."""
    option, module = check[0], check[2]
    own = params[option]
    result = dict((key, spec.get('default')) for key, spec in module.ARGUMENT_SPEC.items())
    result.update((key, params[key]) for key in _SHARED)
    if option == 'a':
        result.update(name=params['name'], expected=addresses, match=own['match'], record_types=record_types)
    elif option == 'mx':
        result.update(domains=own['domains'], expected=addresses, require=own['require'],
                      allow_implicit_mx=own['allow_implicit_mx'], record_types=record_types)
    elif option == 'ptr':
        result.update(addresses=addresses, expected_name=params['name'])
    elif option == 'spf':
        result.update(domains=own['domains'], addresses=addresses, result=own['result'])
    elif option == 'dkim':
        result.update(domains=own['keys'])
    elif option == 'dmarc':
        result.update(domains=own['domains'], min_policy=own['min_policy'])
    else:
        result.update(addresses=addresses, zones=own['zones'])
    return result


def _skip_reason(check, params):
    own = params[check[0]]
    if own is None:
        return '%s not given' % check[0]
    if own['skip']:
        return own['skip']
    needed = check[4]
    if needed and not own[needed[0]]:
        return needed[1]
    return ''


def rows_of(check, result):
    """The summary rows of one check's result ``{check, item, result, reason}``."""
    name, key = check[1], check[3]
    if result.get('skipped'):
        return [dict(check=name, item='-', result='skipped', reason=result['msg'])]
    if result.get('checks'):
        return [dict(check=name, item=c.get(key, '-'), result='fail' if c['failed'] else 'pass', reason=c['msg'])
                for c in result['checks']]
    return [dict(check=name, item='-', result='fail' if result.get('failed') else 'pass', reason=result.get('msg', ''))]


def table_of(summary):
    """The summary as lines of text: a head line, then a column per field, as wide as its longest entry."""
    rows = summary['checks']
    width = max([4] + [len(str(r['item'])) for r in rows])
    fmt = '%-6s %-' + str(width) + 's %-7s %s'
    lines = ['DNS of %s (%s): %d passed, %d failed, %d skipped' % (
        summary['name'], ', '.join(summary['addresses']), summary['passed'], summary['failed'], summary['skipped']),
        fmt % ('check', 'item', 'result', 'reason')]
    lines.extend(fmt % (r['check'], r['item'], r['result'], r['reason']) for r in rows)
    return lines


def run(params):
    """The checks for validated params: ``(result, failed)``."""
    problem = check_dns_params(params)
    if problem:
        return dict(msg=problem), True
    try:
        parsed = parse_addresses(params['addresses'], 'addresses')
    except ValueError as exc:
        return dict(msg=str(exc)), True
    if not parsed:
        return dict(msg='addresses is empty: give the addresses of this mail server'), True
    # The addresses as given (trimmed), so that the summary shows what the inventory says.
    addresses = list(dict.fromkeys(str(a).strip() for a in params['addresses']))
    record_types = family_types(parsed)
    results = {}
    rows = []
    failures = []
    for check in CHECKS:
        reason = _skip_reason(check, params)
        if reason:
            result = dict(skipped=True, msg=reason)
        else:
            result, failed = check[2].run(_check_params(check, params, addresses, record_types))
            result.pop('changed', None)
            result['failed'] = bool(failed)
            if failed:
                failures.append(result['msg'])
        results[check[0]] = result
        rows.extend(rows_of(check, result))
    summary = dict(host=params['host'] or params['name'], name=params['name'], addresses=addresses,
                   passed=sum(1 for r in rows if r['result'] == 'pass'),
                   failed=sum(1 for r in rows if r['result'] == 'fail'),
                   skipped=sum(1 for r in rows if r['result'] == 'skipped'),
                   checks=rows)
    table = table_of(summary)
    msg = table[0]
    if failures:
        msg += ': ' + '; '.join(failures)
    return dict(changed=False, msg=msg, summary=summary, table=table, failures=failures, check_results=results), bool(failures)
