# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/verify_dns.yml (role mailops.sendmail.dns_check) run for real against NSD."""

from __future__ import annotations

import json

import pytest

from dnslab import MAIL4, MAIL6, REPO, TARGET_PYTHON, run_playbook, task_results

CHECK_TASK = 'Check the DNS of the mail server (A, MX, PTR, SPF, DKIM, DMARC, DNSBL)'
SUMMARY_TASK = 'Keep the summary of the DNS checks'
ASSERT_TASK = 'Show the summary of the DNS checks, failing when a check failed'
TABLE_TASK = ASSERT_TASK


def _by_suffix(results, suffix):
    found = [r for name, r in results.items() if name.endswith(suffix)]
    assert len(found) == 1, sorted(results)
    return found[0]


def _check(results, check):
    """One check's own result inside the one call (what its single module returns)."""
    return _by_suffix(results, CHECK_TASK)['check_results'][check]


@pytest.fixture(scope='session')
def role_run(nsd, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('role')
    inventory = {'all': {'children': {'mail_servers': {
        'vars': {
            'ansible_connection': 'local',
            'ansible_python_interpreter': TARGET_PYTHON,
            'dns_check_nameservers': ['127.0.0.1'],
            'dns_check_port': nsd.port,
            'dns_check_timeout': 2,
            'dns_check_retries': 0,
            'sendmail_group_local_host_names': [{'name': 'wrong.dnstest.test'}, 'multi.dnstest.test'],
        },
        'hosts': {
            'mx1': {
                'fqdn_name': 'mail.dnstest.test',
                'fqdn_ip': MAIL4,
                'dns_check_ptr': True,
                'sendmail_local_host_names': ['Good.dnstest.test', {'name': 'nullmx.dnstest.test', 'state': 'absent'}],
                # the host layer drops what the group layer added
                'sendmail_host_local_host_names': [{'name': 'WRONG.dnstest.test.', 'state': 'absent'},
                                                   'aliasdom.dnstest.test'],
                'dns_check_dkim_keys': [{'domain': 'auth.test', 'selector': 'sel1',
                                         'private_key_path': nsd.keys['rsa_path']}],
                'dns_check_dnsbl_zones': ['clean.bl.test'],  # in NSD's bl.test zone, and empty
            },
            'mx2': {
                'fqdn_name': 'two.dnstest.test',
                'fqdn_ip': MAIL4,
                'dns_check_delegate': False,
                'sendmail_local_host_names': ['good.dnstest.test', 'nullmx.dnstest.test'],
                'sendmail_group_local_host_names': [],
            },
            'mx3': {
                'fqdn_name': 'mail4.dnstest.test',
                'fqdn_ip': MAIL4,
                'sendmail_group_local_host_names': [],
                'dns_check_spf': False,
            },
            # two addresses, of which the name publishes one: passes with subset only
            'mx4': {
                'fqdn_name': 'mail4.dnstest.test',
                'fqdn_ip': [MAIL4, '198.51.100.11'],
                'dns_check_a_match': 'subset',
                'sendmail_group_local_host_names': [],
            },
            # every mail-authentication check fails in one way, the rest passes; the summary as JSON
            'mx5': {
                'fqdn_name': 'mail.auth.test',
                'fqdn_ip': [MAIL4, MAIL6],
                'sendmail_group_local_host_names': [],
                'sendmail_host_local_host_names': ['spf-mx.auth.test', 'strict.auth.test'],
                'dns_check_dmarc_min_policy': 'quarantine',
                'dns_check_dkim_keys': [
                    {'domain': 'auth.test', 'selector': 'sel1', 'private_key_path': nsd.keys['other_path']},
                    {'domain': 'auth.test', 'selector': 'revoked'}],
                'dns_check_dnsbl_zones': ['bl.test'],
                'dns_check_summary_path': str(tmp / 'summary-{{ inventory_hostname }}.json'),
            },
        },
    }}}}
    output, proc = run_playbook(tmp, REPO / 'playbooks' / 'verify_dns.yml', inventory)
    return output, proc, tmp


def test_role_passes_for_a_good_server(role_run):
    output, _proc, _tmp = role_run
    results = task_results(output, 'mx1')
    call = _by_suffix(results, CHECK_TASK)
    assert call['_ansible_delegated_vars']['ansible_host'] == 'localhost'  # dns_check_delegate: true (default)
    assert call['failures'] == []
    a = _check(results, 'a')
    assert a.get('failed') is not True, a['msg']
    assert a['addresses'] == [MAIL4]
    mx = _check(results, 'mx')
    # layers merged by name, absent entries skipped, in first-seen order
    assert [c['domain'] for c in mx['checks']] == ['good.dnstest.test', 'multi.dnstest.test', 'aliasdom.dnstest.test']
    assert mx.get('failed') is not True, mx['msg']
    assert mx['msg'] == 'all 3 domains verified'
    ptr = _check(results, 'ptr')
    assert ptr.get('failed') is not True, ptr['msg']
    assert ptr['checks'][0]['confirmed'] == ['mail.dnstest.test']
    final = _by_suffix(results, ASSERT_TASK)
    assert final.get('failed') is not True
    assert final['msg'][0] == 'DNS of mail.dnstest.test (198.51.100.10): 13 passed, 0 failed, 0 skipped'
    assert output['stats']['mx1']['failures'] == 0


def test_role_reports_every_failure_of_a_bad_server(role_run):
    output, _proc, _tmp = role_run
    results = task_results(output, 'mx2')
    call = _by_suffix(results, CHECK_TASK)
    assert call['_ansible_delegated_vars']['ansible_host'] == 'mx2'  # dns_check_delegate: false
    assert call.get('failed') is not True  # the host fails at the summary, after it is shown
    a = _check(results, 'a')
    assert a['failed'] is True
    mx = _check(results, 'mx')
    assert sorted(mx['failures']) == ['nullmx.dnstest.test']
    assert _check(results, 'ptr')['skipped'] is True
    final = _by_suffix(results, ASSERT_TASK)
    assert final['failed'] is True
    # the summary table, then each failed check's message (as its single module fails with)
    assert final['msg'][0] == 'DNS of two.dnstest.test (198.51.100.10): 4 passed, 3 failed, 3 skipped'
    assert [line.split()[:3] for line in final['msg'][2:]] == [
        ['A', 'two.dnstest.test', 'fail'], ['MX', 'good.dnstest.test', 'pass'], ['MX', 'nullmx.dnstest.test', 'fail'],
        ['PTR', '-', 'skipped'], ['SPF', 'good.dnstest.test', 'pass'], ['SPF', 'nullmx.dnstest.test', 'fail'],
        ['DKIM', '-', 'skipped'], ['DMARC', 'good.dnstest.test', 'pass'], ['DMARC', 'nullmx.dnstest.test', 'pass'],
        ['DNSBL', '-', 'skipped']]
    assert call['failures'] == [
        'two.dnstest.test A: expected 198.51.100.10, found 198.51.100.10, 198.51.100.99 (unexpected: 198.51.100.99)',
        'nullmx.dnstest.test MX: expected an MX host resolving to 198.51.100.10, found a null MX '
        '(RFC 7505, "0 ."): the domain accepts no mail',
        'nullmx.dnstest.test SPF for 198.51.100.10: expected pass, found none (no "v=spf1" TXT record at '
        'nullmx.dnstest.test)',
    ]
    assert output['stats']['mx2']['failures'] == 1


def test_role_without_domains_skips_the_mx_check(role_run):
    output, proc, _tmp = role_run
    results = task_results(output, 'mx3')
    assert _check(results, 'mx')['skipped'] is True
    a = _check(results, 'a')
    assert a.get('failed') is not True, a['msg']
    assert a['msg'] == 'mail4.dnstest.test A: 198.51.100.10 as expected'
    assert output['stats']['mx3']['failures'] == 0
    assert proc.returncode == 2  # mx2 failed


def test_role_a_match_subset_accepts_a_name_with_some_of_the_addresses(role_run):
    output, _proc, _tmp = role_run
    results = task_results(output, 'mx4')
    a = _check(results, 'a')
    assert a.get('failed') is not True, a['msg']
    assert a['msg'] == ('mail4.dnstest.test A: 198.51.100.10 as expected '
                        '(one or more of 198.51.100.10, 198.51.100.11)')
    assert a['checks'][0]['missing'] == ['198.51.100.11']
    assert output['stats']['mx4']['failures'] == 0


def _summary(results):
    return [(r['check'], r['item'], r['result']) for r in _by_suffix(results, SUMMARY_TASK)[
        'ansible_facts']['dns_check_summary']['checks']]


def test_role_summary_of_a_good_server_is_all_green(role_run, nsd):
    output, _proc, _tmp = role_run
    results = task_results(output, 'mx1')
    assert _summary(results) == [
        ('A', 'mail.dnstest.test', 'pass'),
        ('MX', 'good.dnstest.test', 'pass'), ('MX', 'multi.dnstest.test', 'pass'), ('MX', 'aliasdom.dnstest.test', 'pass'),
        ('PTR', MAIL4, 'pass'),
        ('SPF', 'good.dnstest.test', 'pass'), ('SPF', 'multi.dnstest.test', 'pass'),
        ('SPF', 'aliasdom.dnstest.test', 'pass'),
        ('DKIM', 'sel1._domainkey.auth.test', 'pass'),
        ('DMARC', 'good.dnstest.test', 'pass'), ('DMARC', 'multi.dnstest.test', 'pass'),
        ('DMARC', 'aliasdom.dnstest.test', 'pass'),
        ('DNSBL', '10.100.51.198.clean.bl.test', 'pass')]
    table = _by_suffix(results, TABLE_TASK)['msg']
    assert table[0] == 'DNS of mail.dnstest.test (198.51.100.10): 13 passed, 0 failed, 0 skipped'
    assert table[1].split() == ['check', 'item', 'result', 'reason']
    assert table[2] == ('A      mail.dnstest.test           pass    mail.dnstest.test A: 198.51.100.10 as expected')
    assert table[10] == ('DKIM   sel1._domainkey.auth.test   pass    sel1._domainkey.auth.test DKIM: k=rsa 2048-bit key '
                         'matches the public half of %s' % nsd.keys['rsa_path'])


def test_role_switched_off_and_empty_checks_are_skipped_with_the_reason(role_run):
    output, _proc, _tmp = role_run
    table = _by_suffix(task_results(output, 'mx3'), TABLE_TASK)['msg']
    assert table[0] == 'DNS of mail4.dnstest.test (198.51.100.10): 1 passed, 0 failed, 6 skipped'
    assert [line.split(None, 3)[3] for line in table[3:]] == [
        'no mail domains (sendmail_*local_host_names)', 'dns_check_ptr is false', 'dns_check_spf is false',
        'no dns_check_dkim_keys', 'no mail domains', 'no dns_check_dnsbl_zones']
    for task in ('spf', 'dkim', 'dmarc', 'dnsbl'):
        assert _by_suffix(task_results(output, 'mx3'), CHECK_TASK)['check_results'][task]['skipped'] is True


def test_role_summary_names_every_failure_and_is_written_as_json(role_run, nsd):
    output, _proc, tmp = role_run
    results = task_results(output, 'mx5')
    summary = _by_suffix(results, SUMMARY_TASK)['ansible_facts']['dns_check_summary']
    assert [(r['check'], r['item'], r['result']) for r in summary['checks']] == [
        ('A', 'mail.auth.test', 'pass'),
        ('MX', 'spf-mx.auth.test', 'pass'), ('MX', 'strict.auth.test', 'pass'),
        ('PTR', '-', 'skipped'),
        ('SPF', 'spf-mx.auth.test', 'pass'), ('SPF', 'strict.auth.test', 'fail'),
        ('DKIM', 'sel1._domainkey.auth.test', 'fail'), ('DKIM', 'revoked._domainkey.auth.test', 'fail'),
        ('DMARC', 'spf-mx.auth.test', 'fail'), ('DMARC', 'strict.auth.test', 'pass'),
        ('DNSBL', '10.100.51.198.bl.test', 'fail'),
        ('DNSBL', '0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test', 'pass')]
    assert (summary['passed'], summary['failed'], summary['skipped']) == (6, 5, 1)
    reasons = dict(((r['check'], r['item']), r['reason']) for r in summary['checks'])
    assert reasons[('SPF', 'strict.auth.test')] == (
        'strict.auth.test SPF for 198.51.100.10: expected pass, found none (no "v=spf1" TXT record at strict.auth.test); '
        'strict.auth.test SPF for 2001:db8::10: expected pass, found none (no "v=spf1" TXT record at strict.auth.test)')
    assert reasons[('DKIM', 'sel1._domainkey.auth.test')].startswith(
        'sel1._domainkey.auth.test TXT: expected the public half of %s (k=rsa), found another key' % nsd.keys['other_path'])
    assert reasons[('DKIM', 'revoked._domainkey.auth.test')].endswith('found a revoked key (empty p=): "v=DKIM1; k=rsa; p="')
    assert reasons[('DMARC', 'spf-mx.auth.test')].startswith(
        'spf-mx.auth.test DMARC: expected policy quarantine or stronger, found sp=none in _dmarc.auth.test')
    assert reasons[('DNSBL', '10.100.51.198.bl.test')].startswith(
        '10.100.51.198.bl.test A: expected 198.51.100.10 not listed on bl.test, found 198.51.100.10 listed: 127.0.0.2')
    # the same as JSON, in the file the inventory names (templated per host)
    written = json.loads((tmp / 'summary-mx5.json').read_text())
    assert written == summary
    assert not (tmp / 'summary-mx1.json').exists()
    final = _by_suffix(results, ASSERT_TASK)
    assert final['failed'] is True and final['msg'] == _by_suffix(results, CHECK_TASK)['table']
    assert len(_by_suffix(results, CHECK_TASK)['failures']) == 4  # SPF, DKIM, DMARC, DNSBL: one message each
    assert output['stats']['mx5']['failures'] == 1
