# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every documented example that can run on the controller runs, and does what it documents.

- The EXAMPLES of the filters sendmail_policy, fqdn_errors, platform_error and dkim_settings and of the sendmail_policy action
  run as written through ansible-playbook on localhost. The one change: the action example's last
  task writes the access map into a temporary directory instead of /etc/mail (the examples that
  need a sendmail host run on a lab host: tests/integration/lab/test_examples.py).
- The commented input of the sendmail_policy filter example gives the errors the comment shows.
- The YAML blocks of README.md, found by the file name in the caption above each, are merged the
  way the role merges them (its defaults, then the group_vars and host_vars layers) and validated
  by build_policy; each file name maps to its documented effect below.
- The inline examples of README.md and docs/variables.md (YAML flow values) and docs/grammar.md (keys, values, names and
  paths of each grammar section) are validated and accepted or refused as the text says.

A changed, added or removed example fails a test here until its expectation is updated.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'support'))

from examples import (ROOT, changed, failed, fenced_languages, filter_examples, filter_examples_text, json_output, ok, skipped,  # noqa: E402
                      markdown_yaml_blocks, module_examples, ran_tasks)

from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import (  # noqa: E402
    LAYERED_KEYS, build_policy, policy_texts)

BIN = Path(sys.executable).parent
ROLE = ROOT / 'roles' / 'sendmail'
ROLE_DEFAULTS = yaml.safe_load((ROLE / 'defaults' / 'main.yml').read_text())
from ansible_collections.mailops.sendmail.plugins.plugin_utils._sendmail_role import LISTEN_DEFAULTS, role_settings  # noqa: E402
README = ROOT / 'README.md'
VARIABLES = ROOT / 'docs' / 'variables.md'
GRAMMAR = ROOT / 'docs' / 'grammar.md'
ALL_ASSERTIONS_PASSED = 'All assertions passed'

# The README's inventory example, merged by the role (see README_EXPECTED below for what each does).
README_ACCESS_TEXT = ('Connect:localhost.localdomain\tRELAY\nConnect:localhost\tRELAY\nConnect:127.0.0.1\tRELAY\n'
                      'From:spammer@bad.example\tERROR:"550 5.7.1 No spam here"\n')
SENDMAIL_POLICY_ERRORS_COMMENT = re.compile(r'^# With\n(?P<input>(?:#   .*\n)+)# errors is\n(?P<errors>(?:#   .*\n)+)', re.M)


def _readme_layers():
    """{file name: variables} of the README's YAML blocks, by the file name of each caption."""
    layers = {}
    for caption, text in markdown_yaml_blocks(README):
        match = re.match(r'`((?:group|host)_vars/[^`]+\.yml)`', caption)
        assert match, 'a YAML block of README.md without a group_vars/host_vars file name above it: %r' % caption
        assert match.group(1) not in layers, match.group(1)
        layers[match.group(1)] = yaml.safe_load(text)
    return layers


def _policy_comment():
    """The input and the errors the comment of the sendmail_policy filter example shows."""
    match = SENDMAIL_POLICY_ERRORS_COMMENT.search(filter_examples_text('sendmail_policy'))
    assert match, 'the sendmail_policy filter example no longer shows an input and its errors'

    def uncomment(block):
        return yaml.safe_load('\n'.join(line[4:] for line in block.splitlines()))
    return uncomment(match.group('input')), uncomment(match.group('errors'))


def _server_vars(*layers):
    """The role's defaults, the server's default listen address and the given layers, as a host would have them."""
    out = dict(ROLE_DEFAULTS, sendmail_listen=LISTEN_DEFAULTS['server'])
    for layer in layers:
        out.update(layer)
    return out


# {example source: [(task name, documented outcome)], in the order of the example}. The checks name a
# dotted path into the task's result; 'file:<path>' is the text of a file the task wrote.
EXPECTED = {
    'sendmail_policy filter EXAMPLES': [
        ('Merge and validate the policy before changing the host', ok(**{
            'ansible_facts.sendmail_policy_result.errors': [],
            'ansible_facts.sendmail_policy_result.access': [
                {'key': 'Connect:localhost.localdomain', 'action': 'RELAY'},
                {'key': 'Connect:localhost', 'action': 'RELAY'}, {'key': 'Connect:127.0.0.1', 'action': 'RELAY'}],
            'ansible_facts.sendmail_policy_result.listen': [{
                'name': 'MTA-v4', 'port': 25, 'addr': '0.0.0.0', 'family': 'inet', 'modifiers': '', 'raw': False,
                'options': 'Family=inet, Name=MTA-v4, Port=25, Addr=0.0.0.0'}],
            'ansible_facts.sendmail_policy_result.smart_host': ''})),
        ('Stop on any problem, listing all of them', ok(msg=ALL_ASSERTIONS_PASSED)),
    ],
    'sendmail_policy filter EXAMPLES, with the input of its comment': [
        ('Merge and validate the policy before changing the host', ok()),
        ('Stop on any problem, listing all of them', failed(msg='<the errors of the comment>')),
    ],
    'fqdn_errors EXAMPLES': [
        ("Check the host's identity before writing /etc/hosts", ok(msg=ALL_ASSERTIONS_PASSED)),
    ],
    # On the Debian 12 machine the tests run on (README), a supported OS: the refusal is skipped.
    'platform_error EXAMPLES': [
        ('Read the facts the filter needs', ok(**{'ansible_facts.ansible_distribution': 'Debian'})),
        ('Refuse an OS the collection does not support', skipped()),
    ],
    'mail_domains EXAMPLES': [
        ('List the mail domains of a server from its three layers', ok(msg=['example.com', 'example.net'])),
    ],
    'dkim_settings EXAMPLES': [
        ('Check the signing keys and show the milter socket',
         ok(msg='inet:8891@127.0.0.1 signs for 127.0.0.1, ::1, localhost, 192.0.2.0/24')),
    ],
    'sendmail_policy EXAMPLES': [
        ('Merge and validate the policy of this host', ok(**{
            'policy.errors': [],
            'policy.access_text': README_ACCESS_TEXT,
            'policy.access_count': 4,
            'policy.local_host_names': ['example.com'],
            'policy.virtusertable_text': 'sales@example.com\talice\n@example.com\terror:nouser User unknown\n',
            'policy.aliases_text': ('mailer-daemon: postmaster\npostmaster: root\nroot: admin\nstaff: alice,bob,carol\n'
                                    'everyone: staff,:include:/srv/mail-lists/everyone\n'),
        })),
        ('Refuse invalid settings', skipped()),
        ('Write the access map', changed(**{'file:/etc/mail/access': README_ACCESS_TEXT})),
    ],
}


def _sources():
    """{source: (tasks, play vars)}; the tasks as documented."""
    comment_input, _errors = _policy_comment()
    layers = _readme_layers()
    return {
        'sendmail_policy filter EXAMPLES': (filter_examples('sendmail_policy'), _server_vars()),
        'sendmail_policy filter EXAMPLES, with the input of its comment': (
            filter_examples('sendmail_policy'), _server_vars(comment_input)),
        'fqdn_errors EXAMPLES': (filter_examples('fqdn_errors'), {}),
        'platform_error EXAMPLES': (filter_examples('platform_error'), {}),
        'dkim_settings EXAMPLES': (filter_examples('dkim_settings'), {}),
        'mail_domains EXAMPLES': (filter_examples('mail_domains'), {}),
        # The host of the README's inventory example (group_vars/mail_servers.yml + host_vars/mx1.yml).
        'sendmail_policy EXAMPLES': (module_examples('sendmail_policy'), _server_vars(
            layers['group_vars/mail_servers.yml'], layers['host_vars/mx1.yml'])),
    }


def _to_tmp(tasks, tmp_path):
    """The tasks, with every dest under /etc written below tmp_path instead."""
    out = []
    for task in tasks:
        task = dict(task)
        for module, args in list(task.items()):
            if isinstance(args, dict) and str(args.get('dest', '')).startswith('/etc/'):
                dest = tmp_path / args['dest'].lstrip('/')
                dest.parent.mkdir(parents=True, exist_ok=True)
                task[module] = dict(args, dest=str(dest))
        out.append(task)
    return out


@pytest.fixture(scope='module')
def ran(tmp_path_factory, ansible_json_env):
    """{source: ([(task name, result)], tmp dir)}: each source as a playbook of its own, side by side."""
    def run(item):
        source, (tasks, play_vars) = item
        tmp_path = tmp_path_factory.mktemp('examples')
        play = {'name': source, 'hosts': 'localhost', 'connection': 'local', 'gather_facts': False,
                'vars': dict(play_vars, ansible_python_interpreter=sys.executable),
                'tasks': _to_tmp(tasks, tmp_path / 'root')}
        (tmp_path / 'play.yml').write_text(json.dumps([play], indent=1))
        proc = subprocess.run([str(BIN / 'ansible-playbook'), '-i', 'localhost,', str(tmp_path / 'play.yml')],
                              cwd=tmp_path, env=ansible_json_env(tmp_path), capture_output=True, text=True,
                              timeout=300, check=False)
        return source, (ran_tasks(json_output(proc), 'localhost'), tmp_path / 'root')

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, _sources().items()))


def _get(result, path):
    for part in path.split('.'):
        result = result[part]
    return result


def _check(result, expectation, root, where):
    kind, checks = expectation
    if kind == 'failed':
        assert result.get('failed') is True, (where, result)
    else:
        assert result.get('failed') is not True, (where, result.get('msg'))
        assert bool(result.get('skipped')) is (kind == 'skipped'), (where, result)
        assert bool(result.get('changed')) is (kind == 'changed'), (where, result)
    for path, value in checks.items():
        if path.startswith('file:'):
            assert (root / path[len('file:/'):]).read_text() == value, where
        else:
            assert _get(result, path) == value, where


@pytest.mark.parametrize('source', sorted(EXPECTED))
def test_every_example_does_what_it_documents(ran, source):
    tasks, root = ran[source]
    assert [name for name, _result in tasks] == [name for name, _outcome in EXPECTED[source]], source
    for (name, result), (_name, expectation) in zip(tasks, EXPECTED[source]):
        if expectation[1].get('msg') == '<the errors of the comment>':
            expectation = failed(msg=_policy_comment()[1])
        _check(result, expectation, root, (source, name))


def test_every_example_of_the_controller_sources_is_mapped():
    """The sources run here are every filter example that needs no sendmail host, and the action's."""
    assert set(_sources()) == set(EXPECTED)
    lab_only = {'sendmail_listen_check'}    # it reads a sendmail host: the lab test runs it
    documented = {'sendmail_policy', 'fqdn_errors', 'platform_error', 'dkim_settings', 'mail_domains'}
    assert {p.stem for p in (ROOT / 'plugins' / 'filter').glob('*.yml')} == documented | lab_only


# -- README.md: the inventory example ---------------------------------------------------------------

def _role_policy(*layers):
    """build_policy as the role's policy step calls it: the settings from the role's variables (role_settings),
    the layered maps, the SMTP AUTH users and the smart host's password (as the policy action adds them)."""
    host = dict(ROLE_DEFAULTS)
    for layer in layers:
        host.update(layer)
    data = role_settings(host.get, {'fqdn': 'mx1.example.com'})
    data['auth']['conf_file'] = '/etc/sasl2/Sendmail.conf'
    data.update((key, host['sendmail_' + key]) for key in LAYERED_KEYS if 'sendmail_' + key in host)
    data['auth']['users'] = host['sendmail_auth_users']
    data['smart_host_auth']['password'] = host['sendmail_smart_host_auth_password']
    return build_policy(data)


def _access(policy):
    return {entry['key']: entry['action'] for entry in policy['access']}


def _aliases(policy):
    return [entry['line'] for entry in policy['aliases']]


GROUP_ACCESS = {'Connect:localhost.localdomain': 'RELAY', 'Connect:localhost': 'RELAY', 'Connect:127.0.0.1': 'RELAY',
                'Connect:192.0.2.10': 'RELAY', 'From:spammer@bad.example': 'REJECT'}
SERVER_ALIASES = ['mailer-daemon: postmaster', 'postmaster: root', 'root: admin', 'staff: alice,bob,carol',
                  'everyone: staff,:include:/srv/mail-lists/everyone']


def _expect_mail_servers(policy):
    """group_vars/mail_servers.yml: a server; the client 192.0.2.10 relays, the spammer is refused;
    nested alias members are flattened; everyone includes its declared list file."""
    assert _access(policy) == GROUP_ACCESS
    assert _aliases(policy) == SERVER_ALIASES
    assert policy['alias_files'] == [{'path': '/srv/mail-lists/everyone', 'members': ['dave', 'erin'],
                                      'owner': 'root', 'group': 'root', 'mode': '0644'}]
    assert policy['listen'][0]['options'] == 'Family=inet, Name=MTA-v4, Port=25, Addr=0.0.0.0'


def _expect_mx1(policy):
    """host_vars/mx1.yml on top: 192.0.2.10 removed, the spammer's REJECT overridden by an ERROR, the rest
    of the group's lists kept; example.com local with a virtual user and a catch-all; the DNSBL."""
    expected = dict(GROUP_ACCESS, **{'From:spammer@bad.example': 'ERROR:"550 5.7.1 No spam here"'})
    del expected['Connect:192.0.2.10']
    assert _access(policy) == expected
    assert list(_access(policy)) == list(expected)      # the override keeps the group entry's place
    assert _aliases(policy) == SERVER_ALIASES
    assert policy['local_host_names'] == ['example.com']
    assert policy['virtusertable'] == [{'address': 'sales@example.com', 'target': 'alice'},
                                       {'address': '@example.com', 'target': 'error:nouser User unknown'}]
    assert [(d['zone'], d['message']) for d in policy['dnsbl']] == [
        ('bl.example.net', '550 5.7.1 Rejected: $&{client_addr} is listed')]
    assert policy_texts(policy)['access_text'] == README_ACCESS_TEXT
    # STARTTLS + SMTP AUTH: AUTH after STARTTLS only, the MSA on 587, the fleet's user (its password never returned)
    assert policy['auth']['enabled'] and policy['auth']['users'] == [{'name': 'fleet', 'state': 'present'}]
    assert {'name': 'confAUTH_OPTIONS', 'value': 'A p'} in policy['auth']['defines']
    assert policy['listen'][-1]['options'] == 'Family=inet, Name=MSA, Port=587, Addr=0.0.0.0, M=E'
    assert 'vault_smtp_fleet_password' not in repr(policy)


def _expect_mail_clients(policy):
    """group_vars/mail_clients.yml: a client on loopback, everything through the smart host, root's mail
    to an address, a fleet that masquerades."""
    assert policy['smart_host'] == '[mx1.example.com]'
    assert [entry['options'] for entry in policy['listen']] == ['Family=inet, Name=MTA-v4, Port=25, Addr=127.0.0.1']
    assert _aliases(policy) == ['mailer-daemon: postmaster', 'postmaster: root', 'root: admin@example.com']
    # masquerading as the domain, envelope too, root exposed; bob's sender rewritten by the genericstable,
    # which is looked up for example.com and its subdomains (the clients' own names)
    assert policy['masquerade'] == {'as': 'example.com', 'domains': [], 'exposed_users': ['root'],
                                    'generics_domains': ['example.com'],
                                    'features': ['masquerade_envelope', 'generics_entire_domain']}
    assert policy_texts(policy)['genericstable_text'] == 'bob\trobert.smith@example.com\n'
    # submission to the smart host on 587 with the fleet's user: an AuthInfo entry (a secret: the map is kept out of
    # the output), the password as base64 (here the vault reference the role templates at run time)
    assert policy['auth']['relay_defines'] == [{'name': 'RELAY_MAILER_ARGS', 'value': 'TCP $h 587'}]
    assert _access(policy)['AuthInfo:mx1.example.com'] == '"U:fleet" "I:fleet" "P=e3sgdmF1bHRfc210cF9mbGVldF9wYXNzd29yZCB9fQ==" "M:PLAIN LOGIN"'
    assert policy['secrets'] is True and policy['auth']['client'] is True


# {README file name: (the layers merged for it, in order, its documented effect)}
README_EXPECTED = {
    'group_vars/mail_servers.yml': (['group_vars/mail_servers.yml'], _expect_mail_servers),
    'host_vars/mx1.yml': (['group_vars/mail_servers.yml', 'host_vars/mx1.yml'], _expect_mx1),
    'group_vars/mail_clients.yml': (['group_vars/mail_clients.yml'], _expect_mail_clients),
}


def test_every_yaml_block_of_the_readme_is_a_mapped_inventory_file():
    assert fenced_languages(README).count('yaml') == len(markdown_yaml_blocks(README))
    assert set(fenced_languages(README)) <= {'sh', 'yaml'}, 'a README code block in another language'
    assert list(_readme_layers()) == list(README_EXPECTED)


@pytest.mark.parametrize('name', list(README_EXPECTED))
def test_the_readme_inventory_example_is_valid_and_does_what_it_says(name):
    layers = _readme_layers()
    files, expect = README_EXPECTED[name]
    policy = _role_policy(*(layers[f] for f in files))
    assert policy['errors'] == [], name
    expect(policy)


def test_the_readme_group_vars_name_the_probe_host_and_the_mode():
    layers = _readme_layers()
    assert layers['group_vars/mail_servers.yml']['sendmail_relay_probe_from'] == 'outsider'
    assert layers['group_vars/mail_servers.yml']['sendmail_mode'] == 'server'
    assert layers['group_vars/mail_clients.yml']['sendmail_mode'] == 'client'
    # every variable of the example is one of the role's
    for name, layer in layers.items():
        assert set(layer) <= set(ROLE_DEFAULTS), (name, set(layer) - set(ROLE_DEFAULTS))


# -- docs/variables.md: inline YAML values of the variable table -------------------------------------

# {inline example of docs/variables.md (and README.md): (policy input key, how the value is used, errors)}
README_INLINE = {
    '[{name: MTA-v4, port: 25, addr: 127.0.0.1}]': ('listen', lambda v: v,
                                                    ['Family=inet, Name=MTA-v4, Port=25, Addr=127.0.0.1']),
    '{name: MSA, port: submission, modifiers: Ea}': ('listen', lambda v: [v],
                                                     ['Family=inet, Name=MSA, Port=587, Addr=0.0.0.0, M=Ea']),
}


def test_the_inline_yaml_examples_of_the_readme():
    text = README.read_text() + VARIABLES.read_text()
    spans = [s for s in re.findall(r'`([^`\n]+)`', text) if re.match(r'\[?\{\w+: ', s)]
    assert sorted(set(spans)) == sorted(README_INLINE), 'an inline YAML example of the variable docs has no expectation'
    for span, (key, use, options) in README_INLINE.items():
        policy = build_policy({key: use(yaml.safe_load(span))})
        assert policy['errors'] == [], span
        assert [entry['options'] for entry in policy['listen']] == options, span


# -- docs/grammar.md: inline examples ------------------------------------------------------------------

def _grammar_row(tag):
    """The backticked words of each column (after the first) of the access table row of tag."""
    for line in GRAMMAR.read_text().splitlines():
        if line.startswith('| `%s` |' % tag):
            return [re.findall(r'`([^`]+)`', cell) for cell in line.strip('|').split(' | ')[1:]]
    raise AssertionError('docs/grammar.md has no access row for %s' % tag)


# The Connect: row: each example key (as a Connect: key, 'tag' for the tag itself, or the example filled
# in) and each example value (for Connect:bad.example), all accepted.
CONNECT_KEYS = {'10.1': 'Connect:10.1', '192.168.2': 'Connect:192.168.2', 'IPv6:': 'tag',
                'IPv6:2001:db8': 'Connect:IPv6:2001:db8', '[1.2.3.4]': 'Connect:[1.2.3.4]',
                '[IPv6:...]': 'Connect:[IPv6:2001:db8::25]'}
CONNECT_VALUES = ['OK', 'RELAY', 'REJECT', 'DISCARD', 'SKIP', 'ERROR:"550 text"', 'ERROR:5.7.1:"550 text"',
                  'ERROR:550 text', 'QUARANTINE:reason', '"550 text"', '550 text']


def test_the_connect_row_of_the_grammar():
    keys, values = _grammar_row('Connect:')
    assert keys == list(CONNECT_KEYS), 'an example key of the Connect: row has no expectation'
    assert values == CONNECT_VALUES, 'an example value of the Connect: row has no expectation'
    entries = [{'key': k, 'action': 'REJECT'} for k in CONNECT_KEYS.values() if k != 'tag']
    entries += [{'key': 'Connect:bad%d.example' % i, 'action': v} for i, v in enumerate(CONNECT_VALUES)]
    policy = build_policy({'listen': LISTEN_DEFAULTS['server'], 'access': entries})
    assert policy['errors'] == []
    assert len(policy['access']) == len(entries)


def _errors(**data):
    return build_policy(dict({'listen': LISTEN_DEFAULTS['server']}, **data))['errors']


def _access_entry(key, action):
    return {'access': [{'key': key, 'action': action}]}


def _alias_file(path):
    return {'alias_files': [{'path': path, 'members': ['dave']}]}


OPEN_RELAY = 'it would make the server an open relay'
LIST_DIRS = 'use e.g. /etc/mail/lists/, /etc/mail-lists/, /srv/mail-lists/ or /var/lib/mail-lists/'
# (text of docs/grammar.md, the policy input it stands for, None = accepted or a part of the one error)
GRAMMAR_EXAMPLES = [
    ('or `user@` (that local part at any domain)', _access_entry('From:abuse@', 'REJECT'), None),
    ('`SKIP` only for hosts and networks', _access_entry('From:user@bad.example', 'SKIP'),
     'SKIP can only be used for host/domain names and IP networks, not for an address'),
    ('| `Spam:` | as `From:` | `FRIEND`', _access_entry('Spam:friend.example', 'FRIEND'), None),
    ('| `Spam:` | as `From:` | `FRIEND`', _access_entry('Spam:friend.example', 'REJECT'), 'takes FRIEND'),
    ('milliseconds, a whole number (`0` = no pause)', _access_entry('GreetPause:192.168.2', '0'), None),
    ('connections per `ConnectionRateWindowSize` / open connections, a whole number',
     _access_entry('ClientRate:', '10'), None),
    ('| `Try_TLS:` | host, domain, network or nothing | `NO` |', _access_entry('Try_TLS:', 'NO'), None),
    ('feature letters, e.g. `v`, `V M`', _access_entry('Srv_Features:10.1', 'V M'), None),
    ('`"U:user" "I:authid" "P:secret" "R:realm" "M:MECHS"`',
     _access_entry('AuthInfo:relay.example', '"U:user" "I:authid" "P:secret" "R:realm" "M:MECHS"'), None),
    ('a user (`U` or `I`) and `P` are required', _access_entry('AuthInfo:relay.example', '"U:user"'),
     'needs a user ("U:" or "I:") and a password ("P:")'),
    ('CIDR (`10.0.0.0/8`) does not exist in the access map: the error names the prefixes to use.',
     _access_entry('Connect:10.0.0.0/8', 'RELAY'), "CIDR is not supported by the access map; use the prefix 'Connect:10'"),
    ('a single-label name or a public suffix there (`com`, `mailhub`, `co.uk`, `github.io`,\nfrom the Public Suffix '
     'List) is an open relay', {'relay_domains': ['co.uk']}, "'co.uk' is a public suffix (Public Suffix List)"),
    ('a single-label name or a public suffix there (`com`, `mailhub`, `co.uk`, `github.io`,\nfrom the Public Suffix '
     'List) is an open relay', {'relay_domains': ['mailhub']}, "'mailhub' is a single-label (top-level) name"),
    ('`$1`-`$9`, `$#`, `$*`, `$@` (which m4 would replace\nwith macro arguments) are refused',
     {'defines': {'confSMTP_LOGIN_MSG': '$j ready $1'}}, "contains '$1', which m4 replaces with a macro argument"),
    ('`addr` (an IP address, no `%scope`', {'listen': [{'name': 'MTA', 'addr': 'fe80::1%eth0'}]},
     "addr 'fe80::1%eth0' must be a literal IPv4 or IPv6 address"),
    ('Domain names (a trailing dot is dropped, case is folded)', {'relay_domains': ['Example.ORG.']}, None),
    ('a domain with a leading dot for every name under it\n(`.example.com`), or `.` alone for every domain no other '
     'entry covers', {'mailertable': [{'domain': '.example.com', 'route': 'esmtp:[mx.example.net]'},
                                      {'domain': '.', 'route': 'relay:[smarthost.example.net]'}]}, None),
    ('not a local host name\n(`sendmail_local_host_names`',
     {'mailertable': [{'domain': 'mail.example.com', 'route': 'smtp:[relay.example.net]'}],
      'local_host_names': ['mail.example.com']}, 'a local host name (sendmail_local_host_names)'),
    ('one a `MAILER()` line of `sendmail_mc_extra_lines` adds', {'mailertable': [{'domain': 'uu.example',
                                                                                  'route': 'uucp-new:uuhost1'}]},
     "the mailer 'uucp-new' is not defined in the mc"),
    ('`%1` for the wildcarded part under a leading-dot key, no port', {'mailertable': [
        {'domain': 'a.example', 'route': 'smtp:host.example:25'}]}, 'a port is not part of a mailertable entry'),
    ('`local:user`, `local:` (the recipient\'s own name), `error:550 text` or `error:5.7.1:550 text`',
     {'mailertable': [{'domain': 'a.example', 'route': 'local:bob'}, {'domain': 'b.example', 'route': 'local:'},
                      {'domain': 'c.example', 'route': 'error:550 text'},
                      {'domain': 'd.example', 'route': 'error:5.7.1:550 text'}]}, None),
    ('`error:nouser text`, `error:5.1.1:550 text`, `error:550 text`',
     {'virtusertable': [{'address': '@example.com', 'target': 'error:nouser text'},
                        {'address': 'a@example.com', 'target': 'error:5.1.1:550 text'},
                        {'address': 'b@example.com', 'target': 'error:550 text'},
                        {'address': '@example.net', 'target': '%1@example.com'}]}, None),
    ('`:include:/path` (or `":include:/path"`) of a list file that `sendmail_alias_files`\ndeclares',
     {'aliases': [{'name': 'staff', 'members': [':include:/srv/lists/staff']}]},
     'includes a file that sendmail_alias_files does not declare'),
    ('`:include:/path` (or `":include:/path"`) of a list file that `sendmail_alias_files`\ndeclares',
     {'aliases': [{'name': 'staff', 'members': ['":include:/srv/lists/staff"']}],
      'alias_files': [{'path': '/srv/lists/staff', 'members': ['alice']}]}, None),
    ('`/file` and `|program` only\nwhen allowed', {'aliases': [{'name': 'log', 'members': ['|/usr/bin/logger']}]},
     'program members are refused unless sendmail_aliases_allow_programs: true'),
    ('`/etc/mail/lists/`, `/etc/mail-lists/`, `/srv/mail-lists/`, `/var/lib/mail-lists/`',
     {'alias_files': [{'path': d + 'staff', 'members': ['dave']}
                      for d in ('/etc/mail/lists/', '/etc/mail-lists/', '/srv/mail-lists/', '/var/lib/mail-lists/')]},
     None),
    ('(`/srv//x/./y` is `/srv/x/y`)', _alias_file('/srv//x/./y'), None),
    ('files sendmail builds or reads in `/etc/mail` (`access`', _alias_file('/etc/mail/access'),
     'is a file sendmail builds or reads'),
    ('files directly in\n`/`, `/etc`, `/var`', _alias_file('/etc/staff'), 'would sit directly in /etc'),
    ('other programs\' places (`/usr`,\n`/home`, `/root`, `/tmp`', _alias_file('/home/alice/staff'),
     'is under /home, which belongs to other programs or users; ' + LIST_DIRS),
    ('`550 5.7.1 Listed`, `554 Go away` (sendmail adds the status 5.7.1), `451 4.7.1 Try later`, or\n'
     '`Listed at our list`',
     {'dnsbl': [{'zone': 'bl%d.example.net' % i, 'message': m} for i, m in enumerate(
         ['550 5.7.1 Listed', '554 Go away', '451 4.7.1 Try later', 'Listed at our list', 'discard', 'quarantine',
          'Rejected, see (https://bl.example.net/$&{client_addr}) for $&{client_name}'])]}, None),
    ('a backslash that escapes the next character (`see\\#why`)',
     {'dnsbl': [{'zone': 'bl.example.net', 'message': 'Listed, see\\#why'}]}, None),
    ('not quotes (`` ` `` `\'`\n`"`), a lone backslash', {'dnsbl': [{'zone': 'bl.example.net', 'message': 'say "no"'}]},
     'contains \'"\''),
    ('not quotes (`` ` `` `\'`\n`"`), a lone backslash', {'dnsbl': [{'zone': 'bl.example.net', 'message': 'a lone \\'}]},
     'contains \'\\\\\''),
    ('An MSA on 587 that requires\nAUTH: `{name: MSA, port: submission, modifiers: Ea}`',
     {'listen': [{'name': 'MSA', 'port': 'submission', 'modifiers': 'Ea'}]}, None),
    ('`promiscuous_relay`, `relay_based_on_MX`', {'features': ['relay_based_on_MX']}, OPEN_RELAY),
    ('`promiscuous_relay`, `relay_based_on_MX`', {'features': ['relay_based_on_MX'], 'allow_open_relay': True}, None),
    ('The role\'s own `use_cw_file`, `access_db`', {'features': ['access_db']}, 'always on'),
    ('(a misspelt one is named with the\nclosest match)', {'defines': {'confMAX_MESAGE_SIZE': 1000}},
     "did you mean 'confMAX_MESSAGE_SIZE'?"),
    ('Never cf-internal macros\n(`_NAME_`), `ALIAS_FILE` (the role\'s) or `SMART_HOST` (use `sendmail_smart_host`)',
     {'defines': {'SMART_HOST': 'relay.example.com'}}, 'use sendmail_smart_host'),
    ('`host`, `[host]`, `[IPv4]`, `[IPv6:addr]`, optionally after `relay:`,\n`smtp:`, `esmtp:` or `smtp8:`',
     {'smart_host': 'esmtp:[IPv6:2001:db8::25]'}, None),
    ('`host`, `[host]`, `[IPv4]`, `[IPv6:addr]`, optionally after `relay:`,\n`smtp:`, `esmtp:` or `smtp8:`',
     {'smart_host': 'smtp8:[192.0.2.25]'}, None),
    ("GNU m4's\nbuiltins (`esyscmd`, `include`, `divert`, `dnl`, ...)", {'defines': {'confDOMAIN_NAME': 'esyscmd(id)'}},
     'esyscmd'),
]


@pytest.mark.parametrize('text, data, error', GRAMMAR_EXAMPLES,
                         ids=['%d-%s' % (i, re.sub(r'\W+', '_', t[:30])) for i, (t, _d, _e) in enumerate(GRAMMAR_EXAMPLES)])
def test_the_inline_examples_of_the_grammar(text, data, error):
    assert ' '.join(text.split()) in ' '.join(GRAMMAR.read_text().split()), 'docs/grammar.md no longer says this'
    errors = _errors(**data)
    if error is None:
        assert errors == []
    else:
        assert len(errors) == 1 and error in errors[0], errors
