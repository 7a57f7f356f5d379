# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""a_verify, mx_verify and ptr_verify run through ansible-playbook against a real NSD.

All cases run as tasks of ONE playbook (the JSON callback gives every result);
each test then checks one task's exact return values and messages.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dnslab import BACKUP4, BIN, LOCAL_INVENTORY, MAIL4, MAIL6, OTHER4, ansible_env, run_playbook, task_results

NS = '127.0.0.1'
E4 = [MAIL4]
E46 = [MAIL4, MAIL6]
SRV = "SERVFAIL from 127.0.0.1#{port}"
TIMEOUT = 'timeout: no answer from 127.0.0.1#{dead_port} after 2 tries of 0.2 s'


def _cases(port, dead_port):
    common = dict(nameservers=[NS], port=port, timeout=2, retries=0)
    dead = dict(nameservers=[NS], port=dead_port, timeout=0.2, retries=1)
    return {
        # ---- a_verify
        'a ok': ('a_verify', dict(name='mail.dnstest.test', expected=E4)),
        'a ok trailing dot': ('a_verify', dict(name='MAIL.dnstest.test.', expected=E4)),
        'a mismatch': ('a_verify', dict(name='other.dnstest.test', expected=E4)),
        'a partial': ('a_verify', dict(name='two.dnstest.test', expected=E4)),
        'a missing one': ('a_verify', dict(name='mail4.dnstest.test', expected=[MAIL4, '198.51.100.11'])),
        'a two ok': ('a_verify', dict(name='both.dnstest.test', expected=['198.51.100.11', MAIL4])),
        'a nxdomain': ('a_verify', dict(name='nope.dnstest.test', expected=E4)),
        'a nodata': ('a_verify', dict(name='noaddr.dnstest.test', expected=E4)),
        'a cname': ('a_verify', dict(name='alias.dnstest.test', expected=E4)),
        'a dangling cname': ('a_verify', dict(name='deadalias.dnstest.test', expected=E4)),
        'a v4 and v6': ('a_verify', dict(name='mail.dnstest.test', expected=E46, record_types=['A', 'AAAA'])),
        'a v6 only': ('a_verify', dict(name='v6only.dnstest.test', expected=[MAIL6], record_types=['AAAA'])),
        'a v6 unexpected': ('a_verify', dict(name='mail.dnstest.test', expected=E4, record_types=['A', 'AAAA'])),
        'a servfail': ('a_verify', dict(name='mail.broken.test', expected=E4)),
        'a referral': ('a_verify', dict(name='host.deleg.dnstest.test', expected=E4)),
        'a timeout': ('a_verify', dict(dict(name='mail.dnstest.test', expected=E4), **dead)),
        'a many': ('a_verify', dict(names=['mail.dnstest.test', 'other.dnstest.test', 'mail.dnstest.test.',
                                           'nope.dnstest.test', 'alias.dnstest.test', 'bad..name'],
                                    expected=E4)),
        'a bad expected': ('a_verify', dict(name='mail.dnstest.test', expected=['not-an-ip'])),
        # match: subset, and expected addresses per name
        'a subset one of two': ('a_verify', dict(name='mail4.dnstest.test', expected=[MAIL4, BACKUP4],
                                                 match='subset')),
        'a subset both': ('a_verify', dict(name='both.dnstest.test', expected=[OTHER4, BACKUP4, MAIL4],
                                           match='subset')),
        'a subset unexpected': ('a_verify', dict(name='two.dnstest.test', expected=[MAIL4, BACKUP4], match='subset')),
        'a subset single': ('a_verify', dict(name='other.dnstest.test', expected=E4, match='subset')),
        'a subset nodata': ('a_verify', dict(name='v6only.dnstest.test', expected=[MAIL4, BACKUP4], match='subset')),
        'a subset many': ('a_verify', dict(names=['mail4.dnstest.test', 'backup.dnstest.test', 'other.dnstest.test',
                                                  'both.dnstest.test'], expected=[MAIL4, BACKUP4], match='subset')),
        'a per name': ('a_verify', dict(names=[{'name': 'mail4.dnstest.test', 'expected': [MAIL4]},
                                               {'name': 'backup.dnstest.test', 'expected': BACKUP4},
                                               'both.dnstest.test', {'name': 'Mail4.dnstest.test.', 'expected': [MAIL4]}],
                                        expected=[MAIL4, BACKUP4])),
        'a per name wrong': ('a_verify', dict(names=[{'name': 'mail4.dnstest.test', 'expected': [BACKUP4]},
                                                     {'name': 'mail.dnstest.test', 'expected': E46}],
                                              record_types=['A', 'AAAA'])),
        'a per name subset': ('a_verify', dict(names=[{'name': 'mail.dnstest.test', 'expected': [MAIL4, BACKUP4, MAIL6]}],
                                               record_types=['A', 'AAAA'], match='subset')),
        'a per name no expected': ('a_verify', dict(names=[{'name': 'mail4.dnstest.test', 'expected': E4},
                                                           'backup.dnstest.test'])),
        'a per name conflict': ('a_verify', dict(names=[{'name': 'mail4.dnstest.test', 'expected': E4},
                                                        {'name': 'MAIL4.dnstest.test.', 'expected': [BACKUP4]}])),
        'a per name unknown key': ('a_verify', dict(names=[{'name': 'mail4.dnstest.test', 'addresses': E4}],
                                                    expected=E4)),
        'a per name bad address': ('a_verify', dict(names=['mail.dnstest.test',
                                                           {'name': 'mail4.dnstest.test', 'expected': ['10.0.0.300']}],
                                                    expected=E4)),
        'a per name wrong family': ('a_verify', dict(names=[{'name': 'mail4.dnstest.test', 'expected': [MAIL6]}])),
        'a name without expected': ('a_verify', dict(name='mail4.dnstest.test')),
        # ---- mx_verify
        'mx ok': ('mx_verify', dict(domain='good.dnstest.test', expected=E4)),
        'mx ok trailing dot': ('mx_verify', dict(domain='good.dnstest.test.', expected=E4)),
        'mx wrong': ('mx_verify', dict(domain='wrong.dnstest.test', expected=E4)),
        'mx multi any': ('mx_verify', dict(domain='multi.dnstest.test', expected=E4)),
        'mx multi all': ('mx_verify', dict(domain='multi.dnstest.test', expected=E4, require='all')),
        'mx multi all ok': ('mx_verify', dict(domain='multi.dnstest.test', require='all',
                                              expected=[MAIL4, '198.51.100.11', '198.51.100.99'])),
        'mx cname': ('mx_verify', dict(domain='cnamemx.dnstest.test', expected=E4)),
        'mx null': ('mx_verify', dict(domain='nullmx.dnstest.test', expected=E4)),
        'mx ip literal': ('mx_verify', dict(domain='ipmx.dnstest.test', expected=E4)),
        'mx implicit': ('mx_verify', dict(domain='implicit.dnstest.test', expected=E4)),
        'mx implicit allowed': ('mx_verify', dict(domain='implicit.dnstest.test', expected=E4,
                                                  allow_implicit_mx=True)),
        'mx implicit allowed wrong': ('mx_verify', dict(domain='implicitbad.dnstest.test', expected=E4,
                                                        allow_implicit_mx=True)),
        'mx no mail': ('mx_verify', dict(domain='nomail.dnstest.test', expected=E4, allow_implicit_mx=True)),
        'mx nxdomain': ('mx_verify', dict(domain='nope.dnstest.test', expected=E4)),
        'mx dangling': ('mx_verify', dict(domain='danglingmx.dnstest.test', expected=E4)),
        'mx partial host': ('mx_verify', dict(domain='partmx.dnstest.test', expected=E4)),
        'mx v6': ('mx_verify', dict(domain='mx6.dnstest.test', expected=[MAIL6])),
        'mx alias domain': ('mx_verify', dict(domain='aliasdom.dnstest.test', expected=E4)),
        'mx servfail': ('mx_verify', dict(domain='broken.test', expected=E4)),
        'mx timeout': ('mx_verify', dict(dict(domain='good.dnstest.test', expected=E4), **dead)),
        'mx many': ('mx_verify', dict(domains=['good.dnstest.test', 'wrong.dnstest.test', 'GOOD.dnstest.test.',
                                               'nullmx.dnstest.test', 'multi.dnstest.test', 'broken.test',
                                               'nope.dnstest.test'], expected=E4)),
        # ---- ptr_verify
        'ptr ok': ('ptr_verify', dict(address=MAIL4, expected_name='mail.dnstest.test.')),
        'ptr ok any name': ('ptr_verify', dict(address='198.51.100.11')),
        'ptr wrong name': ('ptr_verify', dict(address='198.51.100.11', expected_name='mail.dnstest.test')),
        'ptr unconfirmed': ('ptr_verify', dict(address='198.51.100.20')),
        'ptr dangling': ('ptr_verify', dict(address='198.51.100.21')),
        'ptr missing': ('ptr_verify', dict(address='198.51.100.30', expected_name='mail.dnstest.test')),
        'ptr v6': ('ptr_verify', dict(address='2001:DB8::10', expected_name='mail.dnstest.test')),
        'ptr many': ('ptr_verify', dict(addresses=[MAIL4, MAIL6, '198.51.100.30', 'nonsense'],
                                        expected_name='mail.dnstest.test')),
        'ptr per address': ('ptr_verify', dict(addresses=[{'address': MAIL4},
                                                          {'address': BACKUP4, 'expected_name': 'backup.dnstest.test.'},
                                                          MAIL6, '2001:db8:0::10'],
                                               expected_name='mail.dnstest.test')),
        'ptr per address wrong': ('ptr_verify', dict(addresses=[{'address': BACKUP4, 'expected_name': 'mail.dnstest.test'},
                                                                {'address': MAIL4, 'expected_name': 'mail.dnstest.test'}])),
        'ptr per address conflict': ('ptr_verify', dict(addresses=[{'address': MAIL6, 'expected_name': 'mail.dnstest.test'},
                                                                   '2001:DB8::10'])),
        'ptr per address bad name': ('ptr_verify', dict(addresses=[{'address': MAIL4, 'expected_name': 'a..b'}])),
        'ptr per address unknown key': ('ptr_verify', dict(addresses=[{'address': MAIL4, 'name': 'mail.dnstest.test'}])),
    }, common


@pytest.fixture(scope='session')
def results(nsd, dead_port, tmp_path_factory):
    cases, common = _cases(nsd.port, dead_port)
    tasks = []
    for name, (module, args) in cases.items():
        merged = dict(common)
        merged.update(args)
        tasks.append({'name': name, 'mailops.sendmail.' + module: merged, 'ignore_errors': True})
    check = dict(common, domain='good.dnstest.test', expected=E4)
    tasks.append({'name': 'mx check mode', 'mailops.sendmail.mx_verify': check, 'check_mode': True})
    plays = [{'name': 'dns verify modules', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}]
    output, proc = run_playbook(tmp_path_factory.mktemp('modules'), plays)
    got = task_results(output)
    assert set(got) == set(cases) | {'mx check mode'}, proc.stderr
    return got


def _ok(result, msg=None):
    """The task passed, changed nothing and, when given, said ``msg``."""
    assert result.get('failed') is not True, result.get('msg')
    assert result['changed'] is False
    if msg is not None:
        assert result['msg'] == msg
    return result


def _failed(result, status=None, msg=None):
    """The task failed; when given, its first check has ``status`` and its message is ``msg``."""
    assert result['failed'] is True, result
    if status is not None:
        assert result['checks'][0]['status'] == status, result['msg']
    if msg is not None:
        assert result['msg'] == msg
    return result


# ---------------------------------------------------------------- a_verify

def test_a_ok(results):
    r = _ok(results['a ok'], 'mail.dnstest.test A: 198.51.100.10 as expected')
    assert r['addresses'] == [MAIL4]
    assert r['failures'] == {}
    assert r['checks'][0]['status'] == 'ok'


def test_a_trailing_dot_and_case(results):
    r = _ok(results['a ok trailing dot'])
    assert r['checks'][0]['name'] == 'mail.dnstest.test'
    assert r['addresses'] == [MAIL4]


def test_a_mismatch(results):
    r = _failed(results['a mismatch'], msg=('other.dnstest.test A: expected 198.51.100.10, found 198.51.100.99 '
                                            '(unexpected: 198.51.100.99; missing: 198.51.100.10)'))
    assert r['addresses'] == ['198.51.100.99']
    check = r['checks'][0]
    assert (check['status'], check['unexpected'], check['missing']) == ('mismatch', ['198.51.100.99'], [MAIL4])
    assert r['failures'] == {'other.dnstest.test': r['msg']}


def test_a_partial(results):
    r = _failed(results['a partial'], 'partial', ('two.dnstest.test A: expected 198.51.100.10, found 198.51.100.10, '
                                                  '198.51.100.99 (unexpected: 198.51.100.99)'))
    assert r['addresses'] == [MAIL4, '198.51.100.99']


def test_a_expected_address_missing(results):
    _failed(results['a missing one'], 'partial', ('mail4.dnstest.test A: expected 198.51.100.10, 198.51.100.11, '
                                                  'found 198.51.100.10 (missing: 198.51.100.11)'))


def test_a_two_addresses_ok(results):
    r = _ok(results['a two ok'])
    assert r['addresses'] == [MAIL4, '198.51.100.11']


def test_a_nxdomain(results):
    r = _failed(results['a nxdomain'], 'nxdomain', ('nope.dnstest.test A: expected 198.51.100.10, found nothing: '
                                                    'the name does not exist (NXDOMAIN)'))
    assert r['addresses'] == []


def test_a_nodata(results):
    _failed(results['a nodata'], 'nodata', 'noaddr.dnstest.test A: expected 198.51.100.10, found no A record (NODATA)')


def test_a_through_cname(results):
    r = _ok(results['a cname'], 'alias.dnstest.test A: 198.51.100.10 as expected (via CNAME mail4.dnstest.test)')
    assert r['checks'][0]['cname'] == ['mail4.dnstest.test']


def test_a_dangling_cname(results):
    _failed(results['a dangling cname'], msg=('deadalias.dnstest.test A: expected 198.51.100.10, found nothing: '
                                              'the name is a CNAME to nowhere.dnstest.test, which does not exist '
                                              '(NXDOMAIN)'))


def test_a_ipv4_and_ipv6(results):
    r = _ok(results['a v4 and v6'], 'mail.dnstest.test A/AAAA: 198.51.100.10, 2001:db8::10 as expected')
    assert r['addresses'] == [MAIL4, MAIL6]


def test_a_ipv6_only(results):
    r = _ok(results['a v6 only'])
    assert r['addresses'] == [MAIL6]


def test_a_unexpected_ipv6(results):
    _failed(results['a v6 unexpected'], msg=('mail.dnstest.test A/AAAA: expected 198.51.100.10, found '
                                             '198.51.100.10, 2001:db8::10 (unexpected: 2001:db8::10)'))


def test_a_many_names_report_every_failure(results):
    r = _failed(results['a many'])
    assert 'addresses' not in r
    assert [c['name'] for c in r['checks']] == [
        'mail.dnstest.test', 'other.dnstest.test', 'nope.dnstest.test', 'alias.dnstest.test', 'bad..name']
    assert [c['status'] for c in r['checks']] == ['ok', 'mismatch', 'nxdomain', 'ok', 'invalid']
    assert sorted(r['failures']) == ['bad..name', 'nope.dnstest.test', 'other.dnstest.test']
    assert r['failures']['bad..name'].startswith("bad..name A: expected 198.51.100.10: invalid DNS name 'bad..name'")
    assert r['msg'].startswith('3 of 5 names failed verification: other.dnstest.test A: expected')


def test_a_bad_expected_is_a_parameter_error(results):
    r = _failed(results['a bad expected'], msg="expected: 'not-an-ip' is not an IPv4 or IPv6 address")
    assert 'checks' not in r


# ---------------------------------------------------------------- a_verify: match, per-name expected

SUBSET_HEAD = 'expected one or more of 198.51.100.10, 198.51.100.11 and no other address'


def test_a_subset_passes_with_one_of_the_expected_addresses(results):
    """exact would fail here (test_a_expected_address_missing): 198.51.100.11 is not found."""
    r = _ok(results['a subset one of two'], ('mail4.dnstest.test A: 198.51.100.10 as expected '
                                             '(one or more of 198.51.100.10, 198.51.100.11)'))
    check = r['checks'][0]
    assert (check['status'], check['expected'], check['missing'], check['unexpected']) == (
        'ok', [MAIL4, BACKUP4], [BACKUP4], [])


def test_a_subset_passes_with_several_expected_addresses(results):
    r = _ok(results['a subset both'])
    assert r['addresses'] == [MAIL4, BACKUP4]
    assert r['checks'][0]['missing'] == [OTHER4]


def test_a_subset_fails_on_an_unexpected_address(results):
    r = _failed(results['a subset unexpected'], 'partial', (
        'two.dnstest.test A: %s, found 198.51.100.10, 198.51.100.99 (unexpected: 198.51.100.99)' % SUBSET_HEAD))
    assert r['checks'][0]['unexpected'] == [OTHER4]


def test_a_subset_of_one_address_reads_as_exact(results):
    _failed(results['a subset single'], 'mismatch', ('other.dnstest.test A: expected 198.51.100.10, found '
                                                     '198.51.100.99 (unexpected: 198.51.100.99)'))


def test_a_subset_fails_when_nothing_is_found(results):
    _failed(results['a subset nodata'], 'nodata', 'v6only.dnstest.test A: %s, found no A record (NODATA)' % SUBSET_HEAD)


def test_a_subset_many_names_against_a_fleet(results):
    r = _failed(results['a subset many'])
    assert [(c['name'], c['status']) for c in r['checks']] == [
        ('mail4.dnstest.test', 'ok'), ('backup.dnstest.test', 'ok'), ('other.dnstest.test', 'mismatch'),
        ('both.dnstest.test', 'ok')]
    assert r['failures'] == {'other.dnstest.test': (
        'other.dnstest.test A: %s, found 198.51.100.99 (unexpected: 198.51.100.99)' % SUBSET_HEAD)}


def test_a_per_name_expected_addresses(results):
    """Each name against its own addresses; plain names against expected; a duplicate with the same
    addresses is checked once."""
    r = _ok(results['a per name'], 'all 3 names verified')
    assert [(c['name'], c['expected'], c['status']) for c in r['checks']] == [
        ('mail4.dnstest.test', [MAIL4], 'ok'), ('backup.dnstest.test', [BACKUP4], 'ok'),
        ('both.dnstest.test', [MAIL4, BACKUP4], 'ok')]


def test_a_per_name_expected_addresses_that_do_not_match(results):
    r = _failed(results['a per name wrong'], msg=(
        'mail4.dnstest.test A/AAAA: expected 198.51.100.11, found 198.51.100.10 '
        '(unexpected: 198.51.100.10; missing: 198.51.100.11)'))
    assert [(c['name'], c['status']) for c in r['checks']] == [('mail4.dnstest.test', 'mismatch'),
                                                               ('mail.dnstest.test', 'ok')]


def test_a_per_name_with_subset(results):
    _ok(results['a per name subset'], (
        'mail.dnstest.test A/AAAA: 198.51.100.10, 2001:db8::10 as expected '
        '(one or more of 198.51.100.10, 198.51.100.11, 2001:db8::10)'))


@pytest.mark.parametrize('case, msg', [
    ('a per name no expected', ('names[1] (backup.dnstest.test): no expected addresses: give expected for the name, '
                                'or the expected option for all names')),
    ('a per name conflict', ('names: mail4.dnstest.test is given twice with different expected addresses '
                             '(198.51.100.10; 198.51.100.11)')),
    ('a per name unknown key', 'names[0]: unknown key addresses (an entry has: name, expected)'),
    ('a per name bad address', "names[1] (mail4.dnstest.test) expected: '10.0.0.300' is not an IPv4 or IPv6 address"),
    ('a per name wrong family', 'names[0] (mail4.dnstest.test) expected (2001:db8::10) has no address for the record '
                                'types A'),
    ('a name without expected', 'expected is required with name'),
])
def test_a_per_name_parameter_errors(results, case, msg):
    r = _failed(results[case], msg=msg)
    assert 'checks' not in r


# ---------------------------------------------------------------- mx_verify

GOOD_MX = [{'preference': 10, 'exchange': 'mail4.dnstest.test', 'addresses': [MAIL4], 'status': 'ok', 'problem': ''}]
# The start of every mx_verify failure message for expected=E4 and require=any.
MX_HEAD = 'MX: expected an MX host resolving to 198.51.100.10'


def test_mx_ok(results):
    r = _ok(results['mx ok'], 'good.dnstest.test MX: 10 mail4.dnstest.test (198.51.100.10) as expected')
    assert r['mx'] == GOOD_MX
    check = r['checks'][0]
    assert (check['domain'], check['status'], check['implicit_mx'], check['null_mx']) == (
        'good.dnstest.test', 'ok', False, False)


def test_mx_trailing_dot(results):
    r = _ok(results['mx ok trailing dot'])
    assert r['mx'] == GOOD_MX
    assert r['checks'][0]['domain'] == 'good.dnstest.test'


def test_mx_wrong(results):
    r = _failed(results['mx wrong'], 'mismatch',
                'wrong.dnstest.test %s, found 10 other.dnstest.test (198.51.100.99)' % MX_HEAD)
    assert r['mx'][0]['problem'] == 'resolves to unexpected 198.51.100.99'


def test_mx_sorted_by_preference(results):
    r = _ok(results['mx multi any'], (
        'multi.dnstest.test MX: 10 mail4.dnstest.test (198.51.100.10) as expected; '
        'other MX: 20 backup.dnstest.test (198.51.100.11); 30 other.dnstest.test (198.51.100.99)'))
    assert [(m['preference'], m['exchange'], m['addresses'], m['status']) for m in r['mx']] == [
        (10, 'mail4.dnstest.test', [MAIL4], 'ok'),
        (20, 'backup.dnstest.test', ['198.51.100.11'], 'mismatch'),
        (30, 'other.dnstest.test', ['198.51.100.99'], 'mismatch'),
    ]


def test_mx_require_all(results):
    _failed(results['mx multi all'], msg=('multi.dnstest.test MX: expected every MX host resolving to 198.51.100.10, '
                                          'found 10 mail4.dnstest.test (198.51.100.10); 20 backup.dnstest.test '
                                          '(198.51.100.11); 30 other.dnstest.test (198.51.100.99)'))
    _ok(results['mx multi all ok'])


def test_mx_cname_is_invalid(results):
    r = _failed(results['mx cname'], 'invalid_mx', (
        'cnamemx.dnstest.test %s, found 10 alias.dnstest.test (198.51.100.10) is a CNAME to mail4.dnstest.test, '
        'which an MX must not name (RFC 2181 section 10.3)' % MX_HEAD))
    assert r['mx'] == [{'preference': 10, 'exchange': 'alias.dnstest.test', 'addresses': [MAIL4], 'status': 'cname',
                        'problem': 'is a CNAME to mail4.dnstest.test, which an MX must not name '
                                   '(RFC 2181 section 10.3)'}]


def test_mx_null(results):
    r = _failed(results['mx null'], 'null_mx', ('nullmx.dnstest.test %s, found a null MX (RFC 7505, "0 ."): '
                                                'the domain accepts no mail' % MX_HEAD))
    assert r['checks'][0]['null_mx'] is True
    assert [(m['preference'], m['exchange'], m['status']) for m in r['mx']] == [(0, '.', 'null')]


def test_mx_ip_literal(results):
    r = _failed(results['mx ip literal'], 'invalid_mx', (
        'ipmx.dnstest.test %s, found 10 198.51.100.10 is an IP address literal, not a host name '
        '(an MX must name a host)' % MX_HEAD))
    assert r['mx'][0]['status'] == 'ip_literal'


def test_mx_implicit_fails_unless_allowed(results):
    r = _failed(results['mx implicit'], 'no_mx', (
        "implicit.dnstest.test %s, found no MX record; mail goes to the implicit MX (RFC 5321 section 5.1), the "
        "domain's own 198.51.100.10; set allow_implicit_mx to accept an implicit MX" % MX_HEAD))
    assert r['checks'][0]['implicit_mx'] is True
    assert r['mx'][0]['addresses'] == [MAIL4]


def test_mx_implicit_allowed(results):
    r = _ok(results['mx implicit allowed'], (
        "implicit.dnstest.test MX: no MX record; mail goes to the implicit MX (RFC 5321 section 5.1), "
        "the domain's own 198.51.100.10, as expected"))
    assert r['checks'][0]['implicit_mx'] is True
    assert r['mx'] == [{'preference': 0, 'exchange': 'implicit.dnstest.test', 'addresses': [MAIL4], 'status': 'ok',
                        'problem': ''}]


def test_mx_implicit_allowed_but_wrong_address(results):
    _failed(results['mx implicit allowed wrong'], 'mismatch', (
        "implicitbad.dnstest.test %s, found no MX record; mail goes to the implicit MX (RFC 5321 section 5.1), the "
        "domain's own 198.51.100.99 resolves to unexpected 198.51.100.99" % MX_HEAD))


def test_mx_no_mx_no_address(results):
    _failed(results['mx no mail'], msg=('nomail.dnstest.test %s, found no MX record and no A record: '
                                        'the domain accepts no mail' % MX_HEAD))


def test_mx_nxdomain(results):
    _failed(results['mx nxdomain'], 'nxdomain', ('nope.dnstest.test %s, found nothing: '
                                                 'the domain does not exist (NXDOMAIN)' % MX_HEAD))


def test_mx_exchange_does_not_exist(results):
    r = _failed(results['mx dangling'], msg=('danglingmx.dnstest.test %s, found 10 nowhere.dnstest.test '
                                             'does not exist (NXDOMAIN)' % MX_HEAD))
    assert r['mx'][0]['status'] == 'nxdomain'


def test_mx_host_partly_elsewhere(results):
    r = _failed(results['mx partial host'], msg=('partmx.dnstest.test %s, found '
                                                 '10 two.dnstest.test (198.51.100.10, 198.51.100.99)' % MX_HEAD))
    assert r['mx'][0]['status'] == 'partial'


def test_mx_ipv6(results):
    r = _ok(results['mx v6'], 'mx6.dnstest.test MX: 10 v6only.dnstest.test (2001:db8::10) as expected')
    assert r['mx'][0]['addresses'] == [MAIL6]


def test_mx_domain_is_alias(results):
    r = _ok(results['mx alias domain'])
    assert r['checks'][0]['cname'] == ['good.dnstest.test']
    assert r['mx'] == GOOD_MX


def test_mx_many_domains_in_one_call(results, nsd):
    r = _failed(results['mx many'])
    assert 'mx' not in r
    assert [(c['domain'], c['status']) for c in r['checks']] == [
        ('good.dnstest.test', 'ok'), ('wrong.dnstest.test', 'mismatch'), ('nullmx.dnstest.test', 'null_mx'),
        ('multi.dnstest.test', 'ok'), ('broken.test', 'servfail'), ('nope.dnstest.test', 'nxdomain')]
    assert sorted(r['failures']) == ['broken.test', 'nope.dnstest.test', 'nullmx.dnstest.test', 'wrong.dnstest.test']
    assert r['failures']['broken.test'] == 'broken.test MX lookup failed: ' + SRV.format(port=nsd.port)
    assert r['msg'].startswith('4 of 6 domains failed verification: wrong.dnstest.test MX: expected an MX host')


def test_mx_check_mode(results):
    r = _ok(results['mx check mode'])
    assert r['mx'] == GOOD_MX


# ---------------------------------------------------------------- lookups that fail (a_verify, mx_verify)

@pytest.mark.parametrize('case, status, msg', [
    ('a servfail', 'servfail', 'mail.broken.test A lookup failed: ' + SRV),
    ('a referral', 'error', ('host.deleg.dnstest.test A lookup failed: 127.0.0.1#{port} sent a referral to '
                             'deleg.dnstest.test instead of an answer (it is not authoritative for the name and '
                             'does not recurse)')),
    ('a timeout', 'timeout', 'mail.dnstest.test A lookup failed: ' + TIMEOUT),
    ('mx servfail', 'servfail', 'broken.test MX lookup failed: ' + SRV),
    ('mx timeout', 'timeout', 'good.dnstest.test MX lookup failed: ' + TIMEOUT),
])
def test_lookup_failure(results, nsd, dead_port, case, status, msg):
    """SERVFAIL, a referral from a server that does not recurse, and a timeout after the retries."""
    _failed(results[case], status, msg.format(port=nsd.port, dead_port=dead_port))


# ---------------------------------------------------------------- ptr_verify

def test_ptr_ok(results):
    r = _ok(results['ptr ok'], '10.100.51.198.in-addr.arpa PTR: mail.dnstest.test, which resolves back to 198.51.100.10')
    assert r['ptr_names'] == ['mail.dnstest.test']
    check = r['checks'][0]
    assert check['ptr'] == '10.100.51.198.in-addr.arpa'
    assert check['forward'] == {'mail.dnstest.test': [MAIL4]}
    assert check['confirmed'] == ['mail.dnstest.test']


def test_ptr_any_confirmed_name(results):
    r = _ok(results['ptr ok any name'])
    assert r['ptr_names'] == ['backup.dnstest.test']


def test_ptr_wrong_name(results):
    _failed(results['ptr wrong name'], 'mismatch',
            '11.100.51.198.in-addr.arpa PTR: expected mail.dnstest.test, found backup.dnstest.test')


def test_ptr_not_forward_confirmed(results):
    _failed(results['ptr unconfirmed'], 'unconfirmed', (
        '20.100.51.198.in-addr.arpa PTR: expected a name resolving back to 198.51.100.20, found '
        'other.dnstest.test, but no PTR name resolves back: other.dnstest.test A is 198.51.100.99'))


def test_ptr_name_does_not_exist(results):
    _failed(results['ptr dangling'], msg=(
        '21.100.51.198.in-addr.arpa PTR: expected a name resolving back to 198.51.100.21, found '
        'nowhere.dnstest.test, but no PTR name resolves back: nowhere.dnstest.test A: the name does '
        'not exist (NXDOMAIN)'))


def test_ptr_missing(results):
    _failed(results['ptr missing'], 'nxdomain', (
        '30.100.51.198.in-addr.arpa PTR: expected mail.dnstest.test resolving back to 198.51.100.30, '
        'found nothing: the name does not exist (NXDOMAIN)'))


def test_ptr_ipv6(results):
    r = _ok(results['ptr v6'])
    assert r['checks'][0]['address'] == MAIL6
    assert r['checks'][0]['forward'] == {'mail.dnstest.test': [MAIL6]}


def test_ptr_many(results):
    r = _failed(results['ptr many'])
    assert [(c['address'], c['status']) for c in r['checks']] == [
        (MAIL4, 'ok'), (MAIL6, 'ok'), ('198.51.100.30', 'nxdomain'), ('nonsense', 'invalid')]
    assert r['failures']['nonsense'] == 'nonsense: not an IPv4 or IPv6 address'


def test_ptr_per_address_expected_name(results):
    r = _ok(results['ptr per address'], 'all 3 addresses verified')
    assert [(c['address'], c['expected_name'], c['status']) for c in r['checks']] == [
        (MAIL4, 'mail.dnstest.test', 'ok'), (BACKUP4, 'backup.dnstest.test', 'ok'), (MAIL6, 'mail.dnstest.test', 'ok')]


def test_ptr_per_address_expected_name_that_does_not_match(results):
    r = _failed(results['ptr per address wrong'],
                msg='11.100.51.198.in-addr.arpa PTR: expected mail.dnstest.test, found backup.dnstest.test')
    assert [c['status'] for c in r['checks']] == ['mismatch', 'ok']


@pytest.mark.parametrize('case, msg', [
    ('ptr per address conflict', ('addresses: 2001:db8::10 is given twice with different expected names '
                                  '(mail.dnstest.test; any)')),
    ('ptr per address bad name', "addresses[0] (198.51.100.10) expected_name: invalid DNS name 'a..b': "
                                 "A DNS label is empty."),
    ('ptr per address unknown key', 'addresses[0]: unknown key name (an entry has: address, expected_name)'),
])
def test_ptr_per_address_parameter_errors(results, case, msg):
    r = _failed(results[case], msg=msg)
    assert 'checks' not in r


# ---------------------------------------------------------------- ad-hoc ansible

def test_adhoc_mx_verify_oneline(nsd, tmp_path):
    inventory = tmp_path / 'inventory'
    inventory.write_text(LOCAL_INVENTORY)
    args = json.dumps(dict(domains=['good.dnstest.test', 'mx6.dnstest.test'], expected=E46,
                           nameservers=[NS], port=nsd.port, timeout=2, retries=0))
    proc = subprocess.run([str(BIN / 'ansible'), 'localhost', '-i', str(inventory), '-o',
                           '-m', 'mailops.sendmail.mx_verify', '-a', args],
                          env=ansible_env(), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    head, _sep, body = proc.stdout.partition(' => ')
    assert head == 'localhost | SUCCESS'
    result = json.loads(body)
    # expected has IPv4 and IPv6, so both A and AAAA of every MX host are looked up
    assert [c['mx'][0]['addresses'] for c in result['checks']] == [[MAIL4], [MAIL6]]
    assert result['msg'] == 'all 2 domains verified'


def test_adhoc_without_dnspython_reports_missing_library(tmp_path):
    """A target Python without dnspython (a bare venv): the module says what to install."""
    venv = tmp_path / 'bare'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(venv)], check=True, timeout=120)
    probe = subprocess.run([str(venv / 'bin' / 'python'), '-c', 'import dns'], capture_output=True, check=False)
    assert probe.returncode != 0  # the bare venv really lacks dnspython
    inventory = tmp_path / 'inventory'
    inventory.write_text('localhost ansible_connection=local ansible_python_interpreter=%s\n' % (venv / 'bin' / 'python'))
    args = json.dumps(dict(name='mail.dnstest.test', expected=E4, nameservers=[NS]))
    proc = subprocess.run([str(BIN / 'ansible'), 'localhost', '-i', str(inventory), '-o',
                           '-m', 'mailops.sendmail.a_verify', '-a', args],
                          env=ansible_env(), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    head, _sep, body = proc.stdout.strip().splitlines()[-1].partition(' => ')
    assert head == 'localhost | FAILED!'
    result = json.loads(body)
    assert result['msg'].startswith('Failed to import the required Python library (dnspython) on ')
    assert 'checks' not in result


def _adhoc_mx_verify(nsd, tmp_path, interpreter):
    """(result, -vvv output) of mx_verify run ad hoc on localhost with this Python."""
    inventory = tmp_path / ('inventory-%d' % len(list(tmp_path.glob('inventory-*'))))
    inventory.write_text('localhost ansible_connection=local ansible_python_interpreter="%s"\n' % interpreter)
    args = json.dumps(dict(domains=['good.dnstest.test', 'mx6.dnstest.test', 'wrong.dnstest.test'], expected=E46,
                           nameservers=[NS], port=nsd.port, timeout=2, retries=0))
    proc = subprocess.run([str(BIN / 'ansible'), 'localhost', '-i', str(inventory), '-vvv', '-o',
                           '-m', 'mailops.sendmail.mx_verify', '-a', args],
                          env=ansible_env(), capture_output=True, text=True, timeout=120, check=False)
    line = [x for x in proc.stdout.splitlines() if x.startswith('localhost | ')][-1]
    head, _sep, body = line.partition(' => ')
    result = json.loads(body)
    result.pop('invocation', None)
    return head, result, proc.stdout + proc.stderr


def test_controller_python_runs_the_check_in_process_with_the_same_result(nsd, tmp_path):
    """With the controller's own Python, under any of its names in its directory (python and
    python3 of the venv), the action runs the check in the worker (no module is executed); with
    an interpreter elsewhere (here a script in another directory that execs the same venv Python)
    the module runs. All give the same result, failures included."""
    own = Path((BIN / 'ansible').read_text().splitlines()[0][2:].strip())   # the Python ansible runs with
    alias = own.parent / ('python' if own.name != 'python' else 'python3')
    assert alias.exists() and alias.samefile(own)
    head_in, in_process, log_in = _adhoc_mx_verify(nsd, tmp_path, own)
    head_alias, via_alias, log_alias = _adhoc_mx_verify(nsd, tmp_path, alias)
    wrapper = tmp_path / 'wrapper' / 'python3'
    wrapper.parent.mkdir()
    wrapper.write_text('#!/bin/sh\nexec %s "$@"\n' % own)
    wrapper.chmod(0o755)
    head_module, module, log_module = _adhoc_mx_verify(nsd, tmp_path, wrapper)
    assert 'EXEC /bin/sh' not in log_in, log_in[-3000:]
    assert 'EXEC /bin/sh' not in log_alias, log_alias[-3000:]
    assert 'EXEC /bin/sh' in log_module, log_module[-3000:]
    assert head_in == head_alias == head_module == 'localhost | FAILED!'
    assert sorted(in_process['failures']) == ['wrong.dnstest.test']
    assert [c['status'] for c in in_process['checks']] == ['ok', 'ok', 'mismatch']
    assert in_process == via_alias == module


def test_async_check_runs_as_the_module(nsd, tmp_path):
    """With async the check runs as a module in the background (the in-process path cannot), and
    the polled result is the check's."""
    inventory = tmp_path / 'inventory'
    inventory.write_text(LOCAL_INVENTORY)
    args = json.dumps(dict(name='mail.dnstest.test', expected=E4, nameservers=[NS], port=nsd.port,
                           timeout=2, retries=0))
    proc = subprocess.run([str(BIN / 'ansible'), 'localhost', '-i', str(inventory), '-o', '-B', '30', '-P', '1',
                           '-m', 'mailops.sendmail.a_verify', '-a', args],
                          env=ansible_env(), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = [x for x in proc.stdout.splitlines() if x.startswith('localhost | ')][-1]
    result = json.loads(line.partition(' => ')[2])
    assert result['addresses'] == ['198.51.100.10'] and result['finished'] == 1
