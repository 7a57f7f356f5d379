"""Unit tests of build_policy: the layered merge and the general checks.

The per-map grammar is tested in test_policy_maps.py, the other settings in
test_policy_settings.py.
"""

import pytest

from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import build_policy

LISTEN = [{'name': 'MTA', 'port': 25, 'addr': '127.0.0.1'}]
DEFAULT_ALIASES = [
    {'name': 'mailer-daemon', 'members': ['postmaster'], 'line': 'mailer-daemon: postmaster'},
    {'name': 'postmaster', 'members': ['root'], 'line': 'postmaster: root'},
]
OUTPUT_KEYS = {'errors', 'access', 'relay_domains', 'local_host_names', 'virtusertable', 'aliases',
               'alias_files', 'alias_files_absent', 'dnsbl', 'listen', 'smart_host', 'features',
               'defines', 'mc_extra_lines', 'secrets', 'cf_requirements', 'mailertable', 'genericstable', 'masquerade',
               'tls', 'auth', 'milters'}

# One valid entry per layered map, and the field that keys it.
SAMPLES = {
    'access': ('key', {'key': 'example.com', 'action': 'OK'}),
    'relay_domains': ('name', {'name': 'example.com'}),
    'local_host_names': ('name', {'name': 'mail.example.com'}),
    'virtusertable': ('address', {'address': 'info@example.com', 'target': 'root'}),
    'aliases': ('name', {'name': 'webmaster', 'members': ['root']}),
    'alias_files': ('path', {'path': '/etc/mail-lists/staff', 'members': ['root']}),
    'dnsbl': ('zone', {'zone': 'zen.example.net'}),
}
MAPS = sorted(SAMPLES)
LAYERS = ['', 'group_', 'host_']


def run(**data):
    data.setdefault('listen', LISTEN)
    return build_policy(data)


def errors(**data):
    return run(**data)['errors']


def entries(result, name):
    """The output entries of one map, without the aliases added by default."""
    return [e for e in result[name] if e not in DEFAULT_ALIASES]


# --- the result as a whole --------------------------------------------------

def test_minimal_policy_is_valid_and_has_every_output_key():
    result = run()
    assert result['errors'] == []
    assert set(result) == OUTPUT_KEYS
    assert result['aliases'] == DEFAULT_ALIASES
    assert result['listen'] == [{'name': 'MTA', 'port': 25, 'addr': '127.0.0.1', 'family': 'inet', 'modifiers': '', 'raw': False,
                                 'options': 'Family=inet, Name=MTA, Port=25, Addr=127.0.0.1'}]
    assert result['smart_host'] == ''
    assert result['secrets'] is False
    for name in OUTPUT_KEYS - {'errors', 'aliases', 'listen', 'smart_host', 'secrets', 'cf_requirements', 'masquerade',
                               'tls', 'auth', 'milters'}:
        assert result[name] == [], name
    assert result['auth']['enabled'] is False and result['auth']['defines'] == [] and result['auth']['files'] == []
    assert result['milters'] == {'filters': [], 'order': ''}
    assert result['masquerade'] == {'as': '', 'domains': [], 'exposed_users': [], 'generics_domains': [], 'features': []}
    assert result['tls']['server'] is False and result['tls']['defines'] == [] and result['tls']['files'] == []
    # The role's own FEATUREs, which every sendmail.cf it builds must show.
    assert result['cf_requirements'] == ['feature:use_cw_file', 'feature:access_db', 'feature:virtusertable',
                                         'feature:mailertable', 'feature:delay_checks', 'feature:genericstable',
                                         'feature:no_default_msa']


def test_authinfo_entries_mark_the_policy_as_holding_secrets():
    entry = {'key': 'AuthInfo:relay.example.com', 'action': '"U:user" "P:s3cret"'}
    assert run(access=[entry])['secrets'] is True
    assert run(access=[entry], host_access=[{'key': 'AuthInfo:relay.example.com', 'state': 'absent'}])['secrets'] is False


@pytest.mark.parametrize('data', [{}, None])
def test_empty_input_only_lacks_listen(data):
    result = build_policy(data)
    assert result['errors'] == ['sendmail_listen: must list at least one address for sendmail to listen on']
    assert set(result) == OUTPUT_KEYS


def test_input_must_be_a_mapping():
    result = build_policy(['access'])
    assert result['errors'][0] == 'sendmail policy: the input must be a mapping, got a list'
    assert set(result) == OUTPUT_KEYS


def test_all_errors_are_collected_one_line_each():
    result = run(access=[{'key': 'a\nb', 'action': 'OK'}, {'key': 'x.example', 'action': 'ACCEPT'}],
                 virtusertable=[{'address': 'a@example.com'}],
                 dnsbl=[{'zone': 'bl.example.net', 'message': "550 it's\nbad"}],
                 defines={'confX': 'a`b'}, smart_host='bad host')
    assert len(result['errors']) == 6, result['errors']
    assert all('\n' not in error for error in result['errors'])
    assert result['errors'][0].startswith("sendmail_access[0] (key 'a\\nb'): the key contains whitespace")


# --- generic entry checks, for every map and layer ------------------------

@pytest.mark.parametrize('layer', LAYERS)
@pytest.mark.parametrize('name', MAPS)
def test_every_layer_of_every_map_is_read(name, layer):
    result = run(**{layer + name: [SAMPLES[name][1]]})
    assert result['errors'] == []
    assert len(entries(result, name)) == 1


@pytest.mark.parametrize('layer', LAYERS)
@pytest.mark.parametrize('name', MAPS)
def test_a_map_must_be_a_list(name, layer):
    assert errors(**{layer + name: 'example.com'}) == [f'sendmail_{layer}{name}: must be a list, got a string']


@pytest.mark.parametrize('name', MAPS)
def test_null_map_is_empty(name):
    assert errors(**{name: None, 'group_' + name: None, 'host_' + name: None}) == []


@pytest.mark.parametrize('name', ['access', 'virtusertable', 'aliases', 'alias_files', 'dnsbl'])
def test_an_entry_must_be_a_mapping(name):
    error, = errors(**{'host_' + name: [SAMPLES[name][1], 42]})
    assert error.startswith(f'sendmail_host_{name}[1]: must be a mapping with fields ')
    assert error.endswith('got an integer')


@pytest.mark.parametrize('name', ['relay_domains', 'local_host_names'])
def test_a_name_entry_may_be_a_string_or_a_mapping(name):
    result = run(**{name: ['a.example', {'name': 'b.example'}], 'host_' + name: [['c.example']]})
    assert result[name] == ['a.example', 'b.example']
    assert result['errors'] == [f'sendmail_host_{name}[0]: must be a mapping with fields name, state '
                                'or a string (name), got a list']


@pytest.mark.parametrize('name', MAPS)
def test_unknown_field_is_named_with_a_suggestion(name):
    key_field, sample = SAMPLES[name]
    error, = errors(**{'group_' + name: [dict(sample, stat='absent')]})
    assert error.startswith(f'sendmail_group_{name}[0] ({key_field} {sample[key_field]!r}): '
                            "unknown field 'stat' (allowed: ")
    assert error.endswith("; did you mean 'state'?")


@pytest.mark.parametrize('name', MAPS)
def test_state_must_be_present_or_absent(name):
    key_field, sample = SAMPLES[name]
    assert errors(**{name: [dict(sample, state='gone')]}) == [
        f"sendmail_{name}[0] ({key_field} {sample[key_field]!r}): state must be 'present' or 'absent', got 'gone'"]


@pytest.mark.parametrize('name', MAPS)
def test_the_key_field_is_required(name):
    key_field, sample = SAMPLES[name]
    entry = {k: v for k, v in sample.items() if k != key_field}
    assert errors(**{'host_' + name: [entry]}) == [f"sendmail_host_{name}[0]: missing required field '{key_field}'"]


@pytest.mark.parametrize('name', MAPS)
def test_the_key_must_be_a_string(name):
    key_field, sample = SAMPLES[name]
    error, = errors(**{name: [dict(sample, **{key_field: 10})]})
    assert error == f"sendmail_{name}[0]: '{key_field}' must be a string (quote it in YAML), got an integer"


@pytest.mark.parametrize('name, field', [('access', 'action'), ('virtusertable', 'target'),
                                         ('aliases', 'members'), ('alias_files', 'members')])
def test_other_required_fields(name, field):
    key_field, sample = SAMPLES[name]
    entry = {k: v for k, v in sample.items() if k != field}
    assert errors(**{name: [entry]}) == [
        f"sendmail_{name}[0] ({key_field} {sample[key_field]!r}): missing required field '{field}'"]


@pytest.mark.parametrize('name', MAPS)
def test_absent_entry_needs_only_its_key(name):
    key_field, sample = SAMPLES[name]
    result = run(**{name: [sample], 'host_' + name: [{key_field: sample[key_field], 'state': 'absent'}]})
    assert result['errors'] == []
    assert entries(result, name) == []


@pytest.mark.parametrize('name', MAPS)
def test_duplicate_key_in_one_layer_is_an_error(name):
    key_field, sample = SAMPLES[name]
    assert errors(**{'group_' + name: [sample, sample]}) == [
        f'sendmail_group_{name}[1] ({key_field} {sample[key_field]!r}): '
        f'duplicate {key_field} in sendmail_group_{name} (first at index 0)']


# --- the merge -------------------------------------------------------------

def test_later_layer_replaces_the_whole_entry_in_its_first_position():
    result = run(
        access=[{'key': 'a.example', 'action': 'OK'}, {'key': 'b.example', 'action': 'REJECT'}],
        group_access=[{'key': 'B.Example', 'action': 'DISCARD'}],
        host_access=[{'key': 'c.example', 'action': 'REJECT'}, {'key': 'a.example', 'action': 'ERROR:"550 No"'}],
    )
    assert result['errors'] == []
    assert result['access'] == [
        {'key': 'a.example', 'action': 'ERROR:"550 No"'},
        {'key': 'B.Example', 'action': 'DISCARD'},
        {'key': 'c.example', 'action': 'REJECT'},
    ]


def test_replacing_entry_does_not_inherit_fields():
    result = run(dnsbl=[{'zone': 'bl.example.net', 'message': '550 Go away'}],
                 host_dnsbl=[{'zone': 'bl.example.net'}])
    assert result['dnsbl'][0]['message'] == '550 5.7.1 Rejected: $&{client_addr} listed at bl.example.net'


def test_absent_removes_a_key_of_any_earlier_layer():
    result = run(relay_domains=['a.example', 'b.example', 'c.example'],
                 group_relay_domains=[{'name': 'B.EXAMPLE', 'state': 'absent'}],
                 host_relay_domains=[{'name': 'c.example.', 'state': 'absent'}])
    assert result['errors'] == []
    assert result['relay_domains'] == ['a.example']


def test_absent_of_a_key_no_layer_has_is_fine():
    result = run(host_virtusertable=[{'address': 'nobody@example.com', 'state': 'absent'}])
    assert result['errors'] == []
    assert result['virtusertable'] == []


def test_absent_then_present_again_comes_last():
    result = run(local_host_names=['a.example', 'b.example'],
                 group_local_host_names=[{'name': 'a.example', 'state': 'absent'}],
                 host_local_host_names=['a.example'])
    assert result['local_host_names'] == ['b.example', 'a.example']


def test_same_key_in_different_layers_is_no_duplicate():
    result = run(aliases=[{'name': 'staff', 'members': ['a']}],
                 group_aliases=[{'name': 'Staff', 'members': ['b']}],
                 host_aliases=[{'name': 'STAFF', 'members': ['c', 'd']}])
    assert result['errors'] == []
    assert entries(result, 'aliases') == [{'name': 'staff', 'members': ['c', 'd'], 'line': 'staff: c,d'}]


@pytest.mark.parametrize('name, first, second', [
    ('access', {'key': 'Example.COM', 'action': 'OK'}, {'key': 'example.com', 'action': 'REJECT'}),
    ('virtusertable', {'address': 'Info@Example.com', 'target': 'a'}, {'address': 'info@example.com', 'target': 'b'}),
    ('aliases', {'name': 'Staff', 'members': 'a'}, {'name': 'staff', 'members': 'b'}),
    ('dnsbl', {'zone': 'BL.example.net.'}, {'zone': 'bl.example.net'}),
])
def test_keys_compare_case_insensitively(name, first, second):
    result = run(**{name: [first, second]})
    assert len(result['errors']) == 1
    assert 'duplicate' in result['errors'][0]


def test_alias_file_paths_compare_case_sensitively():
    result = run(alias_files=[{'path': '/srv/lists/a', 'members': 'x'}, {'path': '/srv/lists/A', 'members': 'y'}])
    assert result['errors'] == []
    assert [f['path'] for f in result['alias_files']] == ['/srv/lists/a', '/srv/lists/A']


def test_an_invalid_entry_is_left_out_and_reported():
    result = run(access=[{'key': 'a.example', 'action': 'OK'}, {'key': 'b example', 'action': 'OK'}])
    assert result['access'] == [{'key': 'a.example', 'action': 'OK'}]
    assert result['errors'] == ["sendmail_access[1] (key 'b example'): the key contains whitespace ' ' (space)"]


# --- options and mode ------------------------------------------------------

@pytest.mark.parametrize('flag', ['allow_open_relay', 'aliases_allow_files', 'aliases_allow_programs'])
def test_flags_must_be_booleans(flag):
    assert errors(**{flag: 'yes'}) == [f"sendmail_{flag}: must be true or false, got 'yes'"]


def test_mode_must_be_server_or_client():
    assert errors(mode='relay') == ["sendmail_mode: must be 'server' or 'client', got 'relay'"]


def test_client_mode_needs_a_smart_host():
    error, = errors(mode='client')
    assert error.startswith('sendmail_smart_host: required in client mode')
    assert errors(mode='client', smart_host='[relay.example.com]') == []
    assert errors(mode='server') == []


def test_cf_requirements_name_each_feature_once_and_every_dnsbl_zone():
    """What build-cf and check-mc look for in the built sendmail.cf: the role's FEATUREs, the declared ones
    (once each), dnsbl when a zone is listed, and each zone's name."""
    result = build_policy({'listen': [{'name': 'MTA', 'port': 'smtp', 'addr': '127.0.0.1'}],
                           'features': [{'name': 'ratecontrol', 'args': ['nodelay', 'terminate']},
                                        {'name': 'greet_pause', 'args': ['5000']}],
                           'dnsbl': [{'zone': 'zen.spamhaus.org'}, {'zone': 'bl.example.net'}]})
    assert result['errors'] == []
    assert result['cf_requirements'] == [
        'feature:use_cw_file', 'feature:access_db', 'feature:virtusertable', 'feature:mailertable',
        'feature:delay_checks', 'feature:genericstable', 'feature:no_default_msa', 'feature:ratecontrol', 'feature:greet_pause', 'feature:dnsbl',
        'text:zen.spamhaus.org', 'text:bl.example.net']
