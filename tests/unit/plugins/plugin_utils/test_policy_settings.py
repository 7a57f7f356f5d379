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

def listen_entry(name, port, addr, family, modifiers='', options=None):
    base = f'Family={family}, Name={name}, Port={port}, Addr={addr}'
    return {'name': name, 'port': port, 'addr': addr, 'family': family, 'raw': False, 'modifiers': modifiers,
            'options': base + (options or '')}


def test_listen_ports_and_families():
    result = run(listen=[
        {'name': 'MTA', 'port': 'smtp', 'addr': '0.0.0.0'},
        {'name': 'MSA', 'port': 'submission', 'addr': '0.0.0.0', 'modifiers': 'Ea'},
        {'name': 'MTA-v6', 'port': 25, 'addr': '::', 'family': 'inet6'},
        {'name': 'SMTPS_v6', 'port': 'smtps', 'addr': '2001:DB8::0025', 'modifiers': 's'},
        {'name': 'alt', 'port': '2525', 'addr': '192.0.2.1', 'modifiers': 'O', 'listen': 20, 'children': '5',
         'input_mail_filters': ['opendkim', 'clamav'], 'delivery_mode': 'q', 'refuse_la': 12},
    ])
    assert result['errors'] == []
    assert result['listen'] == [
        listen_entry('MTA', 25, '0.0.0.0', 'inet'),
        listen_entry('MSA', 587, '0.0.0.0', 'inet', 'Ea', ', M=Ea'),
        listen_entry('MTA-v6', 25, '::', 'inet6'),
        listen_entry('SMTPS_v6', 465, '2001:db8::25', 'inet6', 's', ', M=s'),
        listen_entry('alt', 2525, '192.0.2.1', 'inet', 'O',
                     ', M=O, InputMailFilters=opendkim;clamav, DeliveryMode=q, Listen=20, children=5, refuseLA=12'),
    ]


def test_listen_port_and_address_default_like_sendmail():
    """DaemonPortOptions' own defaults: port smtp, the family's any-address."""
    result = run(listen=[{'name': 'MTA'}, {'name': 'MTA-v6', 'family': 'inet6'}])
    assert result['errors'] == []
    assert [(e['port'], e['addr'], e['family']) for e in result['listen']] == [(25, '0.0.0.0', 'inet'),
                                                                               (25, '::', 'inet6')]


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
     "addr 'localhost' must be a literal IPv4 or IPv6 address (not a host name, no brackets, no %scope)"),
    ({'name': 'MTA', 'port': 25, 'addr': '[::1]'}, "addr '[::1]' must be a literal IPv4 or IPv6 address"),
    ({'name': 'MTA', 'port': 25, 'addr': '256.0.0.1'}, "addr '256.0.0.1' must be a literal"),
    ({'name': 'MTA', 'port': '\u0663', 'addr': '127.0.0.1'}, "port '\u0663' must be 1-65535"),
    ({'name': 'MTA', 'port': '\u00b2', 'addr': '127.0.0.1'}, "port '\u00b2' must be 1-65535"),
    ({'name': 'M T A', 'port': 25, 'addr': '127.0.0.1'}, "the name may only have letters, digits, '_' and '-'"),
    ({'name': 'MAILER', 'port': 25}, "the name may only have letters, digits, '_' and '-', and must not be an m4"),
    ({'name': 'MTA', 'port': 25, 'addr': '127.0.0.1', 'family': 'inet6'},
     "addr '127.0.0.1' is an inet address but family is 'inet6'"),
    ({'name': 'MTA', 'family': 'local'}, "family 'local' must be 'inet' or 'inet6'"),
    ({'name': 'MTA', 'family': ['inet']}, "family ['inet'] must be 'inet' or 'inet6'"),
    ({'name': 'MTA', 'addr': 'fe80::1%esyscmd(id)'}, "addr 'fe80::1%esyscmd(id)' must be a literal IPv4 or IPv6 address"),
    ({'name': 'MTA', 'addr': 'fe80::1%eth0'}, "addr 'fe80::1%eth0' must be a literal IPv4 or IPv6 address"),
    ({'name': 'MTA', 'modifiers': 'Ez'}, "modifiers 'Ez': unknown letters 'z' (sendmail knows A C E O S a b c f s u)"),
    ({'name': 'MTA', 'modifiers': ''}, 'modifiers must be a string of letters such as "Ea", got \'\''),
    ({'name': 'MTA', 'listen': -1}, 'listen must be a whole number >= 0, got -1'),
    ({'name': 'MTA', 'children': 'many'}, "children must be a whole number >= 0, got 'many'"),
    ({'name': 'MTA', 'delivery_mode': 'x'}, "delivery_mode 'x' must be one of i, b, q, d"),
    ({'name': 'MTA', 'input_mail_filters': 'a,b'}, "input_mail_filters 'a,b' must be a list of milter names"),
    ({'name': 'MTA', 'input_mail_filters': ['include']}, "input_mail_filters ['include'] must be a list of milter"),
    ({'name': 'MTA', 'port': 25, 'addr': '127.0.0.1', 'modifier': 'E'},
     "unknown field 'modifier' (allowed: name, port, addr, family, modifiers,"),
])
def test_listen_entries_refused(entry, why):
    assert only_error(listen=[entry]).startswith(f"sendmail_listen[0] (name {entry['name']!r}): {why}")


def test_listen_entry_must_be_a_mapping_with_a_name():
    assert run(listen=['MTA', {'port': 25, 'addr': '127.0.0.1'}])['errors'] == [
        "sendmail_listen[0]: must be a mapping with fields name, port, addr, family, modifiers, input_mail_filters, "
        'delivery_mode, listen, snd_buf_size, rcv_buf_size, children, refuse_la, delay_la, queue_la, got a string',
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
    ("relay'", "contains a single quote ('), which would end the m4 quoting in sendmail.mc"),
    ('relay`x', 'contains a backquote (`)'),
    ('relay.example.com dnl', "the name has the word 'dnl', an m4 macro that would run while sendmail.cf is built"),
    ('[lower.example.com]', "the name has the word 'lower'"), ('esmtp:[MAILER]', "the name has the word 'MAILER'"),
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
    result = run(features=['domaintable', {'name': 'greet_pause', 'args': [5000]},
                           {'name': 'dnsbl', 'args': ['bl.example.net', None, 't']}, 'ratecontrol'])
    assert result['errors'] == []
    assert result['features'] == [
        {'name': 'domaintable', 'args': []},
        {'name': 'greet_pause', 'args': ['5000']},
        {'name': 'dnsbl', 'args': ['bl.example.net', '', 't']},
        {'name': 'ratecontrol', 'args': []},
    ]


@pytest.mark.parametrize('entry, why', [
    ('1bad', "sendmail has no FEATURE('1bad') (its cf/feature directory)"),
    ('relay_based_on_mx', "sendmail has no FEATURE('relay_based_on_mx') (its cf/feature directory); "
                          "did you mean 'relay_based_on_MX'?"),
    ('access_db', "always on: the role declares FEATURE(`access_db', , `skip') itself, and a second declaration "
                  'would change it'),
    ({'name': 'delay_checks', 'args': ['hater']}, "always on: the role declares FEATURE(`delay_checks', `friend', `n')"),
    ('use_cw_file', 'always on'), ('virtusertable', 'always on'), ('no_default_msa', 'always on'),
    ({'name': 'domaintable', 'args': 'hash /etc/mail/x'}, "'args' must be a list of strings, got a string"),
    ({'name': 'domaintable', 'args': ["it's"]}, "argument \"it's\" contains a single quote (')"),
    ({'name': 'domaintable', 'args': ['a`b']}, "argument 'a`b' contains a backquote (`)"),
    ({'name': 'domaintable', 'args': ['a\nb']}, "argument 'a\\nb' contains a newline"),
    ({'name': 'domaintable', 'args': ['x dnl']}, "argument 'x dnl' contains the word 'dnl', an m4 builtin that m4 "
                                                 'would run while it builds sendmail.cf'),
    ({'name': 'domaintable', 'args': ['hash -o /etc/mail/mt,x']}, 'contains a comma, which m4 would read as the '
                                                                  'start of another argument'),
    ({'name': 'domaintable', 'args': ['a)b']}, "has a ')' without its '('"),
    ({'name': 'domaintable', 'args': ['(a']}, "has a '(' without its ')'"),
    ({'name': 'domaintable', 'args': [True]}, 'argument True must be a string, got a boolean'),
    ({'name': 'domaintable', 'arg': ['a']}, "unknown field 'arg' (allowed: name, args); did you mean 'args'?"),
])
def test_features_refused(entry, why):
    name = entry if isinstance(entry, str) else entry['name']
    error = only_error(features=[entry])
    assert error.startswith(f'sendmail_features[0] (name {name!r}): ') and why in error, error


@pytest.mark.parametrize('name', ['promiscuous_relay', 'relay_based_on_MX', 'relay_local_from', 'relay_mail_from',
                                  'loose_relay_check'])
def test_relay_widening_features_need_the_opt_in(name):
    error = only_error(features=[name])
    assert error.startswith(f'sendmail_features[0] (name {name!r}): FEATURE({name}) ')
    assert error.endswith(': it would make the server an open relay; set sendmail_allow_open_relay: true to accept')
    assert run(features=[name], allow_open_relay=True)['errors'] == []


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


@pytest.mark.parametrize('name, value', [
    ('confPRIVACY_FLAGS', 'goaway,restrictqrun'), ('confMILTER_MACROS_CONNECT', 'j, _, {daemon_name}, {if_addr}'),
    ('LOCAL_MAILER_FLAGS', 'SXfmnz9'), ('SMTP_MAILER_MAX', 1000000), ('MAIL_HUB', 'mailhub.example.com'),
    ('LUSER_RELAY', 'local:admin'), ('confDEF_USER_ID', '8:12'), ('confCW_FILE', '-o /etc/mail/local-host-names'),
    ('confTO_QUEUEWARN', '4h'), ('confDONT_BLAME_SENDMAIL', 'GroupReadableKeyFile'),
])
def test_documented_defines_accepted(name, value):
    result = run(defines={name: value})
    assert result['errors'] == []
    assert result['defines'] == [{'name': name, 'value': str(value)}]


@pytest.mark.parametrize('defines, error', [
    ({'conf-X': '1'}, "sendmail_defines['conf-X']: not a valid define name (letters, digits and _, "
                      'not starting with a digit)'),
    ({'confPRIVACY_FLAG': 'goaway'}, "sendmail_defines['confPRIVACY_FLAG']: not a define sendmail's cf/README "
                                     'documents (confNAME options, *_MAILER_* settings, *_RELAY, MAIL_HUB, ...), so '
                                     "sendmail would ignore it; did you mean 'confPRIVACY_FLAGS'?"),
    ({'_PROMISCUOUS_RELAY_': '1'}, "sendmail_defines['_PROMISCUOUS_RELAY_']: a cf-internal macro (a leading '_'); "
                                   "these are set by FEATUREs and sendmail's own m4, never by the inventory"),
    ({'_RELAY_MX_SERVED_': ''}, "sendmail_defines['_RELAY_MX_SERVED_']: a cf-internal macro"),
    ({'MAILER': 'x'}, "sendmail_defines['MAILER']: not a define sendmail's cf/README documents"),
    ({'dnl': 'x'}, "sendmail_defines['dnl']: not a define sendmail's cf/README documents"),
    ({'ALIAS_FILE': '/etc/x'}, "sendmail_defines['ALIAS_FILE']: not settable here: the role sets it to the aliases "
                               'file it manages'),
    ({'SMART_HOST': 'x'}, "sendmail_defines['SMART_HOST']: not settable here: use sendmail_smart_host"),
    ({'confTO_IDENT': 1.5}, "sendmail_defines['confTO_IDENT']: value must be a string, an integer or a boolean, "
                            'got a number'),
    ({'confTO_IDENT': None}, "sendmail_defines['confTO_IDENT']: value must be a string, an integer or a boolean, "
                             'got null'),
    ({'confTO_IDENT': "a'b"}, "sendmail_defines['confTO_IDENT']: value \"a'b\" contains a single quote ('), "
                              'which would end the m4 quoting in sendmail.mc'),
    ({'confTO_IDENT': 'x dnl y'}, "sendmail_defines['confTO_IDENT']: value 'x dnl y' contains the word 'dnl', "
                                  'an m4 builtin that m4 would run while it builds sendmail.cf'),
    ({'confSMTP_LOGIN_MSG': '$j ready $1'}, "sendmail_defines['confSMTP_LOGIN_MSG']: value '$j ready $1' contains '$1', "
                                            'which m4 replaces with a macro argument while it builds sendmail.cf'),
    ({'confTO_IDENT': '0s)'}, "sendmail_defines['confTO_IDENT']: value '0s)' has a ')' without its '(' "
                              '(m4 would end the macro call there)'),
    (['confX'], 'sendmail_defines: must be a mapping of name to value, got a list'),
])
def test_defines_refused(defines, error):
    assert only_error(defines=defines).startswith(error)


# --- mc_extra_lines --------------------------------------------------------

def test_daemon_options_of_raw_lines_join_the_listen_entries_for_the_check():
    result = run(mc_extra_lines=["DAEMON_OPTIONS(`Port=587, Name=MSA, M=E')dnl",
                                 "DAEMON_OPTIONS(`Name=MTA-v6, Family=inet6, Addr=::1')dnl"])
    assert result['errors'] == []
    assert result['listen'][1:] == [
        {'name': 'MSA', 'port': 587, 'addr': '0.0.0.0', 'family': 'inet', 'modifiers': 'E', 'raw': True},
        {'name': 'MTA-v6', 'port': 25, 'addr': '::1', 'family': 'inet6', 'modifiers': '', 'raw': True},
    ]


def test_mc_extra_lines_relaying_for_named_domains_are_fine():
    assert run(mc_extra_lines=["RELAY_DOMAIN(`example.org other.example')dnl", 'CR example.net'])['errors'] == []


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


@pytest.mark.parametrize('line', [
    "FEATURE(`promiscuous_relay')dnl", 'FEATURE( relay_based_on_MX )', "define(`_PROMISCUOUS_RELAY_', `1')dnl",
    "FEATURE(`relay_mail_from', `domain')dnl", "RELAY_DOMAIN(`com')dnl", "RELAY_DOMAIN(`example.org co.uk')dnl",
    'CR github.io', 'C{R}example.org mailhub', "RELAY_DOMAIN_FILE(`/etc/mail/more-relays')dnl",
])
def test_mc_extra_lines_that_open_the_relay_need_the_opt_in(line):
    error = only_error(mc_extra_lines=[line])
    assert error.startswith(f'sendmail_mc_extra_lines[0] ({line!r}): ')
    assert error.endswith('it would make the server an open relay; set sendmail_allow_open_relay: true to accept')
    assert run(mc_extra_lines=[line], allow_open_relay=True)['errors'] == []
