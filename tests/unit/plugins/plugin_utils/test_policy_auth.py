"""Unit tests of build_policy: SMTP AUTH and submission on 587 (sendmail_auth_*): the mc defines, the MSA
listener, the users by name and state, and each refusal, none of which quotes a password."""

import base64

import pytest

from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import build_policy

LISTEN = [{'name': 'MTA-v4', 'port': 'smtp', 'addr': '0.0.0.0'}]
TLS = {'cert': True, 'key': True, 'ca': True, 'ca_dir': '/etc/ssl/certs'}
SECRET = 'Pa55-w0rd-never-shown'


def run(auth, tls=None, **data):
    tls = TLS if tls is None else tls
    auth = dict({'enabled': True, 'mechanisms': ['PLAIN', 'LOGIN'], 'submission': True, 'realm': 'mx1.example.com',
                 'conf_file': '/etc/sasl2/Sendmail.conf'}, **auth)
    return build_policy(dict({'mode': 'server', 'listen': LISTEN, 'tls': tls, 'auth': auth}, **data))


def only_error(auth, **data):
    found = run(auth, **data)['errors']
    assert len(found) == 1, found
    assert SECRET not in found[0]
    return found[0]


def test_auth_gives_the_defines_the_msa_and_the_users_without_passwords():
    result = run({'users': [{'name': 'alice', 'password': SECRET}, {'name': 'bob', 'state': 'absent'}]})
    assert result['errors'] == []
    auth = result['auth']
    assert auth['enabled'] is True
    assert auth['defines'] == [{'name': 'confAUTH_OPTIONS', 'value': 'A p'},
                               {'name': 'confAUTH_MECHANISMS', 'value': 'PLAIN LOGIN'},
                               {'name': 'confAUTH_REALM', 'value': 'mx1.example.com'}]
    assert auth['trust'] == 'PLAIN LOGIN' and auth['mechanisms'] == 'PLAIN LOGIN'
    assert auth['files'] == [{'path': '/etc/sasl2/Sendmail.conf', 'mode': '0644'}]
    assert auth['users'] == [{'name': 'alice', 'state': 'present'}, {'name': 'bob', 'state': 'absent'}]
    assert SECRET not in repr(result)
    assert result['listen'][-1]['options'] == 'Family=inet, Name=MSA, Port=587, Addr=0.0.0.0, M=E'
    assert auth['msa'] == 'MSA'


def test_a_587_listen_entry_of_the_inventory_is_kept_instead_of_the_msa():
    listen = LISTEN + [{'name': 'MSA', 'port': 'submission', 'addr': '192.0.2.25', 'modifiers': 'Ea'}]
    result = run({}, listen=listen)
    assert result['errors'] == []
    assert [entry['addr'] for entry in result['listen'] if entry['port'] == 587] == ['192.0.2.25']
    assert result['auth']['msa'] == ''


def test_submission_off_adds_no_listener():
    assert [entry['port'] for entry in run({'submission': False})['listen']] == [25]


def test_sasldb_is_the_default_backend_and_writes_no_daemon_settings():
    auth = run({'saslauthd_defaults': '/etc/default/saslauthd'})['auth']
    assert auth['backend'] == 'sasldb' and auth['daemon_files'] == []


def test_saslauthd_backend_checks_the_hosts_accounts_and_may_still_remove_sasldb_users():
    result = run({'backend': 'saslauthd', 'saslauthd_defaults': '/etc/default/saslauthd',
                  'users': [{'name': 'bob', 'state': 'absent'}]})
    assert result['errors'] == []
    auth = result['auth']
    assert auth['backend'] == 'saslauthd'
    assert auth['files'] == [{'path': '/etc/sasl2/Sendmail.conf', 'mode': '0644'}]
    assert auth['daemon_files'] == [{'path': '/etc/default/saslauthd', 'mode': '0644'}]
    assert auth['users'] == [{'name': 'bob', 'state': 'absent'}]
    # Red Hat: the package's /etc/sysconfig/saslauthd is left as it is (no settings file of the role).
    assert run({'backend': 'saslauthd', 'saslauthd_defaults': ''})['auth']['daemon_files'] == []


def test_auth_off_writes_no_daemon_settings_whatever_the_backend():
    auth = run({'enabled': False, 'backend': 'saslauthd', 'saslauthd_defaults': '/etc/default/saslauthd'})['auth']
    assert auth['enabled'] is False and auth['daemon_files'] == [] and auth['files'] == []


def test_auth_off_changes_nothing_and_may_still_remove_users():
    result = run({'enabled': False, 'users': [{'name': 'bob', 'state': 'absent'}]})
    assert result['errors'] == []
    assert result['auth']['enabled'] is False and result['auth']['defines'] == [] and result['auth']['files'] == []
    assert result['auth']['users'] == [{'name': 'bob', 'state': 'absent'}]
    assert [entry['port'] for entry in result['listen']] == [25]


@pytest.mark.parametrize('auth,extra,expected', [
    ({}, {'tls': {}}, 'sendmail_auth: SMTP AUTH needs STARTTLS'),
    ({}, {'mode': 'client', 'smart_host': '[mx1.example.com]'}, 'sendmail_auth: SMTP AUTH with submission on 587 is for'),
    ({'mechanisms': ['PLAIN', 'CRAM-MD5']}, {}, 'sendmail_auth_mechanisms ('),
    ({'mechanisms': []}, {}, 'sendmail_auth_mechanisms ('),
    ({'realm': 'bad realm'}, {}, "sendmail_auth_realm ('bad realm')"),
    ({'realm': "x.example`'"}, {}, 'sendmail_auth_realm ('),
    ({'enabled': 'yes'}, {}, "sendmail_auth: must be true or false, got 'yes'"),
    ({'submission': 'yes'}, {}, 'sendmail_auth_submission: must be true or false'),
    ({}, {'mc_extra_lines': ['LOCAL_RULESETS', 'SLocal_check_rcpt']}, 'sendmail_mc_extra_lines: a Local_check_rcpt'),
    ({}, {'defines': {'confAUTH_OPTIONS': 'A'}}, 'sendmail_defines: confAUTH_OPTIONS are set by the sendmail_auth_*'),
    ({'users': 'alice'}, {}, 'sendmail_auth_users: must be a list'),
    ({'users': ['alice']}, {}, 'sendmail_auth_users[0]: must be a mapping'),
    ({'users': [{'name': 'alice@example.com', 'password': SECRET}]}, {}, "sendmail_auth_users[0]: name 'alice@example.com'"),
    ({'users': [{'name': 'alice'}]}, {}, "sendmail_auth_users[0] (name 'alice'): needs a password"),
    ({'users': [{'name': 'alice', 'password': ''}]}, {}, "sendmail_auth_users[0] (name 'alice'): needs a password"),
    ({'users': [{'name': 'alice', 'password': SECRET + '\n'}]}, {}, "(name 'alice'): the password must be one line"),
    ({'users': [{'name': 'alice', 'password': SECRET, 'state': 'gone'}]}, {}, "(name 'alice'): state 'gone'"),
    ({'users': [{'name': 'alice', 'password': SECRET, 'pasword': SECRET}]}, {}, "(name 'alice'): unknown keys 'pasword'"),
    ({'users': [{'name': 'alice', 'password': SECRET}, {'name': 'Alice', 'state': 'absent'}]}, {},
     "sendmail_auth_users[1] (name 'Alice'): the user is listed twice"),
    ({'enabled': False, 'users': [{'name': 'alice', 'password': SECRET}]}, {},
     "sendmail_auth_users[0] (name 'alice'): a user needs SMTP AUTH on (sendmail_auth: true)"),
    ({'backend': 'pam'}, {}, "sendmail_auth_backend ('pam'): must be 'sasldb'"),
    ({'backend': None}, {}, "sendmail_auth_backend (None): must be 'sasldb'"),
    ({'backend': 'saslauthd', 'users': [{'name': 'alice', 'password': SECRET}]}, {},
     "sendmail_auth_users[0] (name 'alice'): with sendmail_auth_backend 'saslauthd' the users are the host's own"),
])
def test_bad_auth_settings_are_refused_naming_the_variable_never_the_password(auth, extra, expected):
    assert expected in only_error(auth, **extra)


def client(smart_host_auth, tls=None, **data):
    """A client's policy: smart host mx1 on 587, STARTTLS with a CA (the smart host's credentials need it)."""
    tls = {'ca': True, 'ca_dir': '/etc/ssl/certs'} if tls is None else tls
    return build_policy(dict({'mode': 'client', 'smart_host': '[mx1.example.com]', 'tls': tls,
                              'listen': [{'name': 'MTA-v4', 'port': 25, 'addr': '127.0.0.1'}],
                              'smart_host_auth': dict({'port': 587}, **smart_host_auth)}, **data))


def test_smart_host_credentials_become_one_secret_authinfo_entry():
    result = client({'user': 'client7', 'password': SECRET, 'mechanisms': 'login plain LOGIN'})
    assert result['errors'] == []
    entry = [e for e in result['access'] if e['key'] == 'AuthInfo:mx1.example.com']
    encoded = base64.b64encode(SECRET.encode()).decode()
    assert entry == [{'key': 'AuthInfo:mx1.example.com',
                      'action': f'"U:client7" "I:client7" "P={encoded}" "M:LOGIN PLAIN"'}]
    assert result['secrets'] is True and result['auth']['client'] is True
    assert {'name': 'RELAY_MAILER_ARGS', 'value': 'TCP $h 587'} in result['auth']['relay_defines']


@pytest.mark.parametrize('extra, tls, expected', [
    ({'mechanisms': ['PLAIN', 'CRAM-MD5']}, None, "sendmail_smart_host_auth_mechanisms (['PLAIN', 'CRAM-MD5'])"),
    ({'mechanisms': []}, None, 'sendmail_smart_host_auth_mechanisms ([])'),
    ({}, {}, 'sendmail_smart_host_auth_user: the password goes only over STARTTLS'),
    ({'user': 'a"b'}, None, 'sendmail_smart_host_auth_user (\'a"b\')'),
])
def test_bad_smart_host_credentials_are_refused_never_showing_the_password(extra, tls, expected):
    result = client(dict({'user': 'client7', 'password': SECRET}, **extra), tls=tls)
    assert any(error.startswith(expected) for error in result['errors']), result['errors']
    assert SECRET not in repr(result['errors'])
    assert base64.b64encode(SECRET.encode()).decode() not in repr(result['errors'])
