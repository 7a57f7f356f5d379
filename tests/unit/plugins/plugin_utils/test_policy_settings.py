"""Unit tests of build_policy: listen, smart_host, features, defines, mc_extra_lines."""

import pytest

from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import build_policy

MTA = {'name': 'MTA', 'port': 25, 'addr': '127.0.0.1'}


def run(**data):
    data.setdefault('listen', [MTA])
    return build_policy(data)


def only_error(**data):
    found = run(**data)['errors']
    assert len(found) == 1, found
    return found[0]


# --- listen ----------------------------------------------------------------

def test_listen_ports_and_families():
    result = run(listen=[
        {'name': 'MTA', 'port': 'smtp', 'addr': '0.0.0.0'},
        {'name': 'MSA', 'port': 'submission', 'addr': '0.0.0.0'},
        {'name': 'MTA-v6', 'port': 25, 'addr': '::'},
        {'name': 'SMTPS_v6', 'port': 'smtps', 'addr': '2001:DB8::0025'},
        {'name': 'alt', 'port': '2525', 'addr': '192.0.2.1'},
    ])
    assert result['errors'] == []
    assert result['listen'] == [
        {'name': 'MTA', 'port': 25, 'addr': '0.0.0.0', 'family': 'inet'},
        {'name': 'MSA', 'port': 587, 'addr': '0.0.0.0', 'family': 'inet'},
        {'name': 'MTA-v6', 'port': 25, 'addr': '::', 'family': 'inet6'},
        {'name': 'SMTPS_v6', 'port': 465, 'addr': '2001:db8::25', 'family': 'inet6'},
        {'name': 'alt', 'port': 2525, 'addr': '192.0.2.1', 'family': 'inet'},
    ]


@pytest.mark.parametrize('listen', [[], None])
def test_listen_must_not_be_empty(listen):
    assert only_error(listen=listen) == 'sendmail_listen: must list at least one address for sendmail to listen on'


def test_listen_must_be_a_list():
    assert only_error(listen=MTA) == 'sendmail_listen: must be a list, got a mapping'


@pytest.mark.parametrize('entry, why', [
    ({'name': 'MTA', 'port': 0, 'addr': '127.0.0.1'}, 'port 0 must be 1-65535 or one of smtp, submission, smtps'),
    ({'name': 'MTA', 'port': 65536, 'addr': '127.0.0.1'}, 'port 65536 must be 1-65535'),
    ({'name': 'MTA', 'port': 'imap', 'addr': '127.0.0.1'}, "port 'imap' must be 1-65535"),
    ({'name': 'MTA', 'port': True, 'addr': '127.0.0.1'}, 'port True must be 1-65535'),
    ({'name': 'MTA', 'port': 25, 'addr': 'localhost'},
     "addr 'localhost' must be a literal IPv4 or IPv6 address (not a host name, no brackets)"),
    ({'name': 'MTA', 'port': 25, 'addr': '[::1]'}, "addr '[::1]' must be a literal IPv4 or IPv6 address"),
    ({'name': 'MTA', 'port': 25, 'addr': '256.0.0.1'}, "addr '256.0.0.1' must be a literal"),
    ({'name': 'MTA', 'addr': '127.0.0.1'}, "missing required field 'port'"),
    ({'name': 'MTA', 'port': 25}, "missing required field 'addr'"),
    ({'name': 'M T A', 'port': 25, 'addr': '127.0.0.1'}, "the name may only have letters, digits, '_' and '-'"),
    ({'name': 'MTA', 'port': 25, 'addr': '127.0.0.1', 'family': 'inet'}, "unknown field 'family'"),
])
def test_listen_entries_refused(entry, why):
    assert only_error(listen=[entry]).startswith(f"sendmail_listen[0] (name {entry['name']!r}): {why}")


def test_listen_entry_must_be_a_mapping_with_a_name():
    assert run(listen=['MTA', {'port': 25, 'addr': '127.0.0.1'}])['errors'] == [
        "sendmail_listen[0]: must be a mapping with fields name, port, addr, got a string",
        "sendmail_listen[1]: missing required field 'name'",
    ]


def test_listen_names_and_addresses_are_unique():
    assert run(listen=[MTA, dict(MTA, addr='::1'), dict(MTA, name='other', addr='127.0.0.1', port='smtp')])[
        'errors'] == [
        "sendmail_listen[1] (name 'MTA'): duplicate name (first at index 0)",
        "sendmail_listen[2] (name 'other'): duplicate address 127.0.0.1:25 (first at index 0)",
    ]


def test_listen_wildcard_and_specific_address_on_one_port_overlap():
    assert run(listen=[{'name': 'all', 'port': 25, 'addr': '0.0.0.0'}, MTA,
                       {'name': 'v6', 'port': 25, 'addr': '::1'}, dict(MTA, name='MSA', port=587)])['errors'] == [
        "sendmail_listen[1] (name 'MTA'): 127.0.0.1:25 overlaps 0.0.0.0:25 of sendmail_listen[0]; "
        'sendmail could not bind both']


# --- smart_host ------------------------------------------------------------

@pytest.mark.parametrize('value', [
    'relay.example.com', '[relay.example.com]', '[192.0.2.25]', '[IPv6:2001:db8::25]', 'relay:relay.example.com',
    'smtp:[relay.example.com]', 'esmtp:[192.0.2.25]', 'smtp8:[IPv6:2001:db8::25]', 'localhost',
])
def test_smart_host_forms_accepted(value):
    result = run(smart_host=value)
    assert result['errors'] == []
    assert result['smart_host'] == value


@pytest.mark.parametrize('value', ['', None])
def test_no_smart_host(value):
    assert run(smart_host=value)['smart_host'] == ''


@pytest.mark.parametrize('value, why', [
    ('relay example', "not a valid host/domain name: bad characters ' ' (space)"),
    ("relay'", "contains a single quote ('), which would break the m4 quoting of sendmail.mc"),
    ('relay`x', 'contains a backquote (`)'),
    ('relay.example.com dnl', "contains the m4 word 'dnl'"),
    ('lmtp:relay.example.com', 'unknown mailer or bad address: use [relay:|smtp:|esmtp:|smtp8:] then host'),
    ('[2001:db8::25]', 'an IPv6 literal is written [IPv6:2001:db8::25]'),
    ('[IPv6:192.0.2.1]', "'IPv6:192.0.2.1' is not an IPv6 address"),
    ('relay.example.com:587', 'unknown mailer or bad address'),
    (25, 'must be a string, got an integer'),
])
def test_smart_host_refused(value, why):
    assert only_error(smart_host=value).startswith(f'sendmail_smart_host ({value!r}): {why}')


# --- features --------------------------------------------------------------

def test_features_as_names_or_mappings():
    result = run(features=['access_db', {'name': 'mailertable'}, {'name': 'dnsbl', 'args': ['bl.example.net', 1]},
                           'access_db'])
    assert result['errors'] == []
    assert result['features'] == [
        {'name': 'access_db', 'args': []},
        {'name': 'mailertable', 'args': []},
        {'name': 'dnsbl', 'args': ['bl.example.net', '1']},
        {'name': 'access_db', 'args': []},
    ]


@pytest.mark.parametrize('entry, why', [
    ('1bad', 'not a valid feature name (letters, digits and _, not starting with a digit)'),
    ('bad-name', 'not a valid feature name'),
    ({'name': 'x', 'args': 'hash /etc/mail/x'}, "'args' must be a list of strings, got a string"),
    ({'name': 'x', 'args': ["it's"]}, "argument \"it's\" contains a single quote (')"),
    ({'name': 'x', 'args': ['a`b']}, "argument 'a`b' contains a backquote (`)"),
    ({'name': 'x', 'args': ['a\nb']}, "argument 'a\\nb' contains a newline"),
    ({'name': 'x', 'args': ['x dnl']}, "argument 'x dnl' contains the m4 word 'dnl'"),
    ({'name': 'x', 'args': [None]}, 'argument None must be a string, got null'),
    ({'name': 'x', 'arg': ['a']}, "unknown field 'arg' (allowed: name, args); did you mean 'args'?"),
])
def test_features_refused(entry, why):
    name = entry if isinstance(entry, str) else entry['name']
    assert only_error(features=[entry]).startswith(f'sendmail_features[0] (name {name!r}): {why}')


def test_promiscuous_relay_needs_the_opt_in():
    assert only_error(features=['promiscuous_relay']) == (
        "sendmail_features[0] (name 'promiscuous_relay'): FEATURE(promiscuous_relay) would make the server "
        'an open relay; set sendmail_allow_open_relay: true to accept')
    assert run(features=['promiscuous_relay'], allow_open_relay=True)['errors'] == []


# --- defines ---------------------------------------------------------------

def test_defines_sorted_by_name_with_string_values():
    result = run(defines={'confTO_IDENT': '0s', 'confMAX_MESSAGE_SIZE': 10485760, 'confDONT_PROBE_INTERFACES': True,
                          'confBIND_OPTS': False})
    assert result['errors'] == []
    assert result['defines'] == [
        {'name': 'confBIND_OPTS', 'value': 'False'},
        {'name': 'confDONT_PROBE_INTERFACES', 'value': 'True'},
        {'name': 'confMAX_MESSAGE_SIZE', 'value': '10485760'},
        {'name': 'confTO_IDENT', 'value': '0s'},
    ]


@pytest.mark.parametrize('defines, error', [
    ({'conf-X': '1'}, "sendmail_defines['conf-X']: not a valid define name (letters, digits and _, "
                      'not starting with a digit)'),
    ({'confX': 1.5}, "sendmail_defines['confX']: value must be a string, an integer or a boolean, got a number"),
    ({'confX': None}, "sendmail_defines['confX']: value must be a string, an integer or a boolean, got null"),
    ({'confX': "a'b"}, "sendmail_defines['confX']: value \"a'b\" contains a single quote ('), "
                       'which would break the m4 quoting of sendmail.mc'),
    ({'confX': 'x dnl y'}, "sendmail_defines['confX']: value 'x dnl y' contains the m4 word 'dnl', "
                           'which would cut the rest of the line from sendmail.mc'),
    (['confX'], 'sendmail_defines: must be a mapping of name to value, got a list'),
])
def test_defines_refused(defines, error):
    assert only_error(defines=defines) == error


# --- mc_extra_lines --------------------------------------------------------

def test_mc_extra_lines_pass_through():
    lines = ["define(`confFOO', `bar')dnl", 'LOCAL_RULESETS', "MAILER(`local')dnl"]
    result = run(mc_extra_lines=lines)
    assert result['errors'] == []
    assert result['mc_extra_lines'] == lines


def test_mc_extra_lines_refuse_newlines_and_non_strings():
    assert run(mc_extra_lines=['ok', 'a\nb', 3])['errors'] == [
        "sendmail_mc_extra_lines[1] ('a\\nb'): contains a newline; give each line as its own list item",
        'sendmail_mc_extra_lines[2]: must be a string, got an integer',
    ]
