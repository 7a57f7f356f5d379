# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""spf_verify, dkim_verify, dmarc_verify and dnsbl_verify run through ansible-playbook against a real NSD
(the zones auth.test, nodmarc.test and bl.test of dnslab.py, one name per case).

Every case runs as a task of ONE playbook on two hosts: ``inproc`` (the controller's own Python: the
action runs the check in the worker) and ``module`` (another interpreter path: the module runs). Both
must give the same result; the tests then check one case's exact return values and messages.
"""

from __future__ import annotations

import sys

import pytest

from dnslab import MAIL4, MAIL6, OTHER4, run_playbook, task_results

NS = '127.0.0.1'
SRV = 'SERVFAIL from 127.0.0.1#{port}'


def _cases(port, dead_port, keys):
    common = dict(nameservers=[NS], port=port, timeout=2, retries=0)
    dead = dict(nameservers=[NS], port=dead_port, timeout=0.2, retries=1)
    spf = dict(addresses=[MAIL4])
    sel1 = dict(domain='auth.test', selector='sel1')
    return {
        # ---- spf_verify: pass by every mechanism
        'spf ip': ('spf_verify', dict(domain='spf-ip.auth.test', addresses=[MAIL4, MAIL6])),
        'spf a': ('spf_verify', dict(spf, domain='spf-a.auth.test')),
        'spf mx': ('spf_verify', dict(domain='spf-mx.auth.test', addresses=[MAIL4, MAIL6])),
        'spf cidr': ('spf_verify', dict(spf, domain='spf-cidr.auth.test')),
        'spf include': ('spf_verify', dict(spf, domain='spf-include.auth.test')),
        'spf redirect': ('spf_verify', dict(domain='spf-redirect.auth.test', addresses=[MAIL4, MAIL6])),
        'spf ptr': ('spf_verify', dict(spf, domain='spf-ptr.auth.test')),
        'spf exists': ('spf_verify', dict(spf, domain='spf-exists.auth.test')),
        'spf long record': ('spf_verify', dict(spf, domain='spf-long.auth.test')),
        'spf ten lookups': ('spf_verify', dict(spf, domain='spf-ten.auth.test')),
        # each other result
        'spf fail': ('spf_verify', dict(spf, domain='spf-fail.auth.test')),
        'spf softfail': ('spf_verify', dict(spf, domain='spf-softfail.auth.test')),
        'spf neutral': ('spf_verify', dict(spf, domain='spf-neutral.auth.test')),
        'spf default neutral': ('spf_verify', dict(spf, domain='spf-default.auth.test')),
        'spf none': ('spf_verify', dict(spf, domain='spf-none.auth.test')),
        'spf none nxdomain': ('spf_verify', dict(spf, domain='nx.auth.test')),
        'spf two records': ('spf_verify', dict(spf, domain='spf-two.auth.test')),
        'spf bad address': ('spf_verify', dict(spf, domain='spf-badip.auth.test')),
        'spf unknown mechanism': ('spf_verify', dict(spf, domain='spf-unknown.auth.test')),
        'spf bad macro': ('spf_verify', dict(spf, domain='spf-badmacro.auth.test')),
        'spf include none': ('spf_verify', dict(spf, domain='spf-incnone.auth.test')),
        'spf redirect none': ('spf_verify', dict(spf, domain='spf-redirnone.auth.test')),
        'spf lookup limit': ('spf_verify', dict(spf, domain='spf-limit.auth.test')),
        'spf void limit': ('spf_verify', dict(spf, domain='spf-void.auth.test')),
        'spf include servfail': ('spf_verify', dict(spf, domain='spf-servfail.auth.test')),
        'spf servfail': ('spf_verify', dict(spf, domain='broken.test')),
        'spf timeout': ('spf_verify', dict(dict(spf, domain='spf-ip.auth.test'), **dead)),
        'spf v6 fails where v4 passes': ('spf_verify', dict(domain='spf-exists.auth.test', addresses=[MAIL4, MAIL6])),
        'spf outsider fails as required': ('spf_verify', dict(domain='spf-ip.auth.test', addresses=[OTHER4],
                                                              result='fail')),
        'spf many': ('spf_verify', dict(spf, domains=['spf-ip.auth.test',
                                                      {'domain': 'spf-softfail.auth.test', 'result': 'softfail'},
                                                      'spf-fail.auth.test', 'SPF-IP.auth.test.',
                                                      {'domain': 'spf-none.auth.test', 'result': 'none'}])),
        'spf conflict': ('spf_verify', dict(spf, domains=['spf-ip.auth.test', {'domain': 'spf-ip.auth.test.',
                                                                               'result': 'fail'}])),
        'spf bad address param': ('spf_verify', dict(domain='spf-ip.auth.test', addresses=['mail.auth.test'])),
        # ---- dkim_verify
        'dkim pem': ('dkim_verify', dict(sel1, public_key=keys['rsa_pem'])),
        'dkim pkcs1 pem': ('dkim_verify', dict(sel1, public_key=keys['rsa_pkcs1_pem'])),
        'dkim base64': ('dkim_verify', dict(sel1, public_key=keys['rsa_p'])),
        'dkim private key': ('dkim_verify', dict(sel1, private_key_path=keys['rsa_path'])),
        'dkim ed25519': ('dkim_verify', dict(domain='auth.test', selector='ed', private_key_path=keys['ed_path'])),
        'dkim record only': ('dkim_verify', dict(domains=[{'domain': 'auth.test', 'selector': 'sel1'},
                                                          {'domain': 'auth.test', 'selector': 'ed',
                                                           'public_key': keys['ed_pem']}])),
        'dkim mismatch': ('dkim_verify', dict(sel1, private_key_path=keys['other_path'])),
        'dkim wrong type': ('dkim_verify', dict(domain='auth.test', selector='ed', public_key=keys['rsa_pem'])),
        'dkim revoked': ('dkim_verify', dict(domain='auth.test', selector='revoked')),
        'dkim bad base64': ('dkim_verify', dict(domain='auth.test', selector='badb64')),
        'dkim bad k': ('dkim_verify', dict(domain='auth.test', selector='badk')),
        'dkim bad v': ('dkim_verify', dict(domain='auth.test', selector='badv')),
        'dkim two records': ('dkim_verify', dict(domain='auth.test', selector='twice')),
        'dkim not a key': ('dkim_verify', dict(domain='auth.test', selector='notakey')),
        'dkim absent': ('dkim_verify', dict(domain='auth.test', selector='nosuch')),
        'dkim servfail': ('dkim_verify', dict(domain='broken.test', selector='mail')),
        'dkim timeout': ('dkim_verify', dict(dict(sel1), **dead)),
        'dkim private key in public_key': ('dkim_verify', dict(
            sel1, public_key='-----BEGIN PRIVATE KEY-----\nMC4=\n-----END PRIVATE KEY-----')),
        'dkim unreadable key file': ('dkim_verify', dict(sel1, private_key_path='/nonexistent/dkim.key')),
        'dkim no selector': ('dkim_verify', dict(domain='auth.test')),
        # ---- dmarc_verify
        'dmarc ok': ('dmarc_verify', dict(domain='auth.test')),
        'dmarc reject': ('dmarc_verify', dict(domain='strict.auth.test', min_policy='reject')),
        'dmarc org fallback': ('dmarc_verify', dict(domain='sub.auth.test')),
        'dmarc org fallback weak': ('dmarc_verify', dict(domain='sub.auth.test', min_policy='quarantine')),
        'dmarc weak': ('dmarc_verify', dict(domain='weak.auth.test', min_policy='quarantine')),
        'dmarc bad p': ('dmarc_verify', dict(domain='badp.auth.test')),
        'dmarc no p': ('dmarc_verify', dict(domain='nop.auth.test')),
        'dmarc v not first': ('dmarc_verify', dict(domain='notfirst.auth.test')),
        'dmarc bad pct': ('dmarc_verify', dict(domain='badpct.auth.test')),
        'dmarc bad uri': ('dmarc_verify', dict(domain='baduri.auth.test')),
        'dmarc two records': ('dmarc_verify', dict(domain='two.auth.test')),
        'dmarc absent': ('dmarc_verify', dict(domain='nodmarc.test')),
        'dmarc absent sub': ('dmarc_verify', dict(domain='sub.nodmarc.test')),
        'dmarc servfail': ('dmarc_verify', dict(domain='broken.test')),
        'dmarc timeout': ('dmarc_verify', dict(dict(domain='auth.test'), **dead)),
        'dmarc many': ('dmarc_verify', dict(domains=['auth.test', 'strict.auth.test', 'nodmarc.test', 'AUTH.test.'],
                                            min_policy='quarantine')),
        # ---- dnsbl_verify
        'dnsbl not listed': ('dnsbl_verify', dict(addresses=['198.51.100.11', MAIL6], zones=['bl.test'])),
        'dnsbl listed': ('dnsbl_verify', dict(addresses=[MAIL4, '198.51.100.11'], zones=['bl.test'])),
        'dnsbl refused code': ('dnsbl_verify', dict(addresses=['198.51.100.12'], zones=['bl.test'])),
        'dnsbl servfail': ('dnsbl_verify', dict(addresses=['198.51.100.11'], zones=['broken.test', 'bl.test'])),
        'dnsbl timeout': ('dnsbl_verify', dict(dict(addresses=['198.51.100.11'], zones=['bl.test']), **dead)),
        'dnsbl bad zone': ('dnsbl_verify', dict(addresses=[MAIL4], zones=['bl..test'])),
    }, common


# The cases also run as a module (on another interpreter path): each module's pass and its failure
# kinds that take another way through the code (a lookup error, a parse error, a fallback).
AS_MODULE = ('spf include', 'spf lookup limit', 'spf timeout', 'spf v6 fails where v4 passes', 'dkim private key',
             'dkim revoked', 'dkim mismatch', 'dmarc org fallback', 'dmarc absent', 'dmarc bad uri', 'dnsbl listed',
             'dnsbl servfail', 'spf check mode')


@pytest.fixture(scope='session')
def results(nsd, dead_port, tmp_path_factory):
    """{case: result} of the checks in the worker, after checking that the module got the same for AS_MODULE."""
    cases, common = _cases(nsd.port, dead_port, nsd.keys)
    tasks = []
    for name, (module, args) in cases.items():
        merged = dict(common)
        merged.update(args)
        tasks.append({'name': name, 'mailops.sendmail.' + module: merged, 'ignore_errors': True})
    tasks.append({'name': 'spf check mode', 'check_mode': True,
                  'mailops.sendmail.spf_verify': dict(common, domain='spf-ip.auth.test', addresses=[MAIL4])})
    tmp = tmp_path_factory.mktemp('auth')
    wrapper = tmp / 'wrapper' / 'python3'
    wrapper.parent.mkdir()
    wrapper.write_text('#!/bin/sh\nexec %s "$@"\n' % sys.executable)
    wrapper.chmod(0o755)
    inventory = {'all': {'hosts': {
        'inproc': {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'},
        'module': {'ansible_connection': 'local', 'ansible_python_interpreter': str(wrapper)}}}}
    plays = [{'name': 'in the worker', 'hosts': 'inproc', 'gather_facts': False, 'tasks': tasks},
             {'name': 'as a module', 'hosts': 'module', 'gather_facts': False,
              'tasks': [t for t in tasks if t['name'] in AS_MODULE]}]
    output, proc = run_playbook(tmp, plays, inventory)
    inproc, module = task_results(output, 'inproc'), task_results(output, 'module')
    assert set(inproc) == set(cases) | {'spf check mode'}, proc.stderr[-3000:]
    assert set(module) == set(AS_MODULE), proc.stderr[-3000:]
    for name in AS_MODULE:
        # a module reports its invocation; the check in the worker does not
        assert 'invocation' in module[name] and 'invocation' not in inproc[name], name
        strip = dict((k, v) for k, v in module[name].items() if k != 'invocation')
        assert strip == inproc[name], name
    return inproc


def _ok(result, msg=None):
    assert result.get('failed') is not True, result.get('msg')
    assert result['changed'] is False
    if msg is not None:
        assert result['msg'] == msg
    return result


def _failed(result, status=None, msg=None):
    assert result.get('failed') is True, result.get('msg')
    if msg is not None:
        assert result['msg'] == msg
    if status is not None:
        assert [c['status'] for c in result['checks']] == [status]
    return result


# ---------------------------------------------------------------- spf_verify

def test_spf_ip4_and_ip6(results):
    r = _ok(results['spf ip'], 'spf-ip.auth.test SPF: 198.51.100.10 pass, 2001:db8::10 pass as expected (ip4:198.51.100.10 '
                               'matched in "v=spf1 ip4:198.51.100.10 ip6:2001:db8::10 -all" at spf-ip.auth.test)')
    check = r['checks'][0]
    assert check['results'] == {MAIL4: 'pass', MAIL6: 'pass'}
    assert check['reasons'][MAIL6].startswith('ip6:2001:db8::10 matched')
    assert check['record'] == 'v=spf1 ip4:198.51.100.10 ip6:2001:db8::10 -all'  # the unrelated TXT is not it
    assert r['result'] == 'pass'


@pytest.mark.parametrize('case, term, lookups', [
    ('spf a', 'a:mail.auth.test', 2),
    ('spf mx', 'mx', 1),
    ('spf cidr', 'a:other.auth.test/24//32', 1),
    ('spf include', 'include:_spf.auth.test', 2),
    ('spf ptr', 'ptr:dnstest.test', 1),
    ('spf exists', 'exists:%{ir}.%{v}._spf.auth.test', 1),
    ('spf long record', 'ip4:198.51.100.10', 0),
    ('spf ten lookups', 'ip4:198.51.100.10', 10),
])
def test_spf_pass_by_each_mechanism(results, case, term, lookups):
    check = _ok(results[case])['checks'][0]
    assert set(check['results'].values()) == {'pass'}
    reason = check['reasons'][MAIL4]
    assert reason.startswith(term + ' matched in "v=spf1 '), reason
    assert check['lookups'][MAIL4] == lookups


def test_spf_redirect_takes_the_target_record(results):
    check = _ok(results['spf redirect'])['checks'][0]
    assert check['results'] == {MAIL4: 'pass', MAIL6: 'pass'}
    assert check['reasons'][MAIL4] == ('ip4:198.51.100.0/24 matched in "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8::/32 '
                                       '-all" at _spf.auth.test')
    assert check['lookups'][MAIL4] == 1


@pytest.mark.parametrize('case, result, reason', [
    ('spf fail', 'fail', '-all matched in "v=spf1 ip4:198.51.100.99 -all" at spf-fail.auth.test'),
    ('spf softfail', 'softfail', '~all matched in "v=spf1 ip4:198.51.100.99 ~all" at spf-softfail.auth.test'),
    ('spf neutral', 'neutral', '?all matched in "v=spf1 ip4:198.51.100.99 ?all" at spf-neutral.auth.test'),
    ('spf default neutral', 'neutral',
     'no mechanism matched in "v=spf1 ip4:198.51.100.99" at spf-default.auth.test (the default is neutral)'),
    ('spf none', 'none', 'no "v=spf1" TXT record at spf-none.auth.test'),
    ('spf none nxdomain', 'none', 'nx.auth.test does not exist (NXDOMAIN)'),
    ('spf two records', 'permerror', 'spf-two.auth.test: 2 SPF records (only one is allowed): '
                                     '"v=spf1 ip4:198.51.100.10 -all"; "v=spf1 -all"'),
    ('spf bad address', 'permerror',
     'bad address in ip4:198.51.100.300 in "v=spf1 ip4:198.51.100.300 -all" at spf-badip.auth.test'),
    ('spf unknown mechanism', 'permerror',
     'unknown mechanism frobnicate:x in "v=spf1 ip4:198.51.100.10 frobnicate:x -all" at spf-unknown.auth.test'),
    ('spf bad macro', 'permerror',
     'bad macro in exists:%{z}.auth.test in "v=spf1 exists:%{z}.auth.test -all" at spf-badmacro.auth.test'),
    ('spf include none', 'permerror', 'include:spf-none.auth.test at spf-incnone.auth.test: the included domain has '
                                      'no SPF record (no "v=spf1" TXT record at spf-none.auth.test)'),
    ('spf redirect none', 'permerror', 'redirect=spf-none.auth.test at spf-redirnone.auth.test names a domain without '
                                       'SPF record (no "v=spf1" TXT record at spf-none.auth.test)'),
    ('spf lookup limit', 'permerror', 'more than 10 DNS lookups (the 11th is a:other.auth.test in _lim5.auth.test)'),
    ('spf void limit', 'permerror',
     'more than 2 void lookups (the last: nx3.auth.test A, the name does not exist (NXDOMAIN))'),
    ('spf include servfail', 'temperror', 'TXT lookup of broken.test failed: ' + SRV),
    ('spf servfail', 'temperror', 'TXT lookup of broken.test failed: ' + SRV),
])
def test_spf_each_other_result_fails_naming_the_record(results, nsd, case, result, reason):
    domain = results[case]['checks'][0]['domain']
    reason = reason.replace('{port}', str(nsd.port))
    r = _failed(results[case], status=result,
                msg='%s SPF for 198.51.100.10: expected pass, found %s (%s)' % (domain, result, reason))
    assert r['result'] == result
    assert r['failures'] == {domain: r['msg']}


def test_spf_timeout_is_a_temperror(results, dead_port):
    _failed(results['spf timeout'], status='temperror',
            msg='spf-ip.auth.test SPF for 198.51.100.10: expected pass, found temperror (TXT lookup of spf-ip.auth.test '
                'failed: timeout: no answer from 127.0.0.1#%d after 2 tries of 0.2 s)' % dead_port)


def test_spf_each_address_is_evaluated(results):
    r = _failed(results['spf v6 fails where v4 passes'], status='fail')
    assert r['checks'][0]['results'] == {MAIL4: 'pass', MAIL6: 'fail'}
    assert r['result'] == 'pass, fail'
    assert r['msg'].startswith('spf-exists.auth.test SPF for 2001:db8::10: expected pass, found fail (-all matched')


def test_spf_required_fail_for_an_outsider(results):
    _ok(results['spf outsider fails as required'],
        'spf-ip.auth.test SPF: 198.51.100.99 fail as expected (-all matched in "v=spf1 ip4:198.51.100.10 '
        'ip6:2001:db8::10 -all" at spf-ip.auth.test)')


def test_spf_many_domains_with_their_own_results(results):
    r = _failed(results['spf many'])
    assert [(c['domain'], c['expected'], c['status']) for c in r['checks']] == [
        ('spf-ip.auth.test', 'pass', 'pass'), ('spf-softfail.auth.test', 'softfail', 'softfail'),
        ('spf-fail.auth.test', 'pass', 'fail'), ('spf-none.auth.test', 'none', 'none')]
    assert list(r['failures']) == ['spf-fail.auth.test']


@pytest.mark.parametrize('case, msg', [
    ('spf conflict', 'domains: spf-ip.auth.test is given twice with different results (pass; fail)'),
    ('spf bad address param', "addresses: 'mail.auth.test' is not an IPv4 or IPv6 address"),
])
def test_spf_parameter_errors(results, case, msg):
    r = _failed(results[case], msg=msg)
    assert 'checks' not in r


def test_spf_check_mode(results):
    _ok(results['spf check mode'])


# ---------------------------------------------------------------- dkim_verify

@pytest.mark.parametrize('case, what', [
    ('dkim pem', 'the given public key'),
    ('dkim pkcs1 pem', 'the given public key'),
    ('dkim base64', 'the given public key'),
])
def test_dkim_key_matches_in_every_form(results, case, what):
    r = _ok(results[case], 'sel1._domainkey.auth.test DKIM: k=rsa 2048-bit key matches %s' % what)
    check = r['checks'][0]
    assert check['record'].startswith('v=DKIM1; h=sha256; k=rsa; p=MII')  # the two TXT strings joined
    assert check['key_type'] == 'rsa' and check['key_bits'] == 2048


def test_dkim_public_half_of_a_private_key(results, nsd):
    _ok(results['dkim private key'], 'sel1._domainkey.auth.test DKIM: k=rsa 2048-bit key matches the public half '
                                     'of %s' % nsd.keys['rsa_path'])
    _ok(results['dkim ed25519'], 'ed._domainkey.auth.test DKIM: k=ed25519 key matches the public half of %s'
        % nsd.keys['ed_path'])


def test_dkim_record_only_and_per_entry_keys(results):
    r = _ok(results['dkim record only'], 'all 2 DKIM keys verified')
    assert [c['msg'] for c in r['checks']] == [
        'sel1._domainkey.auth.test DKIM: k=rsa 2048-bit key published',
        'ed._domainkey.auth.test DKIM: k=ed25519 key matches the given public key']


def test_dkim_mismatch(results, nsd):
    r = _failed(results['dkim mismatch'], status='mismatch')
    assert r['msg'].startswith('sel1._domainkey.auth.test TXT: expected the public half of %s (k=rsa), found another '
                               'key, p=MIIBIjANBgkq' % nsd.keys['other_path'])
    _failed(results['dkim wrong type'], status='mismatch',
            msg='ed._domainkey.auth.test TXT: expected the given public key (k=rsa), found a k=ed25519 key, p=%s...%s'
                % (nsd.keys['ed_p'][:12], nsd.keys['ed_p'][-8:]))


@pytest.mark.parametrize('case, status, msg', [
    ('dkim revoked', 'revoked',
     'revoked._domainkey.auth.test TXT: expected a DKIM key record, found a revoked key (empty p=): "v=DKIM1; k=rsa; p="'),
    ('dkim bad base64', 'malformed', 'badb64._domainkey.auth.test TXT: expected a DKIM key record, found "v=DKIM1; k=rsa; '
                                     'p=not*base64!": p= is not valid base64'),
    ('dkim bad k', 'malformed', 'badk._domainkey.auth.test TXT: expected a DKIM key record, found "v=DKIM1; k=dsa; p={ed}": '
                                'k=dsa is not a key type DKIM defines (rsa, ed25519)'),
    ('dkim bad v', 'malformed', 'badv._domainkey.auth.test TXT: expected a DKIM key record, found "v=DKIM2; k=rsa; p={ed}": '
                                'v= must be the first tag and DKIM1, found v=DKIM2'),
    ('dkim two records', 'malformed', 'twice._domainkey.auth.test TXT: expected one DKIM key record, found 2: '
                                      '"v=DKIM1; k=ed25519; p={ed}"; "v=DKIM1; k=ed25519; p="'),
    ('dkim not a key', 'malformed', 'notakey._domainkey.auth.test TXT: p= ({short}) is not a k=rsa public key: '
                                    'Could not deserialize key data'),
    ('dkim absent', 'absent',
     'nosuch._domainkey.auth.test TXT: expected a DKIM key record, found nothing: the name does not exist (NXDOMAIN)'),
    ('dkim servfail', 'servfail', 'mail._domainkey.broken.test TXT lookup failed: SERVFAIL from 127.0.0.1#{port}'),
    ('dkim timeout', 'timeout', 'sel1._domainkey.auth.test TXT lookup failed: timeout: no answer from '
                                '127.0.0.1#{dead} after 2 tries of 0.2 s'),
])
def test_dkim_failures_name_the_record(results, nsd, dead_port, case, status, msg):
    ed = nsd.keys['ed_p']
    _failed(results[case], status=status, msg=msg.format(ed=ed, short='%s...%s' % (ed[:12], ed[-8:]), port=nsd.port,
                                                         dead=dead_port))


@pytest.mark.parametrize('case, msg', [
    ('dkim private key in public_key',
     'domains[0] (auth.test): public_key holds a private key: give the public key, or private_key_path'),
    ('dkim unreadable key file', 'domains[0] (auth.test): private_key_path /nonexistent/dkim.key: cannot read a private '
                                 'key without passphrase: No such file or directory'),
    ('dkim no selector', 'domains[0] (auth.test): no selector: give selector for the entry or for all'),
])
def test_dkim_parameter_errors(results, case, msg):
    r = _failed(results[case], msg=msg)
    assert 'checks' not in r
    assert 'MC4=' not in str(r)  # key material is not echoed


# ---------------------------------------------------------------- dmarc_verify

def test_dmarc_ok_returns_policy_and_reporting(results):
    r = _ok(results['dmarc ok'], 'auth.test DMARC: policy quarantine, pct 50, rua mailto:dmarc@auth.test, '
                                 'mailto:agg@report.test!10m (_dmarc.auth.test)')
    assert (r['policy'], r['subdomain_policy'], r['pct']) == ('quarantine', 'none', 50)
    assert r['rua'] == ['mailto:dmarc@auth.test', 'mailto:agg@report.test!10m']
    assert r['ruf'] == ['mailto:ruf@auth.test']
    assert r['checks'][0]['found_at'] == '_dmarc.auth.test'


def test_dmarc_min_policy_reject(results):
    r = _ok(results['dmarc reject'], 'strict.auth.test DMARC: policy reject, pct 100, rua mailto:dmarc@auth.test '
                                     '(_dmarc.strict.auth.test)')
    assert r['subdomain_policy'] == 'reject'


def test_dmarc_subdomain_falls_back_to_the_organizational_domain(results):
    r = _ok(results['dmarc org fallback'])
    check = r['checks'][0]
    assert (check['organizational_domain'], check['found_at'], check['applied_policy']) == (
        'auth.test', '_dmarc.auth.test', 'none')
    assert r['msg'].endswith("(_dmarc.auth.test) (none at _dmarc.sub.auth.test; the organizational domain's record "
                             "applies)")
    _failed(results['dmarc org fallback weak'], status='weak',
            msg="sub.auth.test DMARC: expected policy quarantine or stronger, found sp=none in _dmarc.auth.test, the "
                "organizational domain's record (_dmarc.sub.auth.test does not exist): \"v=DMARC1; p=quarantine; "
                "sp=none; pct=50; rua=mailto:dmarc@auth.test,mailto:agg@report.test!10m; ruf=mailto:ruf@auth.test\"")


@pytest.mark.parametrize('case, status, msg', [
    ('dmarc weak', 'weak', '_dmarc.weak.auth.test TXT: expected policy quarantine or stronger, found p=none in '
                           '"v=DMARC1; p=none"'),
    ('dmarc bad p', 'invalid', '_dmarc.badp.auth.test TXT: expected a valid DMARC record, found "v=DMARC1; p=block": '
                               'p=block is not one of none, quarantine, reject'),
    ('dmarc no p', 'invalid', '_dmarc.nop.auth.test TXT: expected a valid DMARC record, found '
                              '"v=DMARC1; rua=mailto:dmarc@auth.test": no p= tag (the policy is required)'),
    ('dmarc v not first', 'invalid', '_dmarc.notfirst.auth.test TXT: expected a DMARC record, found "p=reject; '
                                     'v=DMARC1": it does not start with v=DMARC1, so receivers ignore it'),
    ('dmarc bad pct', 'invalid', '_dmarc.badpct.auth.test TXT: expected a valid DMARC record, found "v=DMARC1; '
                                 'p=reject; pct=150": pct=150 is not a number from 0 to 100'),
    ('dmarc bad uri', 'invalid', "_dmarc.baduri.auth.test TXT: expected a valid DMARC record, found \"v=DMARC1; "
                                 "p=reject; rua=dmarc@auth.test\": rua= holds 'dmarc@auth.test', not a URI "
                                 "(e.g. mailto:dmarc@example.org)"),
    ('dmarc two records', 'invalid', '_dmarc.two.auth.test TXT: expected one DMARC record, found 2: '
                                     '"v=DMARC1; p=reject"; "v=DMARC1; p=none"'),
    ('dmarc absent', 'absent', '_dmarc.nodmarc.test TXT: expected a DMARC record, found none (the name does not exist '
                               '(NXDOMAIN))'),
    ('dmarc absent sub', 'absent', '_dmarc.sub.nodmarc.test TXT: expected a DMARC record, found none (the name does not '
                                   'exist (NXDOMAIN)), nor at the organizational domain _dmarc.nodmarc.test (the name '
                                   'does not exist (NXDOMAIN))'),
    ('dmarc servfail', 'servfail', '_dmarc.broken.test TXT lookup failed: SERVFAIL from 127.0.0.1#{port}'),
    ('dmarc timeout', 'timeout', '_dmarc.auth.test TXT lookup failed: timeout: no answer from 127.0.0.1#{dead} after 2 '
                                 'tries of 0.2 s'),
])
def test_dmarc_failures_name_the_record(results, nsd, dead_port, case, status, msg):
    _failed(results[case], status=status, msg=msg.format(port=nsd.port, dead=dead_port))


def test_dmarc_many_domains(results):
    r = _failed(results['dmarc many'])
    assert [(c['domain'], c['status']) for c in r['checks']] == [
        ('auth.test', 'ok'), ('strict.auth.test', 'ok'), ('nodmarc.test', 'absent')]
    assert list(r['failures']) == ['nodmarc.test']


# ---------------------------------------------------------------- dnsbl_verify

def test_dnsbl_not_listed(results):
    r = _ok(results['dnsbl not listed'], 'none of 198.51.100.11, 2001:db8::10 listed on bl.test')
    assert [c['query'] for c in r['checks']] == [
        '11.100.51.198.bl.test', '0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test']
    assert [c['status'] for c in r['checks']] == ['not_listed', 'not_listed']
    assert r['listed'] == 0


def test_dnsbl_listed_names_zone_codes_and_reason(results):
    r = _failed(results['dnsbl listed'],
                msg='10.100.51.198.bl.test A: expected 198.51.100.10 not listed on bl.test, found 198.51.100.10 '
                    'listed: 127.0.0.2, 127.0.0.4 (TXT: "listed: spam seen from 198.51.100.10, see '
                    'https://bl.test/lookup")')
    assert [c['status'] for c in r['checks']] == ['listed', 'not_listed']
    assert r['checks'][0]['codes'] == ['127.0.0.2', '127.0.0.4']
    assert r['checks'][0]['reasons'] == ['listed: spam seen from 198.51.100.10, see https://bl.test/lookup']
    assert r['listed'] == 1
    assert list(r['failures']) == ['10.100.51.198.bl.test']


def test_dnsbl_refusal_code_is_not_a_listing(results):
    r = _failed(results['dnsbl refused code'], status='refused')
    assert r['listed'] == 0
    assert r['msg'] == ('12.100.51.198.bl.test: bl.test answered 127.255.255.254, an error code of the list (the query '
                        'was refused, e.g. through a public resolver), not a listing')


def test_dnsbl_zone_not_answering_is_not_not_listed(results, nsd, dead_port):
    r = _failed(results['dnsbl servfail'],
                msg='11.100.51.198.broken.test: broken.test did not answer, so whether 198.51.100.11 is listed is not '
                    'known: SERVFAIL from 127.0.0.1#%d' % nsd.port)
    assert [c['status'] for c in r['checks']] == ['unavailable', 'not_listed']
    _failed(results['dnsbl timeout'], status='unavailable',
            msg='11.100.51.198.bl.test: bl.test did not answer, so whether 198.51.100.11 is listed is not known: '
                'timeout: no answer from 127.0.0.1#%d after 2 tries of 0.2 s' % dead_port)


def test_dnsbl_bad_zone_is_a_parameter_error(results):
    r = _failed(results['dnsbl bad zone'])
    assert r['msg'].startswith("zones: bl..test (invalid DNS name 'bl..test'")
    assert 'checks' not in r
