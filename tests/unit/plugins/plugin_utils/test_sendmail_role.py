"""Unit tests of the sendmail role's file table (plugin_utils/_sendmail_role.py), built from a real merged policy:
every file once, in the order written, with its check, its rebuild and what it triggers, for two platforms."""

from pathlib import Path

import pytest

from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import build_policy, policy_texts
from ansible_collections.mailops.sendmail.plugins.plugin_utils._sendmail_role import (
    LISTEN_DEFAULTS, PLATFORM_KEYS, UNDEFINED, file_table, role_settings)

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
         'local-host-names', 'tls', 'tls-key', 'sasl-conf', 'saslauthd', 'mc']


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
    # The fixture's AUTH checks sasldb2: no saslauthd settings file.
    assert files['saslauthd']['each'] == []


def test_saslauthd_settings_are_written_where_the_platform_has_them_and_restart_saslauthd_only():
    data = dict(SETTINGS, auth=dict(SETTINGS['auth'], backend='saslauthd', users=[],
                                    saslauthd_defaults='/etc/default/saslauthd'))
    merged = build_policy(data)
    assert merged['errors'] == []
    files = by_id(file_table(policy_texts(merged), DEBIAN))
    assert files['saslauthd']['each'] == [{'path': '/etc/default/saslauthd', 'mode': '0644'}]
    assert files['saslauthd']['template'] == 'saslauthd-default.j2' and files['saslauthd']['triggers'] == ['saslauthd']


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


# -- role_settings: the settings from the role's variables ------------------------------------------------------

ROLE_DEFAULTS = __import__('yaml').safe_load((ROLE / 'defaults' / 'main.yml').read_text())


def settings(facts=None, **host):
    """role_settings over the role's defaults and these variables, as the policy action reads them."""
    values = dict(ROLE_DEFAULTS, __sendmail_version='8.17', __sendmail_sasl_conf='/etc/sasl2/Sendmail.conf', **host)
    return role_settings(lambda name: values.get(name, UNDEFINED), facts)


def test_the_defaults_give_a_valid_server_on_every_ipv4_address():
    data = settings()
    assert data['mode'] == 'server' and data['listen'] == LISTEN_DEFAULTS['server']
    assert data['sendmail_version'] == '8.17' and data['allow_open_relay'] is False
    merged = build_policy(data)
    assert merged['errors'] == [] and [entry['addr'] for entry in merged['listen']] == ['0.0.0.0']


def test_a_client_listens_on_loopback_and_a_given_listen_wins():
    assert settings(sendmail_mode='client')['listen'] == LISTEN_DEFAULTS['client'] == [
        {'name': 'MTA-v4', 'port': 'smtp', 'addr': '127.0.0.1'}]
    mine = [{'name': 'MTA-v6', 'port': 25, 'addr': '::'}]
    assert settings(sendmail_mode='client', sendmail_listen=mine)['listen'] == mine
    # A mode the policy refuses gets no default listener (the policy names sendmail_mode).
    assert settings(sendmail_mode=['server'])['listen'] == []
    assert "sendmail_mode: must be 'server' or 'client'" in build_policy(settings(sendmail_mode='relay'))['errors'][0]


def test_the_tls_pems_are_only_whether_given_and_the_realm_defaults_to_the_fqdn():
    data = settings({'fqdn': 'mx1.example.test'}, sendmail_tls_cert='-----BEGIN CERTIFICATE-----\nx', sendmail_tls_key='',
                    sendmail_tls_ca_dir='/etc/ssl/certs')
    assert (data['tls']['cert'], data['tls']['key'], data['tls']['ca']) == (True, False, False)
    assert data['tls']['ca_dir'] == '/etc/ssl/certs' and 'BEGIN' not in repr(data)
    assert data['auth']['realm'] == 'mx1.example.test' and data['auth']['conf_file'] == '/etc/sasl2/Sendmail.conf'
    assert settings({'fqdn': 'mx1.example.test'}, sendmail_auth_realm='example.test')['auth']['realm'] == 'example.test'
    assert settings()['auth']['realm'] == ''


def test_no_password_is_part_of_the_settings():
    data = settings(sendmail_auth_users=[{'name': 'alice', 'password': 'Pa55-never'}], sendmail_smart_host='relay.example.test',
                    sendmail_smart_host_auth_user='me', sendmail_smart_host_auth_password='Pa55-never')
    assert 'Pa55-never' not in repr(data) and 'users' not in data['auth'] and 'password' not in data['smart_host_auth']
    assert data['smart_host_auth']['user'] == 'me'


def test_the_dkim_milter_comes_first_and_a_bad_milters_value_goes_as_it_is():
    dkim = [{'name': 'opendkim', 'socket': 'inet:8891@127.0.0.1', 'flags': 'T'}]
    mine = [{'name': 'other', 'socket': 'local:/run/other.sock'}]
    assert settings(__dkim_sendmail_milters=dkim, sendmail_milters=mine)['milters'] == dkim + mine
    assert settings(sendmail_milters=mine)['milters'] == mine
    assert settings(__dkim_sendmail_milters=dkim, sendmail_milters='other')['milters'] == 'other'
    assert any(error.startswith('sendmail_milters') for error in build_policy(settings(sendmail_milters='other'))['errors'])


def test_every_variable_of_the_role_is_read_by_the_policy_step_or_used_by_a_task():
    """A sendmail_* variable of the role's argument spec that role_settings does not read is read by the policy
    action itself (a layered map, the SMTP AUTH users, the smart host's password, a PEM's text) or used by the
    role's tasks or templates: none falls through."""
    import yaml
    from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import LAYERED_KEYS
    read = set()
    role_settings(read.add, None)
    assert {'sendmail_mode', 'sendmail_listen', 'sendmail_tls_cipher_list', 'sendmail_smart_host_port'} <= read
    spec = yaml.safe_load((ROLE / 'meta' / 'argument_specs.yml').read_text())
    options = set(spec['argument_specs']['validate']['options'])
    assert read - {'__sendmail_version', '__sendmail_sasl_conf', '__sendmail_saslauthd_defaults',
                   '__dkim_sendmail_milters'} <= options
    by_action = {'sendmail_' + key for key in LAYERED_KEYS} | {'sendmail_auth_users', 'sendmail_smart_host_auth_password'}
    used = '\n'.join(path.read_text() for folder in ('tasks', 'templates', 'vars') for path in (ROLE / folder).iterdir())
    for name in sorted(options - read - by_action):
        assert name in used, name


def test_outside_the_role_an_undefined_variable_leaves_the_policys_default():
    """Without the role's defaults (the module used alone, with no settings): a server listening on every IPv4
    address, the policy's own defaults for the rest, and an explicit null still refused by its name."""
    data = role_settings(lambda name: UNDEFINED)
    assert data == {'listen': LISTEN_DEFAULTS['server'], 'tls': {'cert': False, 'key': False, 'ca': False},
                    'auth': {'realm': '', 'conf_file': '', 'saslauthd_defaults': ''}, 'smart_host_auth': {}}
    merged = build_policy(data)
    assert merged['errors'] == [] and [entry['addr'] for entry in merged['listen']] == ['0.0.0.0']
    dkim = [{'name': 'opendkim', 'socket': 'inet:8891@127.0.0.1', 'flags': 'T'}]
    assert role_settings(lambda name: dkim if name == '__dkim_sendmail_milters' else UNDEFINED)['milters'] == dkim
    assert "got None" in build_policy(role_settings(lambda name: None if name == 'sendmail_mode' else UNDEFINED))['errors'][0]


def test_the_platform_keys_are_the_options_of_the_action():
    from ansible_collections.mailops.sendmail.plugins.module_utils._policy_spec import ARGUMENT_SPEC
    assert sorted(ARGUMENT_SPEC['platform']['options']) == sorted(PLATFORM_KEYS)
