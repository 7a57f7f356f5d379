"""Unit tests of build_policy: sendmail_milters and sendmail_input_mail_filters (INPUT_MAIL_FILTER).

The accepted forms are those of cf/README (ADDING NEW MAIL FILTERS) and the op guide (5.11, X -- Mail
Filter Definitions); every refused value names the variable, the entry and why.
"""

import pytest

from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import build_policy

MTA = {'name': 'MTA', 'port': 25, 'addr': '127.0.0.1'}


def run(**data):
    data.setdefault('listen', [MTA])
    return build_policy(data)


def errors(**data):
    return run(**data)['errors']


# cf/README's and the op guide's examples, as inventory entries, and the equates each must become.
@pytest.mark.parametrize('entry, equates', [
    ({'name': 'archive', 'socket': 'local:/var/run/archivesock', 'flags': 'R'}, 'S=local:/var/run/archivesock, F=R'),
    ({'name': 'spamcheck', 'socket': 'inet:2525@localhost', 'flags': 'T'}, 'S=inet:2525@localhost, F=T'),
    ({'name': 'filter1', 'socket': 'local:/var/run/f1.sock', 'flags': 'R'}, 'S=local:/var/run/f1.sock, F=R'),
    ({'name': 'filter2', 'socket': 'inet6:999@localhost', 'flags': 'T',
      'timeouts': {'S': '1s', 'R': '1s', 'E': '5m'}}, 'S=inet6:999@localhost, F=T, T=S:1s;R:1s;E:5m'),
    ({'name': 'filter3', 'socket': 'inet:3333@localhost', 'timeouts': {'C': '2m'}},
     'S=inet:3333@localhost, T=C:2m'),
    # libmilter's other name for a local socket, IP literals of each family, a service name, '' flags.
    ({'name': 'opendkim', 'socket': 'unix:/run/opendkim/opendkim.sock', 'flags': ''},
     'S=unix:/run/opendkim/opendkim.sock'),
    ({'name': 'v4', 'socket': 'inet:8891@127.0.0.1'}, 'S=inet:8891@127.0.0.1'),
    ({'name': 'v6', 'socket': 'inet6:8891@::1', 'flags': None}, 'S=inet6:8891@::1'),
    ({'name': 'v6b', 'socket': 'inet6:8891@[::1]'}, 'S=inet6:8891@[::1]'),
    ({'name': 'svc', 'socket': 'inet:milter@localhost'}, 'S=inet:milter@localhost'),
    # Timeouts in the op guide's order whatever the inventory's, sendmail's units, numbers as seconds.
    ({'name': 'slow', 'socket': 'inet:10025@mx-filter.example.com', 'flags': 'T',
      'timeouts': {'E': '1h30m', 'C': 0, 'R': 20, 'S': '2w'}},
     'S=inet:10025@mx-filter.example.com, F=T, T=C:0;S:2w;R:20;E:1h30m'),
])
def test_milter_forms_accepted(entry, equates):
    result = run(milters=[entry])
    assert result['errors'] == []
    assert result['milters'] == {'filters': [{'name': entry['name'], 'equates': equates, 'input': True}],
                                 'order': ''}


def test_no_milters_by_default():
    assert run()['milters'] == {'filters': [], 'order': ''}


def test_declared_only_milter_and_order():
    result = run(milters=[{'name': 'a', 'socket': 'inet:1@localhost'},
                          {'name': 'b', 'socket': 'inet:2@localhost', 'input': False}],
                 input_mail_filters=['b', 'a'])
    assert result['errors'] == []
    assert [(f['name'], f['input']) for f in result['milters']['filters']] == [('a', True), ('b', False)]
    assert result['milters']['order'] == 'b, a'


@pytest.mark.parametrize('entry, why', [
    # The name and the socket are data: nothing that ends the m4 quoting, splits the equates or runs m4.
    ({'name': "dkim'", 'socket': 'inet:1@localhost'}, "the name may only have letters, digits, '_' and '-'"),
    ({'name': 'dkim`x', 'socket': 'inet:1@localhost'}, "the name may only have letters, digits, '_' and '-'"),
    ({'name': 'a,b', 'socket': 'inet:1@localhost'}, "the name may only have letters, digits, '_' and '-'"),
    ({'name': 'dnl', 'socket': 'inet:1@localhost'}, 'must not be an m4 macro name'),
    ({'name': 'confLOG_LEVEL', 'socket': 'inet:1@localhost'}, 'must not be an m4 macro name'),
    ({'name': 'a\nb', 'socket': 'inet:1@localhost'}, "the name may only have letters"),
    ({'name': 'x', 'socket': "local:/run/x'.sock"}, "path \"/run/x'.sock\" has bad characters"),
    ({'name': 'x', 'socket': 'local:/run/x`.sock'}, 'has bad characters'),
    ({'name': 'x', 'socket': 'local:/run/x.sock, F=R'}, 'contains whitespace'),
    ({'name': 'x', 'socket': 'local:/run/x,F=R'}, 'has bad characters'),
    ({'name': 'x', 'socket': 'local:/run/dnl/x.sock'}, "contains the word 'dnl', an m4 builtin"),
    ({'name': 'x', 'socket': 'local:/run/esyscmd/x'}, "contains the word 'esyscmd', an m4 builtin"),
    ({'name': 'x', 'socket': 'local:/run/x\n.sock'}, 'contains whitespace'),
    ({'name': 'x', 'socket': 'inet:1@local)host'}, 'bad characters'),
    ({'name': 'x', 'socket': 'inet:1@dnl'}, "contains the word 'dnl'"),
    ({'name': 'x', 'socket': "inet:1@localhost'"}, 'bad characters'),
    ({'name': 'x', 'socket': 'inet:1@localhost, F=R'}, 'bad characters'),
    # The socket's grammar.
    ({'name': 'x', 'socket': 'tcp:8891@localhost'}, 'must be one of local:/path, unix:/path'),
    ({'name': 'x', 'socket': '/run/x.sock'}, 'must be one of local:/path'),
    ({'name': 'x', 'socket': 'local:run/x.sock'}, 'is not an absolute path'),
    ({'name': 'x', 'socket': 'local:/run/../x.sock'}, "must not contain '..'"),
    ({'name': 'x', 'socket': 'inet:8891'}, 'needs port@host'),
    ({'name': 'x', 'socket': 'inet:70000@localhost'}, "port '70000' must be 1-65535 or a service name"),
    ({'name': 'x', 'socket': 'inet:@localhost'}, "port '' must be 1-65535"),
    ({'name': 'x', 'socket': 'inet:8891@::1'}, "'::1' is an inet6 address, not inet"),
    ({'name': 'x', 'socket': 'inet6:8891@127.0.0.1'}, "'127.0.0.1' is an inet address, not inet6"),
    ({'name': 'x', 'socket': 'inet:8891@[localhost]'}, 'is not an IP address between brackets'),
    ({'name': 'x', 'socket': 8891}, 'socket must be a string'),
    ({'name': 'x'}, "missing required field 'socket'"),
    # Flags and timeouts.
    ({'name': 'x', 'socket': 'inet:1@localhost', 'flags': 'RT'}, "flags 'RT' must be 'R'"),
    ({'name': 'x', 'socket': 'inet:1@localhost', 'flags': 't'}, "flags 't' must be 'R'"),
    ({'name': 'x', 'socket': 'inet:1@localhost', 'flags': "T', `x"}, "must be 'R'"),
    ({'name': 'x', 'socket': 'inet:1@localhost', 'timeouts': 'S:1s'}, 'timeouts must be a mapping'),
    ({'name': 'x', 'socket': 'inet:1@localhost', 'timeouts': {'T': '1s'}}, "unknown field 'T'"),
    ({'name': 'x', 'socket': 'inet:1@localhost', 'timeouts': {'S': '1x'}}, "S '1x' must be a time"),
    ({'name': 'x', 'socket': 'inet:1@localhost', 'timeouts': {'S': '1s;R:1s'}}, 'must be a time'),
    ({'name': 'x', 'socket': 'inet:1@localhost', 'timeouts': {'E': '5m, F=R'}}, 'must be a time'),
    ({'name': 'x', 'socket': 'inet:1@localhost', 'timeouts': {'C': -1}}, 'must be a time'),
    ({'name': 'x', 'socket': 'inet:1@localhost', 'timeouts': {'C': True}}, 'must be a time'),
    ({'name': 'x', 'socket': 'inet:1@localhost', 'input': 'yes'}, 'input must be true or false'),
    ({'name': 'x', 'socket': 'inet:1@localhost', 'flag': 'T'}, "unknown field 'flag'"),
])
def test_milters_refused(entry, why):
    found = errors(milters=[entry])
    assert len(found) == 1, found
    assert found[0].startswith(f"sendmail_milters[0] (name {entry['name']!r}): "), found
    assert why in found[0], found


def test_milters_must_be_a_list_of_mappings():
    assert errors(milters={'name': 'x'}) == ['sendmail_milters: must be a list, got a mapping']
    found = errors(milters=['inet:1@localhost'])
    assert found == ['sendmail_milters[0]: must be a mapping with fields name, socket, flags, timeouts, input, '
                     'got a string']


def test_milter_names_are_unique():
    found = errors(milters=[{'name': 'x', 'socket': 'inet:1@localhost'},
                            {'name': 'x', 'socket': 'inet:2@localhost'}])
    assert found == ["sendmail_milters[1] (name 'x'): duplicate name (first at index 0)"]


def test_input_order_names_declared_milters_once():
    found = errors(milters=[{'name': 'a', 'socket': 'inet:1@localhost'}], input_mail_filters=['a', 'b', 'a'])
    assert found == ["sendmail_input_mail_filters[1] ('b'): not a milter of sendmail_milters (declared: a)",
                     "sendmail_input_mail_filters[2] ('a'): listed twice"]


def test_input_mail_filters_define_is_the_variables_job():
    found = errors(defines={'confINPUT_MAIL_FILTERS': 'a'})
    assert found == ["sendmail_defines['confINPUT_MAIL_FILTERS']: not settable here: use sendmail_milters and, "
                     'for their order, sendmail_input_mail_filters']
