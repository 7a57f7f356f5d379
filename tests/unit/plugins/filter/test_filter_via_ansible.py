"""The filters, run for real by ansible-playbook (subprocess), and their docs.

Uses the ansible-playbook and ansible-doc next to this Python, the
repository's ansible.cfg and the collection linked under .cache/collections.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
FILTERS = ['sendmail_policy', 'sendmail_listen_check', 'fqdn_errors']

PLAYBOOK = """\
- name: Run the mailops.sendmail policy filters
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Policy
      ansible.builtin.debug:
        msg: "{{ policy_input | mailops.sendmail.sendmail_policy }}"
    - name: Listen check
      ansible.builtin.debug:
        msg: "{{ (policy_input | mailops.sendmail.sendmail_policy).listen
                 | mailops.sendmail.sendmail_listen_check(ss_lines) }}"
    - name: FQDN check
      ansible.builtin.debug:
        msg: "{{ 'mail' | mailops.sendmail.fqdn_errors('192.0.2.25', ['ok', 'bad name']) }}"
"""

POLICY_INPUT = {
    'listen': [{'name': 'MTA', 'port': 'smtp', 'addr': '127.0.0.1'}, {'name': 'MSA', 'port': 587, 'addr': '::1'}],
    'access': [{'key': 'example.com', 'action': 'OK'}, {'key': '10.1', 'action': 'RELAY'}],
    'group_access': [{'key': 'EXAMPLE.com', 'action': 'REJECT'}],
    'host_access': [{'key': '192.168.1.0/24', 'action': 'RELAY'}, {'key': '10.1', 'state': 'absent'}],
    'aliases': [{'name': 'root', 'members': ['admin', ['ops@example.org']]}],
    'dnsbl': [{'zone': 'bl.example.net'}],
    'defines': {'confMAX_MESSAGE_SIZE': 1000, 'confDONT_PROBE_INTERFACES': True},
}
SS_LINES = [
    'LISTEN 0      4096       127.0.0.1:25        0.0.0.0:*    users:(("sendmail-mta",pid=12,fd=4))',
    'LISTEN 0      4096         0.0.0.0:587       0.0.0.0:*    users:(("sendmail-mta",pid=12,fd=5))',
    'LISTEN 0      128          0.0.0.0:22        0.0.0.0:*    users:(("sshd",pid=7,fd=3))',
]


@pytest.fixture(scope='module')
def task_results(tmp_path_factory, ansible_json_env):
    """The msg of each task of the playbook, run once for the module."""
    tmp_path = tmp_path_factory.mktemp('via_ansible')
    (tmp_path / 'play.yml').write_text(PLAYBOOK)
    (tmp_path / 'vars.json').write_text(json.dumps({'policy_input': POLICY_INPUT, 'ss_lines': SS_LINES}))
    proc = subprocess.run(
        [str(BIN / 'ansible-playbook'), '-i', 'localhost,', '-e', f'@{tmp_path / "vars.json"}',
         str(tmp_path / 'play.yml')],
        cwd=tmp_path, env=ansible_json_env(tmp_path), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tasks = json.loads(proc.stdout)['plays'][0]['tasks']
    return {task['task']['name']: task['hosts']['localhost']['msg'] for task in tasks}


def test_policy_through_ansible(task_results):
    result = task_results['Policy']
    assert result['errors'] == [
        "sendmail_host_access[0] (key '192.168.1.0/24'): CIDR is not supported by the access map; "
        "use the prefix '192.168.1'"]
    assert result['access'] == [{'key': 'EXAMPLE.com', 'action': 'REJECT'}]
    assert [a['line'] for a in result['aliases']] == [
        'mailer-daemon: postmaster', 'postmaster: root', 'root: admin,ops@example.org']
    assert result['listen'] == [
        {'name': 'MTA', 'port': 25, 'addr': '127.0.0.1', 'family': 'inet', 'modifiers': '', 'raw': False,
         'options': 'Family=inet, Name=MTA, Port=25, Addr=127.0.0.1'},
        {'name': 'MSA', 'port': 587, 'addr': '::1', 'family': 'inet6', 'modifiers': '', 'raw': False,
         'options': 'Family=inet6, Name=MSA, Port=587, Addr=::1'},
    ]
    assert result['dnsbl'][0]['mc'] == '``"550 5.7.1 Rejected: " $&{client_addr} " listed at bl.example.net"'"''"
    assert result['defines'] == [{'name': 'confDONT_PROBE_INTERFACES', 'value': 'True'},
                                 {'name': 'confMAX_MESSAGE_SIZE', 'value': '1000'}]


def test_listen_check_through_ansible(task_results):
    assert task_results['Listen check'] == [
        'sendmail does not listen on [::1]:587 (configured in sendmail_listen)',
        'sendmail listens on 0.0.0.0:587, which sendmail_listen does not configure',
    ]


def test_fqdn_errors_through_ansible(task_results):
    assert task_results['FQDN check'] == [
        "fqdn_name ('mail'): needs at least 2 labels (a fully qualified name)",
        "fqdn_aliases[1] ('bad name'): not a valid host/domain name: bad characters ' ' (space)",
    ]


@pytest.mark.parametrize('name', FILTERS)
def test_filter_documentation(name, tmp_path, ansible_json_env):
    proc = subprocess.run(
        [str(BIN / 'ansible-doc'), '-t', 'filter', '--json', f'mailops.sendmail.{name}'],
        cwd=tmp_path, env=ansible_json_env(tmp_path), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)[f'mailops.sendmail.{name}']
    assert doc['doc']['name'] == name
    assert doc['examples'].strip()
    assert '_value' in doc['return']
