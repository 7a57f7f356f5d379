# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every documented example that needs a sendmail host runs on the live lab, and does what it documents.

The EXAMPLES of smtp_probe, host_state, install_files and sendmail_policy and of the
filter sendmail_listen_check run as written through ansible-playbook with the lab
inventory. What the test adjusts, not the examples:

- addresses and names: the examples' mx1 address is this lab's mx1, and mx2 (not in the live lab)
  is mx1 (HOST_MAP); a probe without delegate_to runs from an untrusted host (outsider), the probe
  "from a listed host" from spammer;
- the templates the examples name (access.j2, sendmail.mc.j2) are mx1's own files, so that "only
  when it differs" has a known answer; the examples that would only change a mode run in check mode,
  once as mx1 is (its access map is root's 0600, the examples ask for 0644: it differs) and once
  with the map made 0644 (nothing differs);
- the probe of a server "with its own relay message" runs from ns1 (sendmail answers a client whose
  name does not resolve with its own "Relaying denied. IP name lookup failed" instead of
  confRELAY_MSG), once against mx1 as it is (it fails: inconclusive) and once after mx1 was
  converged with that message; mx1 is converged back afterwards.

What the examples change on mx1 (the access map and its database) is copied back with its times,
and the test shows that mx1's files are as before. Each example source maps to the outcome of each
of its tasks (EXPECTED): a changed, added or removed example fails the test until it is updated.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / 'support'))

from examples import ROOT, changed, failed, filter_examples, json_output, module_examples, ok, ran_tasks, skipped  # noqa: E402

from ansible_collections.mailops.sendmail.plugins.plugin_utils._sendmail_role import LISTEN_DEFAULTS  # noqa: E402

ROLE_DEFAULTS = yaml.safe_load((ROOT / 'roles' / 'sendmail' / 'defaults' / 'main.yml').read_text())
SERVER_LISTEN = LISTEN_DEFAULTS['server']
SAVED = '/root/examples-saved'
ACCESS, ACCESS_DB, MC = '/etc/mail/access', '/etc/mail/access.db', '/etc/mail/sendmail.mc'
RELAY_MSG = 'we do not relay'
RELAY_MSG_DEFINE = '"550 we do not relay"'       # as sendmail's own default is written: code and text, quoted


def startswith(prefix):
    return ('startswith', prefix)


def contains(part):
    return ('contains', part)


RELAY_DENIED = {'verdict': 'relay_denied', 'reason': startswith('relay denied: '),
                'recipients.0.code': 550, 'recipients.0.status': '5.7.1', 'recipients.0.relay_denied': True,
                'recipients.0.text': contains('Relaying denied')}
# {source: [(task name, documented outcome)]}; '{mx1}', '{client1}', '{spammer}' are the lab's addresses, the
# checks dotted paths into the result ('mx1:<path>' is what a file on mx1 held right after the run).
EXPECTED = {
    'smtp_probe EXAMPLES, from an untrusted host': [
        ('Prove that mx1 does not relay for an untrusted host (passes only on 5.7.1 Relaying denied)',
         ok(**RELAY_DENIED, **{'mail_from.code': 250})),
        ('Check that a virtual user is accepted',
         ok(verdict='accepted', **{'recipients.0.rcpt': 'sales@example.test', 'recipients.0.code': 250,
                                   'banner': contains('mx1.example.test ESMTP Sendmail')})),
    ],
    # mx1 runs STARTTLS with the lab CA's certificate (lab/inventory): the probe from mx1 itself.
    'smtp_probe EXAMPLES, on the server itself': [
        ('Prove that a server offers STARTTLS and completes the handshake (no mail sent)',
         ok(verdict='starttls', **{'tls.offered': True, 'tls.version': startswith('TLSv1.')})),
    ],
    'smtp_probe EXAMPLES, from a listed host': [
        ('Check that mail from a listed host is refused, whatever the reason',
         ok(verdict='relay_denied', **{'recipients.0.code': 550, 'recipients.0.accepted': False})),
    ],
    'smtp_probe EXAMPLES, a server with its own relay message': [
        ('A relay probe of a server with its own relay message',
         ok(verdict='relay_denied', **{'recipients.0.text': contains(RELAY_MSG), 'recipients.0.status': '5.7.1'})),
    ],
    # The same probe against mx1 as the lab has it: its pattern does not match sendmail's usual message.
    'smtp_probe EXAMPLES, a server with its own relay message, against the usual one': [
        ('A relay probe of a server with its own relay message',
         failed(verdict='refused', reason=startswith('inconclusive'), **{'recipients.0.text': contains('Relaying denied')})),
    ],
    'host_state EXAMPLES (check mode)': [
        ('Read the state of the files the role manages', ok(**{
            'files./etc/mail/access.mode': '0600', 'files./etc/mail/access.owner': 'root',
            'files./etc/mail/access.checksum': 'sha1:/etc/mail/access',
            'files./etc/mail/sendmail.mc.checksum': 'sha1:/etc/mail/sendmail.mc',
            'packages_missing': [], 'running': True})),
        # only the mode differs (0600 on mx1): no rebuild
        ('Deploy the access map only when it differs, and rebuild access.db when it is older than the map',
         changed(changed_ids=['/etc/mail/access'], post_commands=[], sent=['/etc/mail/access'])),
    ],
    'host_state EXAMPLES (check mode, access 0644)': [
        ('Read the state of the files the role manages', ok(**{'files./etc/mail/access.mode': '0644'})),
        # nothing differs: the host is not even contacted
        ('Deploy the access map only when it differs, and rebuild access.db when it is older than the map',
         ok(changed_ids=[], post_commands=[], triggered=[])),
    ],
    'sendmail_policy and sendmail_listen_check EXAMPLES': [
        ('Merge and validate the policy before changing the host', ok(**{
            'ansible_facts.sendmail_policy_result.errors': [],
            'ansible_facts.sendmail_policy_result.access.3': {'key': 'Connect:{client1}', 'action': 'RELAY'}})),
        ('Stop on any problem, listing all of them', ok()),
        ('Read the listening sockets', ok(stdout=contains('0.0.0.0:25'))),
        ('Check that sendmail listens exactly where configured', ok(msg='All assertions passed')),
    ],
    # The same with sendmail_listen on loopback only: the messages are those the filter's RETURN shows.
    'sendmail_policy and sendmail_listen_check EXAMPLES, listen on 127.0.0.1': [
        ('Merge and validate the policy before changing the host', ok()),
        ('Stop on any problem, listing all of them', ok()),
        ('Read the listening sockets', ok()),
        ('Check that sendmail listens exactly where configured', failed(msg=[
            'sendmail does not listen on 127.0.0.1:25 (configured in sendmail_listen)',
            'sendmail listens on 0.0.0.0:25, which sendmail_listen does not configure'])),
    ],
    'install_files EXAMPLES': [
        ('Read the files and the databases built from them', ok()),
        ('Write the access map and sendmail.mc where they differ, each checked first', changed(**{
            # sendmail.mc: the same text, but mx1's is root:smmsp and the example asks for root:root
            'changed_ids': ['access', 'mc'], 'post_commands': ['access'], 'triggered': ['restart'],
            'backups_removed': [],
            'mx1:sha1sum /etc/mail/sendmail.mc': 'sha1:/etc/mail/sendmail.mc  /etc/mail/sendmail.mc\n',
            'mx1:stat -c %U:%G:%a /etc/mail/sendmail.mc': 'root:root:644\n',
            'backups./etc/mail/access': startswith('/etc/mail/access.'),
            'mx1:/etc/mail/access': 'Connect:198.51.100.5\tRELAY\n',
            'mx1:makemap -u hash /etc/mail/access': 'connect:198.51.100.5\tRELAY\n'})),
        ('Restart sendmail when sendmail.mc changed', ok(msg='sendmail.mc changed, the daemon would be restarted now')),
    ],
    'sendmail_policy EXAMPLES': [
        ('Merge and validate the policy of this host', ok(**{
            'policy.errors': [], 'policy.access_count': 6, 'policy.access_text': '{access_text}'})),
        ('Refuse invalid settings', skipped()),
        ('Write the access map', changed(**{'mx1:/etc/mail/access': '{access_text}',
                                            'mx1:stat -c %U:%G:%a /etc/mail/access': 'root:root:644\n'})),
    ],
}
# The lab's counterparts of the hosts the examples name.
HOST_MAP = {'198.51.100.3': '{mx1}', 'mx2.example.test': 'mx1.example.test'}


def _smtp_tasks(names, mapping):
    tasks = [t for t in module_examples('smtp_probe') if t['name'] in names]
    out = []
    for task in tasks:
        args = dict(task['mailops.sendmail.smtp_probe'])
        args['host'] = HOST_MAP.get(args['host'], args['host']).format(**mapping)
        out.append(dict(task, **{'mailops.sendmail.smtp_probe': args}))
    return out


def _names(source):
    return [name for name, _outcome in EXPECTED[source]]


def test_every_example_task_is_mapped():
    """Each task of each example source appears in EXPECTED (a new example has no outcome yet: fails)."""
    mapped = {name for tasks in EXPECTED.values() for name, _outcome in tasks}
    for tasks in (module_examples('smtp_probe'), module_examples('host_state'), module_examples('install_files'),
                  module_examples('sendmail_policy'), filter_examples('sendmail_listen_check')):
        assert {t['name'] for t in tasks} <= mapped, {t['name'] for t in tasks} - mapped


class Runner:
    def __init__(self, live, tmp_path):
        self.live, self.tmp = live, tmp_path
        self.env = dict(live.env, ANSIBLE_STDOUT_CALLBACK='ansible.posix.json', ANSIBLE_NOCOLOR='1')
        self.results = {}
        self.files = {}

    def run(self, source, hosts, tasks, play_vars=None, args=(), read=()):
        play = {'name': source, 'hosts': hosts, 'gather_facts': False, 'vars': play_vars or {}, 'tasks': tasks}
        playbook = self.tmp / 'play.yml'
        playbook.write_text(json.dumps([play], indent=1))
        proc = subprocess.run(['ansible-playbook', '-i', str(ROOT / 'lab' / 'inventory'), str(playbook), *args],
                              capture_output=True, text=True, env=self.env, cwd=self.tmp, timeout=600, check=False)
        self.results[source] = ran_tasks(json_output(proc), hosts)
        for what in read:       # what the run left on mx1
            command = what if ' ' in what else 'cat ' + what
            self.files[(source, what)] = self.live.sh('mx1', command, check=False).stdout
        return self.results[source]


def _save(live):
    live.sh('mx1', f'rm -rf {SAVED} && mkdir -p {SAVED} && cp -p {ACCESS} {ACCESS_DB} {MC} {SAVED}/')


def _restore(live):
    live.sh('mx1', f'cp -p {SAVED}/access {ACCESS} && cp -p {SAVED}/access.db {ACCESS_DB} && '
                   f'cp -p {SAVED}/sendmail.mc {MC}')


@pytest.fixture(scope='module')
def ran(live, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('lab_examples')
    runner = Runner(live, tmp)
    mapping = {host: live.ip(host) for host in ('mx1', 'client1', 'spammer')}
    sha1 = dict((path, live.sh('mx1', f'sha1sum {path}').stdout.split()[0])
                for path in ('/etc/mail/access', '/etc/mail/sendmail.mc'))
    access_lines = [line for line in live.sh('mx1', f'cat {ACCESS}').stdout.splitlines(True) if not line.startswith('#')]
    mapping['access_text'] = ''.join(access_lines)
    before = live.hashes(), live.mtimes()
    attributes_before = live.sh('mx1', f'stat -c %U:%G:%a {MC} {ACCESS} {ACCESS_DB}').stdout
    # The templates the examples name: mx1's own files.
    (tmp / 'templates').mkdir()
    for name, path in (('access.j2', ACCESS), ('sendmail.mc.j2', '/etc/mail/sendmail.mc')):
        (tmp / 'templates' / name).write_text('{% raw %}' + live.sh('mx1', f'cat {path}').stdout + '{% endraw %}')
    _save(live)
    host_state = module_examples('host_state')
    try:
        runner.run('smtp_probe EXAMPLES, from an untrusted host', 'outsider',
                   _smtp_tasks(_names('smtp_probe EXAMPLES, from an untrusted host'), mapping))
        runner.run('smtp_probe EXAMPLES, on the server itself', 'mx1',
                   _smtp_tasks(_names('smtp_probe EXAMPLES, on the server itself'), mapping))
        runner.run('smtp_probe EXAMPLES, from a listed host', 'spammer',
                   _smtp_tasks(_names('smtp_probe EXAMPLES, from a listed host'), mapping))
        runner.run('smtp_probe EXAMPLES, a server with its own relay message, against the usual one', 'ns1',
                   _smtp_tasks(_names('smtp_probe EXAMPLES, a server with its own relay message'), mapping))
        for suffix in ('', ', access 0644'):
            if suffix:
                live.sh('mx1', f'chmod 0644 {ACCESS}')
            runner.run('host_state EXAMPLES (check mode%s)' % suffix, 'mx1', host_state, args=['--check'])
        _restore(live)
        # The policy of mx1 as the role sees it: its inventory and the role's base access layer.
        server = {'sendmail_access': ROLE_DEFAULTS['sendmail_access'], 'sendmail_listen': SERVER_LISTEN,
                  'sendmail_smart_host': ''}
        listen_tasks = filter_examples('sendmail_policy') + filter_examples('sendmail_listen_check')
        runner.run('sendmail_policy and sendmail_listen_check EXAMPLES', 'mx1', listen_tasks, server)
        runner.run('sendmail_policy and sendmail_listen_check EXAMPLES, listen on 127.0.0.1', 'mx1', listen_tasks,
                   dict(server, sendmail_listen=[{'name': 'MTA-v4', 'port': 25, 'addr': '127.0.0.1'}]))
        installed = runner.run('install_files EXAMPLES', 'mx1', module_examples('install_files'),
                               read=[ACCESS, 'makemap -u hash /etc/mail/access', 'sha1sum /etc/mail/sendmail.mc',
                                     'stat -c %U:%G:%a /etc/mail/sendmail.mc'])
        for backup in (dict(installed)[_names('install_files EXAMPLES')[1]].get('backups') or {}).values():
            live.sh('mx1', 'rm -f -- %s' % backup)
        _restore(live)
        runner.run('sendmail_policy EXAMPLES', 'mx1', module_examples('sendmail_policy'),
                   {'sendmail_access': ROLE_DEFAULTS['sendmail_access']},
                   read=[ACCESS, 'stat -c %U:%G:%a /etc/mail/access'])
    finally:
        _restore(live)
    restored = live.hashes(), live.mtimes()
    # A server with its own relay message (the role's own relay probe would not know it: off for this run).
    defines = dict(yaml.safe_load((ROOT / 'lab' / 'inventory' / 'group_vars' / 'all.yml').read_text())['sendmail_defines'],
                   confRELAY_MSG=RELAY_MSG_DEFINE)
    try:
        live.converge(extra={'sendmail_defines': defines, 'sendmail_relay_probe_from': ''}, tmp_path=tmp)
        runner.run('smtp_probe EXAMPLES, a server with its own relay message', 'ns1',
                   _smtp_tasks(_names('smtp_probe EXAMPLES, a server with its own relay message'), mapping))
    finally:
        live.converge()
    live.sh('mx1', f'rm -rf {SAVED}')
    reconverged = live.hashes()
    reconverged.pop('/etc/mail/sendmail.cf')        # its build line names the time
    attributes = live.sh('mx1', f'stat -c %U:%G:%a {MC} {ACCESS} {ACCESS_DB}').stdout
    return dict(results=runner.results, files=runner.files, mapping=mapping, sha1=sha1, before=before,
                restored=restored, reconverged=reconverged, attributes=(attributes_before, attributes))


def _value(expected, data):
    if isinstance(expected, str):
        if expected.startswith('sha1:'):
            path, _sep, rest = expected[5:].partition(' ')
            return data['sha1'][path] + (' ' + rest if rest else '')
        return expected.format(**data['mapping']) if '{' in expected and '"' not in expected else expected
    if isinstance(expected, dict):
        return dict((k, _value(v, data)) for k, v in expected.items())
    return expected


def _get(result, path):
    for part in re.split(r'\.(?!db\b|mc\b|test\b)', path):     # keys may hold dots: files./etc/mail/sendmail.mc
        result = result[int(part)] if isinstance(result, list) else result[part]
    return result


def _check(data, source, result, expectation, where):
    kind, checks = expectation
    if kind == 'failed':
        assert result.get('failed') is True, (where, result)
    else:
        assert result.get('failed') is not True, (where, result.get('msg'), result)
        assert bool(result.get('skipped')) is (kind == 'skipped'), (where, result)
        assert bool(result.get('changed')) is (kind == 'changed'), (where, result)
    for path, expected in checks.items():
        actual = data['files'][(source, path[4:])] if path.startswith('mx1:') else _get(result, path)
        if isinstance(expected, tuple) and expected[0] == 'startswith':
            assert str(actual).startswith(expected[1]), (where, path, actual)
        elif isinstance(expected, tuple):
            assert expected[1] in str(actual), (where, path, actual)
        else:
            assert actual == _value(expected, data), (where, path)


@pytest.mark.parametrize('source', list(EXPECTED))
def test_every_example_does_what_it_documents_on_the_lab(ran, source):
    tasks = ran['results'][source]
    assert [name for name, _result in tasks] == _names(source), source
    for (name, result), (_name, expectation) in zip(tasks, EXPECTED[source]):
        _check(ran, source, result, expectation, (source, name))


def test_mx1_is_as_before_the_examples(ran):
    """The files the examples changed are back, with their times; the converge back restores the rest."""
    assert ran['restored'] == ran['before']
    assert ran['reconverged'] == {k: v for k, v in ran['before'][0].items() if k != '/etc/mail/sendmail.cf'}
    assert ran['attributes'][0] == ran['attributes'][1]
