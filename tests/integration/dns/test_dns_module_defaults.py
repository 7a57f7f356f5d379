# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The action group mailops.sendmail.dns (meta/runtime.yml): module_defaults set for the group
reach every DNS module (a_verify, mx_verify, ptr_verify and the mail-authentication checks), in the controller's worker and as a module, and an
option given in the task wins. Without the group, ansible-playbook refuses the playbook before
any task runs, so no query leaves the machine."""

from __future__ import annotations

import pytest

from dnslab import MAIL4, run_playbook

GROUP = 'group/mailops.sendmail.dns'
# nameservers, port, timeout and retries come only from module_defaults
TASKS = [
    {'name': 'a', 'mailops.sendmail.a_verify': {'name': 'mail.dnstest.test', 'expected': [MAIL4]}},
    {'name': 'mx', 'mailops.sendmail.mx_verify': {'domain': 'good.dnstest.test', 'expected': [MAIL4]}},
    {'name': 'ptr', 'mailops.sendmail.ptr_verify': {'address': MAIL4, 'expected_name': 'mail.dnstest.test'}},
    {'name': 'spf', 'mailops.sendmail.spf_verify': {'domain': 'good.dnstest.test', 'addresses': [MAIL4]}},
    {'name': 'dkim', 'mailops.sendmail.dkim_verify': {'domain': 'auth.test', 'selector': 'ed'}},
    {'name': 'dmarc', 'mailops.sendmail.dmarc_verify': {'domain': 'good.dnstest.test'}},
    {'name': 'dnsbl', 'mailops.sendmail.dnsbl_verify': {'addresses': ['198.51.100.11'], 'zones': ['bl.test']}},
]
MSGS = {
    'a': 'mail.dnstest.test A: 198.51.100.10 as expected',
    'mx': 'good.dnstest.test MX: 10 mail4.dnstest.test (198.51.100.10) as expected',
    'ptr': '10.100.51.198.in-addr.arpa PTR: mail.dnstest.test, which resolves back to 198.51.100.10',
    'spf': 'good.dnstest.test SPF: 198.51.100.10 pass as expected (mx matched in "v=spf1 mx -all" at good.dnstest.test)',
    'dkim': 'ed._domainkey.auth.test DKIM: k=ed25519 key published',
    'dmarc': ("good.dnstest.test DMARC: policy none, pct 100, rua mailto:dmarc@dnstest.test (_dmarc.dnstest.test) "
              "(none at _dmarc.good.dnstest.test; the organizational domain's record applies)"),
    'dnsbl': 'none of 198.51.100.11 listed on bl.test',
}


def _tasks(prefix, **extra):
    tasks = []
    for task in TASKS:
        task = {k: (dict(v) if isinstance(v, dict) else v) for k, v in task.items()}
        task['name'] = prefix + task['name']
        task.update(extra)
        tasks.append(task)
    return tasks


@pytest.fixture(scope='module')
def group_run(nsd, dead_port, tmp_path_factory):
    good = {'nameservers': ['127.0.0.1'], 'port': nsd.port, 'timeout': 2, 'retries': 0}
    dead = {'nameservers': ['127.0.0.1'], 'port': dead_port, 'timeout': 0.2, 'retries': 0}
    plays = [
        {'name': 'defaults for the group', 'hosts': 'localhost', 'gather_facts': False,
         'module_defaults': {GROUP: good},
         'tasks': _tasks('worker ') + _tasks('async ', **{'async': 30, 'poll': 1})},
        {'name': 'defaults that point nowhere', 'hosts': 'localhost', 'gather_facts': False,
         'module_defaults': {GROUP: dead},
         'tasks': _tasks('dead ', ignore_errors=True) + [
             {'name': 'task wins', 'mailops.sendmail.a_verify': {'name': 'mail.dnstest.test', 'expected': [MAIL4],
                                                                 'port': nsd.port, 'timeout': 2}}]},
    ]
    output, proc = run_playbook(tmp_path_factory.mktemp('group'), plays)
    results = {}
    for play in output['plays']:
        for task in play['tasks']:
            results[task['task']['name']] = task['hosts']['localhost']
    return results, proc


@pytest.mark.parametrize('prefix', ['worker ', 'async '])
@pytest.mark.parametrize('task', sorted(MSGS))
def test_group_module_defaults_reach_the_module(group_run, prefix, task):
    """In the worker (the controller's Python) and as a module (async)."""
    results, proc = group_run
    result = results[prefix + task]
    assert result.get('failed') is not True, (result.get('msg'), proc.stderr[-2000:])
    assert result['msg'] == MSGS[task]


@pytest.mark.parametrize('task', sorted(MSGS))
def test_the_values_come_from_the_group_defaults(group_run, dead_port, task):
    """Defaults for the group pointing at a port where nothing answers make every module time out there."""
    results, _proc = group_run
    result = results['dead ' + task]
    assert result['failed'] is True
    # (the SPF result and the blocklist word it in their own sentence, with the same lookup failure)
    assert 'timeout: no answer from 127.0.0.1#%d after 1 try of 0.2 s' % dead_port in result['msg'], result['msg']


def test_an_option_in_the_task_wins_over_the_group_defaults(group_run):
    results, _proc = group_run
    result = results['task wins']
    assert result.get('failed') is not True, result.get('msg')
    assert result['msg'] == MSGS['a']
