# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/verify_dns.yml (role mailops.sendmail.dns_check) run for real against NSD."""

from __future__ import annotations

import pytest

from dnslab import MAIL4, REPO, TARGET_PYTHON, run_playbook, task_results

A_TASK = 'Check that the mail server name resolves to its address'
MX_TASK = 'Check that the MX of every mail domain points at the server'
PTR_TASK = 'Check forward-confirmed reverse DNS of the server address'
ASSERT_TASK = 'Fail when a DNS check failed'


def _by_suffix(results, suffix):
    found = [r for name, r in results.items() if name.endswith(suffix)]
    assert len(found) == 1, sorted(results)
    return found[0]


@pytest.fixture(scope='session')
def role_run(nsd, tmp_path_factory):
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
            },
            # two addresses, of which the name publishes one: passes with subset only
            'mx4': {
                'fqdn_name': 'mail4.dnstest.test',
                'fqdn_ip': [MAIL4, '198.51.100.11'],
                'dns_check_a_match': 'subset',
                'sendmail_group_local_host_names': [],
            },
        },
    }}}}
    output, proc = run_playbook(tmp_path_factory.mktemp('role'), REPO / 'playbooks' / 'verify_dns.yml', inventory)
    return output, proc


def test_role_passes_for_a_good_server(role_run):
    output, _proc = role_run
    results = task_results(output, 'mx1')
    a = _by_suffix(results, A_TASK)
    assert a.get('failed') is not True, a['msg']
    assert a['addresses'] == [MAIL4]
    assert a['_ansible_delegated_vars']['ansible_host'] == 'localhost'  # dns_check_delegate: true (default)
    mx = _by_suffix(results, MX_TASK)
    # layers merged by name, absent entries skipped, in first-seen order
    assert [c['domain'] for c in mx['checks']] == ['good.dnstest.test', 'multi.dnstest.test', 'aliasdom.dnstest.test']
    assert mx.get('failed') is not True, mx['msg']
    assert mx['msg'] == 'all 3 domains verified'
    ptr = _by_suffix(results, PTR_TASK)
    assert ptr.get('failed') is not True, ptr['msg']
    assert ptr['checks'][0]['confirmed'] == ['mail.dnstest.test']
    final = _by_suffix(results, ASSERT_TASK)
    assert final.get('failed') is not True
    assert final['msg'] == 'DNS of mail.dnstest.test (198.51.100.10) verified'
    assert output['stats']['mx1']['failures'] == 0


def test_role_reports_every_failure_of_a_bad_server(role_run):
    output, _proc = role_run
    results = task_results(output, 'mx2')
    a = _by_suffix(results, A_TASK)
    assert a['failed'] is True
    assert a['_ansible_delegated_vars']['ansible_host'] == 'mx2'  # dns_check_delegate: false
    mx = _by_suffix(results, MX_TASK)
    assert sorted(mx['failures']) == ['nullmx.dnstest.test']
    assert _by_suffix(results, PTR_TASK)['skipped'] is True
    final = _by_suffix(results, ASSERT_TASK)
    assert final['failed'] is True
    assert final['msg'] == [
        'two.dnstest.test A: expected 198.51.100.10, found 198.51.100.10, 198.51.100.99 (unexpected: 198.51.100.99)',
        'nullmx.dnstest.test MX: expected an MX host resolving to 198.51.100.10, found a null MX '
        '(RFC 7505, "0 ."): the domain accepts no mail',
    ]
    assert output['stats']['mx2']['failures'] == 1


def test_role_without_domains_skips_the_mx_check(role_run):
    output, proc = role_run
    results = task_results(output, 'mx3')
    assert _by_suffix(results, MX_TASK)['skipped'] is True
    a = _by_suffix(results, A_TASK)
    assert a.get('failed') is not True, a['msg']
    assert a['msg'] == 'mail4.dnstest.test A: 198.51.100.10 as expected'
    assert output['stats']['mx3']['failures'] == 0
    assert proc.returncode == 2  # mx2 failed


def test_role_a_match_subset_accepts_a_name_with_some_of_the_addresses(role_run):
    output, _proc = role_run
    results = task_results(output, 'mx4')
    a = _by_suffix(results, A_TASK)
    assert a.get('failed') is not True, a['msg']
    assert a['msg'] == ('mail4.dnstest.test A: 198.51.100.10 as expected '
                        '(one or more of 198.51.100.10, 198.51.100.11)')
    assert a['checks'][0]['missing'] == ['198.51.100.11']
    assert output['stats']['mx4']['failures'] == 0
