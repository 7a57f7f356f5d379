"""The sendmail_policy action, run for real by ansible-playbook on localhost, against the filter.

The action reads sendmail_<layered key> from the host's variables; the filter
gets the same layers in one dict.  Both must give the same policy, the
action's with access, virtusertable and aliases as text (policy_texts).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import LAYERED_KEYS, policy_texts

BIN = Path(sys.executable).parent

LISTEN = [{'name': 'MTA', 'port': 'smtp', 'addr': '127.0.0.1'}]
LAYERS = {
    'sendmail_access': [{'key': 'From:{{ my_domain }}', 'action': 'REJECT'},
                        {'key': 'example.com', 'action': 'OK'}, {'key': '10.1', 'action': 'RELAY'}],
    'sendmail_group_access': '{{ group_access_list }}',            # a whole layer as one template
    'sendmail_host_access': [{'key': '10.1', 'state': 'absent'}, {'key': 'To:{{ my_domain }}', 'action': 'RELAY'}],
    'sendmail_virtusertable': [{'address': 'info@{{ my_domain }}', 'target': 'alice'},
                               {'address': '@example.com', 'target': 'error:nouser User unknown'}],
    'sendmail_host_virtusertable': [{'address': 'INFO@example.org', 'target': 'carol'}],
    'sendmail_aliases': [{'name': 'root', 'members': ['admin', 'ops@{{ my_domain }}']}],
    'sendmail_group_aliases': [{'name': 'abuse', 'members': 'root'}],
    'sendmail_relay_domains': ['{{ my_domain }}'],
    'sendmail_host_dnsbl': [{'zone': 'bl.{{ my_domain }}'}],
}
PLAY_VARS = dict(
    LAYERS,
    my_domain='example.org',
    listen=LISTEN,
    group_access_list=[{'key': 'Connect:192.0.2', 'action': 'RELAY'},
                       {'key': 'EXAMPLE.com', 'action': "{{ 'REJ' ~ 'ECT' }}"}],
    # The filter's input: the same layers, under the filter's keys.
    filter_input=dict({key: '{{ sendmail_%s }}' % key for key in LAYERED_KEYS if 'sendmail_' + key in LAYERS},
                      mode='server', listen='{{ listen }}'),
)
PLATFORM = dict(helper='/usr/local/sbin/mailops-sendmail', conf_dir='/etc/mail', conf_group='smmsp', map_type='hash',
                aliases_file='/etc/aliases')
POLICY_TASK = {'mailops.sendmail.sendmail_policy': {'settings': {'mode': 'server', 'listen': '{{ listen }}'}}}
PLAYBOOK = [{
    'name': 'The sendmail_policy action and filter',
    'hosts': 'localhost',
    'connection': 'local',
    'gather_facts': False,
    'vars': PLAY_VARS,
    'tasks': [
        dict(name='Action', register='merged', **POLICY_TASK),
        {'name': 'Filter', 'ansible.builtin.debug': {'msg': '{{ filter_input | mailops.sendmail.sendmail_policy }}'}},
        dict(name='Action in check mode', check_mode=True, **POLICY_TASK),
        dict(name='Action with errors', **POLICY_TASK, vars={
            'sendmail_host_access': [{'key': 'To:{{ my_domain }}', 'action': 'RELAY'},
                                     {'key': 'example.net', 'action': 'BOGUS'}],
            'sendmail_group_virtusertable': 'info@example.org alice',
            'sendmail_host_dnsbl': '{{ my_domain }}',
        }),
        dict(name='Action with a layer rendering to template text', ignore_errors=True, **POLICY_TASK, vars={
            'sendmail_host_dnsbl': '{% raw %}{{ not_a_template }}{% endraw %}',
        }),
        {'name': 'Action without settings', 'mailops.sendmail.sendmail_policy': {}},
        {'name': 'Action with the platform', 'register': 'with_platform', 'mailops.sendmail.sendmail_policy': dict(
            POLICY_TASK['mailops.sendmail.sendmail_policy'], platform=PLATFORM)},
        {'name': 'Action with a platform short of a path', 'ignore_errors': True, 'mailops.sendmail.sendmail_policy': dict(
            POLICY_TASK['mailops.sendmail.sendmail_policy'], platform=dict(PLATFORM, conf_dir=''))},
        {'name': 'Action with errors and the platform', 'vars': {'sendmail_host_dnsbl': '{{ my_domain }}'},
         'mailops.sendmail.sendmail_policy': dict(POLICY_TASK['mailops.sendmail.sendmail_policy'], platform=PLATFORM)},
    ],
}]


@pytest.fixture(scope='module')
def results(tmp_path_factory, ansible_json_env):
    """The result of each task of the playbook on localhost, by task name (run once for the module)."""
    tmp_path = tmp_path_factory.mktemp('policy_action')
    (tmp_path / 'play.yml').write_text(yaml.safe_dump(PLAYBOOK, sort_keys=False))
    proc = subprocess.run(
        [str(BIN / 'ansible-playbook'), '-i', 'localhost,', str(tmp_path / 'play.yml')],
        cwd=tmp_path, env=ansible_json_env(tmp_path), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tasks = json.loads(proc.stdout)['plays'][0]['tasks']
    return {task['task']['name']: task['hosts']['localhost'] for task in tasks}


def test_action_equals_policy_texts_of_the_filter(results):
    """The action's policy is the filter's result with the three maps as text."""
    action, filtered = results['Action']['policy'], results['Filter']['msg']
    assert action['errors'] == [] and filtered['errors'] == []
    assert action == policy_texts(filtered)


def test_texts_are_the_lines_of_the_filter_lists(results):
    action, filtered = results['Action']['policy'], results['Filter']['msg']
    assert action['access_text'] == ''.join(f"{e['key']}\t{e['action']}\n" for e in filtered['access'])
    assert action['virtusertable_text'] == ''.join(
        f"{e['address']}\t{e['target']}\n" for e in filtered['virtusertable'])
    assert action['aliases_text'] == ''.join(e['line'] + '\n' for e in filtered['aliases'])
    assert (action['access_count'], action['virtusertable_count'], action['aliases_count']) == (
        len(filtered['access']), len(filtered['virtusertable']), len(filtered['aliases']))
    for name in ('access', 'virtusertable', 'aliases'):
        assert name not in action


def test_templates_are_rendered(results):
    """Templated entries, a templated field and a layer given as one template all arrive rendered."""
    policy = results['Action']['policy']
    assert policy['access_text'] == ('From:example.org\tREJECT\n'
                                     'EXAMPLE.com\tREJECT\n'
                                     'Connect:192.0.2\tRELAY\n'
                                     'To:example.org\tRELAY\n')
    assert policy['virtusertable_text'] == 'info@example.org\tcarol\n@example.com\terror:nouser User unknown\n'
    assert policy['aliases_text'] == ('mailer-daemon: postmaster\npostmaster: root\n'
                                      'root: admin,ops@example.org\nabuse: root\n')
    assert policy['relay_domains'] == ['example.org']
    assert [d['zone'] for d in policy['dnsbl']] == ['bl.example.org']
    assert policy['listen'] == [{'name': 'MTA', 'port': 25, 'addr': '127.0.0.1', 'family': 'inet', 'modifiers': '', 'raw': False,
                                 'options': 'Family=inet, Name=MTA, Port=25, Addr=127.0.0.1'}]
    assert '{{' not in json.dumps(policy)


def test_errors_name_the_variable(results):
    """A bad entry is named sendmail_host_access[index]; a layer that is no list is named by its variable."""
    result = results['Action with errors']
    assert result['policy']['errors'] == [
        "sendmail_host_access[1] (key 'example.net'): unknown action 'BOGUS': "
        'use one of OK, RELAY, REJECT, DISCARD, SKIP, ERROR:"5NN text" or QUARANTINE:reason',
        'sendmail_group_virtusertable: must be a list, got a string',
        'sendmail_host_dnsbl: must be a list, got a string',
    ]
    # The task's host layer replaces the play's: 10.1 is no longer removed, the BOGUS entry is left out.
    assert result['policy']['access_text'] == ('From:example.org\tREJECT\nEXAMPLE.com\tREJECT\n10.1\tRELAY\n'
                                               'Connect:192.0.2\tRELAY\nTo:example.org\tRELAY\n')
    assert result['policy']['dnsbl'] == []
    assert result.get('failed', False) is False


@pytest.mark.parametrize('task', ['Action', 'Action in check mode', 'Action with errors'])
def test_action_changes_nothing(results, task):
    assert results[task]['changed'] is False
    assert 'skipped' not in results[task]


def test_check_mode_gives_the_same_policy(results):
    assert results['Action in check mode']['policy'] == results['Action']['policy']


def test_layer_rendering_to_template_text_is_reported(results):
    """A layer whose template renders to a string with "{{" in it is a string, not a list: an error, no failure."""
    result = results['Action with a layer rendering to template text']
    assert result.get('failed', False) is False, result.get('msg')
    assert result['policy']['errors'] == ['sendmail_host_dnsbl: must be a list, got a string']


def test_inline_vault_values_are_decrypted(tmp_path, ansible_json_env):
    """An entry field given as an inline !vault value is decrypted like any other template input."""
    password = tmp_path / 'vault-password'
    password.write_text('mailops-test\n')
    env = ansible_json_env(tmp_path)
    vaulted = subprocess.run([str(BIN / 'ansible-vault'), 'encrypt_string', '--vault-password-file', str(password),
                              'RELAY', '--name', 'action'], env=env, capture_output=True, text=True, check=True).stdout
    indented = ''.join('        ' + line + '\n' for line in vaulted.splitlines())
    (tmp_path / 'play.yml').write_text(
        '- hosts: localhost\n'
        '  connection: local\n'
        '  gather_facts: false\n'
        '  vars:\n'
        '    sendmail_host_access:\n'
        '      - key: "Connect:192.0.2.9"\n' + indented +
        '  tasks:\n'
        '    - name: Action\n'
        '      mailops.sendmail.sendmail_policy:\n'
        '        settings: {listen: [{name: MTA, port: smtp, addr: 127.0.0.1}]}\n')
    proc = subprocess.run([str(BIN / 'ansible-playbook'), '-i', 'localhost,', '--vault-password-file', str(password),
                           str(tmp_path / 'play.yml')], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    policy = json.loads(proc.stdout)['plays'][0]['tasks'][0]['hosts']['localhost']['policy']
    assert policy['errors'] == []
    assert 'Connect:192.0.2.9\tRELAY\n' in policy['access_text']


def test_a_policy_with_authinfo_passwords_stays_out_of_the_output(tmp_path, ansible_json_env):
    """AuthInfo entries hold passwords: the action's result is censored (no_log), the next task can
    still use it, and no output of ansible-playbook -vvv shows the password."""
    secret = 'pw-7f3a91c2'
    play = [{
        'hosts': 'localhost', 'connection': 'local', 'gather_facts': False,
        'vars': {'listen': LISTEN, 'sendmail_host_access': [
            {'key': 'AuthInfo:relay.example.com', 'action': f'"U:mailer" "P:{secret}" "M:PLAIN"'}]},
        'tasks': [dict(name='Action', register='merged', **POLICY_TASK),
                  {'name': 'Use it', 'ansible.builtin.assert': {
                      'that': ["merged.policy.secrets", f"'{secret}' in merged.policy.access_text"],
                      'quiet': True}}],
    }]
    (tmp_path / 'play.yml').write_text(yaml.safe_dump(play, sort_keys=False))
    env = dict(ansible_json_env(tmp_path), ANSIBLE_STDOUT_CALLBACK='default')
    proc = subprocess.run([str(BIN / 'ansible-playbook'), '-vvv', '-i', 'localhost,', str(tmp_path / 'play.yml')],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'censored' in proc.stdout
    assert secret not in proc.stdout + proc.stderr


def test_refuse_invalid_fails_with_every_error_and_the_host(tmp_path, ansible_json_env):
    """refuse_invalid: an invalid policy fails the task, its message names the host and every error, and
    stays readable when the same host's access map holds AuthInfo passwords (which censor a good result)."""
    secret = 'pw-51c0ffee'
    task = {'mailops.sendmail.sendmail_policy': dict(POLICY_TASK['mailops.sendmail.sendmail_policy'],
                                                     refuse_invalid=True)}
    play = [{
        'hosts': 'localhost', 'connection': 'local', 'gather_facts': False,
        'vars': {'listen': LISTEN, 'sendmail_host_access': [
            {'key': 'AuthInfo:relay.example.com', 'action': f'"U:mailer" "P:{secret}" "M:PLAIN"'},
            {'key': 'Connect:300.1.2.3', 'action': 'RELAY'}],
            'sendmail_host_virtusertable': [{'key': 'a@b@c', 'value': 'alice'}]},
        'tasks': [dict(name='Action', **task)],
    }]
    (tmp_path / 'play.yml').write_text(yaml.safe_dump(play, sort_keys=False))
    env = dict(ansible_json_env(tmp_path), ANSIBLE_STDOUT_CALLBACK='default')
    proc = subprocess.run([str(BIN / 'ansible-playbook'), '-i', 'localhost,', str(tmp_path / 'play.yml')],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert 'Invalid sendmail settings for localhost:' in out
    assert 'sendmail_host_access' in out and '300.1.2.3' in out
    assert 'sendmail_host_virtusertable' in out
    assert 'censored' not in out
    assert secret not in out
    # A valid policy with the same option passes and is censored as before.
    play[0]['vars']['sendmail_host_access'] = play[0]['vars']['sendmail_host_access'][:1]
    del play[0]['vars']['sendmail_host_virtusertable']
    (tmp_path / 'play.yml').write_text(yaml.safe_dump(play, sort_keys=False))
    proc = subprocess.run([str(BIN / 'ansible-playbook'), '-v', '-i', 'localhost,', str(tmp_path / 'play.yml')],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert secret not in proc.stdout + proc.stderr


def test_with_the_platform_the_action_returns_the_roles_file_table(results):
    from ansible_collections.mailops.sendmail.plugins.plugin_utils._sendmail_role import file_table
    result = results['Action with the platform']
    assert 'files' not in results['Action']
    assert result['files'] == file_table(result['policy'], PLATFORM)
    assert result['files'][1]['path'] == '/etc/mail/access'


def test_a_platform_short_of_a_path_is_refused_naming_it(results):
    result = results['Action with a platform short of a path']
    assert result['failed'] is True
    assert result['msg'] == ('platform: conf_dir missing or empty '
                             '(it needs helper, conf_dir, conf_group, map_type, aliases_file)')


def test_a_policy_with_errors_has_no_file_table(results):
    result = results['Action with errors and the platform']
    assert result['policy']['errors'] and 'files' not in result


def test_without_settings_the_action_reads_the_sendmail_variables_with_the_roles_defaults(results):
    """No settings and no role defaults: the host's sendmail_* variables (here only the layered maps), a server on
    every IPv4 address, and the same merged maps as with the settings given."""
    alone, given = results['Action without settings']['policy'], results['Action']['policy']
    assert alone['errors'] == []
    assert [(entry['name'], entry['addr']) for entry in alone['listen']] == [('MTA-v4', '0.0.0.0')]
    for key in ('access_text', 'virtusertable_text', 'aliases_text', 'relay_domains', 'dnsbl'):
        assert alone[key] == given[key], key
