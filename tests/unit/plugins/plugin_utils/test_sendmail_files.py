"""Unit tests of the sendmail role's file table (plugin_utils/_sendmail_files.py), built from a real merged policy:
every file once, in the order written, with its check, its rebuild and what it triggers, for two platforms."""

from pathlib import Path

import pytest

from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import build_policy, policy_texts
from ansible_collections.mailops.sendmail.plugins.plugin_utils._sendmail_files import PLATFORM_KEYS, file_table

ROLE = Path(__file__).resolve().parents[4] / 'roles' / 'sendmail'
DEBIAN = dict(helper='/usr/local/sbin/mailops-sendmail', conf_dir='/etc/mail', conf_group='smmsp', map_type='hash',
              aliases_file='/etc/aliases')
REDHAT = dict(DEBIAN, conf_group='root', aliases_file='/etc/mail/aliases')
SETTINGS = {
    'mode': 'server', 'listen': [{'name': 'MTA-v4', 'port': 'smtp', 'addr': '0.0.0.0'}],
    'relay_domains': ['example.test'], 'local_host_names': ['example.test', 'mx1.example.test'],
    'alias_files': [{'path': '/etc/mail/lists/staff', 'members': ['alice', 'bob']}],
    'dnsbl': [{'zone': 'bl.example.test'}],
    'tls': {'cert': True, 'key': True, 'ca': True, 'ca_dir': '/etc/ssl/certs'},
    'auth': {'enabled': True, 'mechanisms': ['PLAIN'], 'submission': True, 'realm': 'mx1.example.test',
             'conf_file': '/etc/sasl2/Sendmail.conf'},
}
ORDER = ['helper', 'access', 'virtusertable', 'mailertable', 'genericstable', 'lists', 'aliases', 'relay-domains',
         'local-host-names', 'tls', 'tls-key', 'sasl-conf', 'mc']


@pytest.fixture(scope='module')
def policy():
    merged = build_policy(SETTINGS)
    assert merged['errors'] == []
    return policy_texts(merged)


def by_id(table):
    return {entry['id']: entry for entry in table}


@pytest.mark.parametrize('platform', [DEBIAN, REDHAT], ids=['debian', 'redhat'])
def test_every_file_once_in_the_order_written_with_the_platforms_paths(policy, platform):
    table = file_table(policy, platform)
    assert [entry['id'] for entry in table] == ORDER
    files = by_id(table)
    assert files['helper'] == dict(id='helper', path=platform['helper'], file='mailops-sendmail', owner='root',
                                   group='root', mode='0755', phase=0, backup=False)
    for name in ('access', 'virtusertable', 'mailertable', 'genericstable'):
        path = '/etc/mail/' + name
        assert files[name]['path'] == path and files[name]['template'] == name + '.j2'
        assert files[name]['validate'] == [platform['helper'], 'check-map', 'hash', '%s']
        assert files[name]['post_command'] == [platform['helper'], 'build-map', 'hash', path]
        assert files[name]['built'] == path + '.db' and files[name]['keep_attributes'] is True
        assert files[name]['group'] == ('root' if name == 'access' else platform['conf_group'])
    # The access map holds AuthInfo passwords: root's alone, and --diff hides those lines.
    assert files['access']['mode'] == '0600' and files['access']['diff_hide'] == '(?i)^AuthInfo:'
    assert files['aliases']['path'] == platform['aliases_file']
    assert files['aliases']['post_command'] == ['newaliases', '-oA' + platform['aliases_file']]
    assert files['aliases']['built'] == platform['aliases_file'] + '.db'


def test_lists_tls_and_sasl_are_one_file_per_item_and_the_key_is_secret(policy):
    files = by_id(file_table(policy, DEBIAN))
    assert [item['path'] for item in files['lists']['each']] == ['/etc/mail/lists/staff']
    assert files['tls']['each'] and not any(item.get('secret') for item in files['tls']['each'])
    assert [item['var'] for item in files['tls-key']['each']] == ['sendmail_tls_key']
    assert files['tls-key']['secret'] is True and 'secret' not in files['tls']
    assert [item['path'] for item in files['sasl-conf']['each']] == ['/etc/sasl2/Sendmail.conf']


def test_what_sendmail_reads_at_start_restarts_it_and_the_mc_checks_its_requirements(policy):
    files = by_id(file_table(policy, DEBIAN))
    restart = sorted(name for name, entry in files.items() if entry.get('triggers') == ['restart'])
    assert restart == ['local-host-names', 'mc', 'relay-domains', 'sasl-conf', 'tls', 'tls-key']
    assert files['relay-domains']['vars'] == {'__sendmail_class_names': ['example.test']}
    assert files['local-host-names']['vars'] == {'__sendmail_class_names': ['example.test', 'mx1.example.test']}
    requirements = policy['cf_requirements']
    assert any('bl.example.test' in item for item in requirements), requirements
    assert files['mc']['validate'] == [DEBIAN['helper'], 'check-mc', '%s'] + requirements
    assert files['mc']['post_command'] == [DEBIAN['helper'], 'build-cf', '/etc/mail/sendmail.mc',
                                           '/etc/mail/sendmail.cf'] + requirements


def test_every_template_and_file_the_table_names_is_in_the_role(policy):
    for entry in file_table(policy, DEBIAN):
        if 'template' in entry:
            assert (ROLE / 'templates' / entry['template']).is_file(), entry['template']
        else:
            assert (ROLE / 'files' / entry['file']).is_file(), entry['file']


def test_the_platform_keys_are_those_the_role_passes():
    """tasks/validate.yml passes __sendmail_platform, which vars/main.yml spells with exactly these keys."""
    import yaml
    platform = yaml.safe_load((ROLE / 'vars' / 'main.yml').read_text())['__sendmail_platform']
    assert sorted(platform) == sorted(PLATFORM_KEYS)
