# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mail_dns_check, every DNS check of a mail server in one call, through ansible-playbook against a real NSD
(the zones of dnslab.py): each check passes, each fails, and each gives the same result as its single module.

Each case runs on two hosts, as in test_dns_auth_modules.py: ``inproc`` (the check in the worker) and
``module`` (another interpreter path: the module runs); both must give the same result.
"""

from __future__ import annotations

import json
import sys

import pytest

from dnslab import MAIL4, MAIL6, run_playbook, task_results

NS = '127.0.0.1'
NAMES = ('A', 'MX', 'PTR', 'SPF', 'DKIM', 'DMARC', 'DNSBL')


def _cases(port, keys):
    common = dict(nameservers=[NS], port=port, timeout=2, retries=0)
    good = dict(common, name='mail.dnstest.test', addresses=[MAIL4, MAIL6], a={},
                mx=dict(domains=['good.dnstest.test']), ptr={}, spf=dict(domains=['spf-ip.auth.test']),
                dkim=dict(keys=[dict(domain='auth.test', selector='sel1', private_key_path=keys['rsa_path'])]),
                dmarc=dict(domains=['strict.auth.test'], min_policy='reject'), dnsbl=dict(zones=['clean.bl.test']))
    bad = dict(common, name='two.dnstest.test', addresses=[MAIL4], a={},
               mx=dict(domains=['nullmx.dnstest.test']), ptr={}, spf=dict(domains=['spf-fail.auth.test']),
               dkim=dict(keys=[dict(domain='auth.test', selector='sel1', private_key_path=keys['other_path'])]),
               dmarc=dict(domains=['weak.auth.test'], min_policy='quarantine'), dnsbl=dict(zones=['bl.test']))
    # the same checks one by one, as the single modules
    singles = {
        'a': ('a_verify', dict(common, name='two.dnstest.test', expected=[MAIL4])),
        'mx': ('mx_verify', dict(common, domains=['nullmx.dnstest.test'], expected=[MAIL4])),
        'ptr': ('ptr_verify', dict(common, addresses=[MAIL4], expected_name='two.dnstest.test')),
        'spf': ('spf_verify', dict(common, domains=['spf-fail.auth.test'], addresses=[MAIL4])),
        'dkim': ('dkim_verify', dict(common, domains=bad['dkim']['keys'])),
        'dmarc': ('dmarc_verify', dict(common, domains=['weak.auth.test'], min_policy='quarantine')),
        'dnsbl': ('dnsbl_verify', dict(common, addresses=[MAIL4], zones=['bl.test'])),
    }
    cases = {
        'good': good,
        'bad': bad,
        'skips': dict(common, name='mail.dnstest.test', addresses=[MAIL4], a=dict(skip='checked elsewhere'),
                      mx=dict(domains=[]), spf=dict(domains=['spf-ip.auth.test'], skip='not sending yet'),
                      dkim=dict(keys=[]), dmarc=dict(domains=[]), dnsbl=dict(zones=['bl.test'], skip='')),
        'lookup errors': dict(common, name='mail.dnstest.test', addresses=[MAIL4], spf=dict(domains=['broken.test']),
                              dnsbl=dict(zones=['broken.test'])),
        'bad address': dict(common, name='mail.dnstest.test', addresses=['mail.dnstest.test'], a={}),
    }
    return cases, singles


@pytest.fixture(scope='session')
def run(nsd, tmp_path_factory):
    cases, singles = _cases(nsd.port, nsd.keys)
    tmp = tmp_path_factory.mktemp('mailcheck')
    tasks = [{'name': name, 'mailops.sendmail.mail_dns_check': args, 'ignore_errors': True}
             for name, args in cases.items()]
    tasks += [{'name': 'single ' + key, 'mailops.sendmail.' + module: args, 'ignore_errors': True}
              for key, (module, args) in singles.items()]
    path = str(tmp / 'summary-{{ inventory_hostname }}.json')
    tasks += [
        {'name': 'summary check mode', 'check_mode': True,
         'mailops.sendmail.mail_dns_check': dict(cases['good'], summary_path=path)},
        {'name': 'summary written', 'mailops.sendmail.mail_dns_check': dict(cases['good'], summary_path=path)},
        {'name': 'summary again', 'mailops.sendmail.mail_dns_check': dict(cases['good'], summary_path=path)},
    ]
    wrapper = tmp / 'wrapper' / 'python3'
    wrapper.parent.mkdir()
    wrapper.write_text('#!/bin/sh\nexec %s "$@"\n' % sys.executable)
    wrapper.chmod(0o755)
    inventory = {'all': {'hosts': {
        'inproc': {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'},
        'module': {'ansible_connection': 'local', 'ansible_python_interpreter': str(wrapper)}}}}
    plays = [{'name': 'in the worker', 'hosts': 'inproc', 'gather_facts': False, 'tasks': tasks},
             {'name': 'as a module', 'hosts': 'module', 'gather_facts': False,
              'tasks': [t for t in tasks if not t['name'].startswith('single ')]}]
    output, proc = run_playbook(tmp, plays, inventory)
    inproc, module = task_results(output, 'inproc'), task_results(output, 'module')
    assert len(module) == len(cases) + 3, proc.stderr[-3000:]
    for name in cases:
        assert 'invocation' in module[name] and 'invocation' not in inproc[name], name
        assert dict((k, v) for k, v in module[name].items() if k != 'invocation') == inproc[name], name
    return dict(inproc=inproc, module=module, tmp=tmp)


def _rows(result):
    return [(r['check'], r['item'], r['result']) for r in result['summary']['checks']]


def test_every_check_passes_for_a_good_server(run, nsd):
    result = run['inproc']['good']
    assert result.get('failed') is not True, result['msg']
    assert result['changed'] is False
    assert result['failures'] == []
    assert _rows(result) == [
        ('A', 'mail.dnstest.test', 'pass'), ('MX', 'good.dnstest.test', 'pass'),
        ('PTR', MAIL4, 'pass'), ('PTR', MAIL6, 'pass'), ('SPF', 'spf-ip.auth.test', 'pass'),
        ('DKIM', 'sel1._domainkey.auth.test', 'pass'), ('DMARC', 'strict.auth.test', 'pass'),
        ('DNSBL', '10.100.51.198.clean.bl.test', 'pass'),
        ('DNSBL', '0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.clean.bl.test', 'pass')]
    assert result['msg'] == 'DNS of mail.dnstest.test (198.51.100.10, 2001:db8::10): 9 passed, 0 failed, 0 skipped'
    assert result['summary']['host'] == 'mail.dnstest.test'
    assert result['check_results']['a']['addresses'] == [MAIL4, MAIL6]  # A and AAAA: both families given
    assert result['check_results']['dmarc']['checks'][0]['policy'] == 'reject'
    # the table: the head, the column names, a row each, the columns aligned
    assert result['table'][0] == result['msg']
    assert result['table'][1].split() == ['check', 'item', 'result', 'reason']
    assert len(result['table']) == 11
    assert len({line.index(' pass ') for line in result['table'][2:]}) == 1
    width = max(len(r['item']) for r in result['summary']['checks'])  # the IPv6 query on the list
    assert result['table'][7] == ('DKIM   %-*s pass    sel1._domainkey.auth.test DKIM: k=rsa 2048-bit key matches '
                                  'the public half of %s' % (width, 'sel1._domainkey.auth.test', nsd.keys['rsa_path']))


def test_each_check_fails_naming_the_record_as_its_single_module_does(run):
    result = run['inproc']['bad']
    assert result['failed'] is True
    assert [r['result'] for r in result['summary']['checks']] == ['fail'] * 7
    assert (result['summary']['passed'], result['summary']['failed'], result['summary']['skipped']) == (0, 7, 0)
    for key, name in zip(('a', 'mx', 'ptr', 'spf', 'dkim', 'dmarc', 'dnsbl'), NAMES):
        single = run['inproc']['single ' + key]
        assert single['failed'] is True, key
        mine = result['check_results'][key]
        for field in ('checks', 'failures', 'msg'):
            assert mine[field] == single[field], (key, field)
        assert mine['failed'] is True
        row = [r for r in result['summary']['checks'] if r['check'] == name]
        assert [r['reason'] for r in row] == [c['msg'] for c in single['checks']], key
    assert result['failures'] == [run['inproc']['single ' + key]['msg']
                                  for key in ('a', 'mx', 'ptr', 'spf', 'dkim', 'dmarc', 'dnsbl')]
    reasons = dict((r['check'], r['reason']) for r in result['summary']['checks'])
    assert reasons['A'].startswith('two.dnstest.test A: expected 198.51.100.10, found 198.51.100.10, 198.51.100.99')
    assert reasons['PTR'] == ('10.100.51.198.in-addr.arpa PTR: expected two.dnstest.test, found mail.dnstest.test')
    assert reasons['SPF'].startswith('spf-fail.auth.test SPF for 198.51.100.10: expected pass, found fail')
    assert reasons['DMARC'] == '_dmarc.weak.auth.test TXT: expected policy quarantine or stronger, found p=none in "v=DMARC1; p=none"'
    assert reasons['DNSBL'] == (
        '10.100.51.198.bl.test A: expected 198.51.100.10 not listed on bl.test, found 198.51.100.10 listed: '
        '127.0.0.2, 127.0.0.4 (TXT: "listed: spam seen from 198.51.100.10, see https://bl.test/lookup")')
    assert result['msg'] == ('DNS of two.dnstest.test (198.51.100.10): 0 passed, 7 failed, 0 skipped: '
                             + '; '.join(result['failures']))


def test_skipped_checks_say_why(run):
    result = run['inproc']['skips']
    assert _rows(result) == [
        ('A', '-', 'skipped'), ('MX', '-', 'skipped'), ('PTR', '-', 'skipped'), ('SPF', '-', 'skipped'),
        ('DKIM', '-', 'skipped'), ('DMARC', '-', 'skipped'), ('DNSBL', '10.100.51.198.bl.test', 'fail')]
    assert [r['reason'] for r in result['summary']['checks'][:6]] == [
        'checked elsewhere', 'no domains', 'ptr not given', 'not sending yet', 'no keys', 'no domains']
    assert result['check_results']['ptr'] == {'skipped': True, 'msg': 'ptr not given'}
    assert result['failed'] is True and len(result['failures']) == 1


def test_lookup_errors_are_not_results(run, nsd):
    result = run['inproc']['lookup errors']
    rows = dict((r['check'], r) for r in result['summary']['checks'])
    assert rows['SPF']['result'] == 'fail' and 'found temperror' in rows['SPF']['reason']
    assert rows['DNSBL']['result'] == 'fail'
    assert rows['DNSBL']['reason'] == ('10.100.51.198.broken.test: broken.test did not answer, so whether '
                                       '198.51.100.10 is listed is not known: SERVFAIL from 127.0.0.1#%d' % nsd.port)
    assert result['check_results']['dnsbl']['checks'][0]['status'] == 'unavailable'


def test_a_bad_parameter_fails_before_any_lookup(run):
    result = run['inproc']['bad address']
    assert result['failed'] is True
    assert result['msg'] == "addresses: 'mail.dnstest.test' is not an IPv4 or IPv6 address"
    assert 'summary' not in result


@pytest.mark.parametrize('host', ['inproc', 'module'])
def test_the_summary_is_written_on_the_controller_once_and_not_in_check_mode(run, host):
    results = run[host]
    assert 'summary_path' not in results['summary check mode']
    assert results['summary check mode']['changed'] is False
    written = results['summary written']
    assert written['changed'] is True and written['summary_path'] == str(run['tmp'] / ('summary-%s.json' % host))
    assert json.loads((run['tmp'] / ('summary-%s.json' % host)).read_text()) == written['summary']
    assert results['summary again']['changed'] is False  # the same summary: the file is left alone
