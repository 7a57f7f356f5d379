# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every documented example runs, and does what its documentation says.

The EXAMPLES of a_verify, mx_verify and ptr_verify and every YAML block of docs/dns.md are
parsed and run, as written, through ansible-playbook against a second NSD that serves the
example names (EXAMPLE_ZONES in dnslab.py). The only change: each DNS task (or the
module_defaults of the group) is pointed at that NSD (nameservers and port). The messages
listed in docs/dns.md are produced too. Below, each example's task names, in order, map to
their documented outcome: a changed, added or removed example fails the test until its
expectation is updated.
"""

from __future__ import annotations

import ast
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from dnslab import REPO, TARGET_PYTHON, run_playbook

NS = '127.0.0.1'
AUTH_MODULES = ('spf_verify', 'dkim_verify', 'dmarc_verify', 'dnsbl_verify')
DNS_MODULES = {'mailops.sendmail.' + m for m in ('a_verify', 'mx_verify', 'ptr_verify', 'mail_dns_check') + AUTH_MODULES}
GROUP = 'group/mailops.sendmail.dns'
DOCS = REPO / 'docs' / 'dns.md'

# What the messages of docs/dns.md come from (the nameserver of its SERVFAIL line is the test NSD's).
MSG_NULL = ('example.net MX: expected an MX host resolving to 198.51.100.10, found a null MX (RFC 7505, "0 ."): '
            'the domain accepts no mail')
MSG_SHOP = ("shop.example.org MX: expected an MX host resolving to 198.51.100.10, found no MX record; mail goes to "
            "the implicit MX (RFC 5321 section 5.1), the domain's own 198.51.100.10; set allow_implicit_mx to "
            "accept an implicit MX")
MSG_WWW_SUBSET = ('www.example.org A: expected one or more of 198.51.100.10, 198.51.100.11 and no other address, '
                  'found 198.51.100.10, 198.51.100.99 (unexpected: 198.51.100.99)')
MESSAGES = {
    'www.example.org A: expected 198.51.100.10, found 198.51.100.10, 198.51.100.99 (unexpected: 198.51.100.99)':
        ('a_verify', dict(name='www.example.org', expected=['198.51.100.10'])),
    MSG_WWW_SUBSET:
        ('a_verify', dict(name='www.example.org', expected=['198.51.100.10', '198.51.100.11'], match='subset')),
    'moved.example.org MX: expected an MX host resolving to 198.51.100.10, found 10 mx.other.example (198.51.100.99)':
        ('mx_verify', dict(domain='moved.example.org', expected=['198.51.100.10'])),
    MSG_NULL: ('mx_verify', dict(domain='example.net', expected=['198.51.100.10'])),
    MSG_SHOP: ('mx_verify', dict(domain='shop.example.org', expected=['198.51.100.10'])),
    'broken.example MX lookup failed: SERVFAIL from 198.51.100.53#53':
        ('mx_verify', dict(domain='broken.example', expected=['198.51.100.10'])),
    '12.100.51.198.in-addr.arpa PTR: expected mail.example.org, found host-12.isp.example':
        ('ptr_verify', dict(address='198.51.100.12', expected_name='mail.example.org')),
}
# The mail-authentication messages of docs/dns.md, each with the check that gives it.
SPF_MX = '(mx matched in "v=spf1 mx ip4:198.51.100.11 -all" at example.org)'
DKIM_OLD = 'old._domainkey.example.org TXT: expected a DKIM key record, found a revoked key (empty p=): "v=DKIM1; p="'
DNSBL_12 = ('12.100.51.198.bl.example A: expected 198.51.100.12 not listed on bl.example, found 198.51.100.12 listed: '
            '127.0.0.2 (TXT: "spam source")')
AUTH_MESSAGES = {
    'example.org SPF for 198.51.100.99: expected pass, found fail (-all matched in "v=spf1 mx ip4:198.51.100.11 -all" '
    'at example.org)': ('spf_verify', dict(domain='example.org', addresses=['198.51.100.99'])),
    'shop.example.org SPF for 198.51.100.10: expected pass, found none (no "v=spf1" TXT record at shop.example.org)':
        ('spf_verify', dict(domain='shop.example.org', addresses=['198.51.100.10'])),
    'brisbane._domainkey.example.org TXT: expected the given public key (k=ed25519), found another key, '
    'p=11qYAYKxCrfV...aPcHURo=': ('dkim_verify', dict(domain='example.org', selector='brisbane',
                                                      public_key='PUAXw+hDiVqStwqnTRt+vJyYLM8uxJaMwM1V8Sr0Zgw=')),
    DKIM_OLD: ('dkim_verify', dict(domain='example.org', selector='old')),
    '_dmarc.example.net TXT: expected a DMARC record, found none (the name does not exist (NXDOMAIN))':
        ('dmarc_verify', dict(domain='example.net')),
    '_dmarc.example.org TXT: expected policy reject or stronger, found p=quarantine in '
    '"v=DMARC1; p=quarantine; rua=mailto:dmarc@example.org"': ('dmarc_verify', dict(domain='example.org',
                                                                                    min_policy='reject')),
    DNSBL_12: ('dnsbl_verify', dict(addresses=['198.51.100.12'], zones=['bl.example'])),
    '12.100.51.198.broken.example: broken.example did not answer, so whether 198.51.100.12 is listed is not known: '
    'SERVFAIL from 198.51.100.53#53': ('dnsbl_verify', dict(addresses=['198.51.100.12'], zones=['broken.example'])),
}
MULTI_ALL = ('multi.example.org MX: expected every MX host resolving to 198.51.100.10, found 10 mail.example.org '
             '(198.51.100.10); 20 mx.other.example (198.51.100.99)')
PTR10 = '10.100.51.198.in-addr.arpa PTR: mail.example.org, which resolves back to 198.51.100.10'


def _table(head, width, rows):
    """A documented summary table: the head line, the column names, the rows (check, item, result, reason)."""
    return [head] + ['%-6s %-*s %-7s %s' % (row[0], width, row[1], row[2], row[3])
                     for row in [('check', 'item', 'result', 'reason')] + rows]


V6_REV = '0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2'
DMARC_ORG = 'example.org DMARC: policy quarantine, pct 100, rua mailto:dmarc@example.org (_dmarc.example.org)'
MAIL_CHECK_TABLE = _table('DNS of mail.example.org (198.51.100.10, 2001:db8::10): 9 passed, 0 failed, 0 skipped', 74, [
    ('A', 'mail.example.org', 'pass', 'mail.example.org A/AAAA: 198.51.100.10, 2001:db8::10 as expected'),
    ('MX', 'example.org', 'pass', 'example.org MX: 10 mail.example.org (198.51.100.10, 2001:db8::10) as expected'),
    ('PTR', '198.51.100.10', 'pass', PTR10),
    ('PTR', '2001:db8::10', 'pass',
     V6_REV + '.ip6.arpa PTR: mail.example.org, which resolves back to 2001:db8::10'),
    ('SPF', 'example.org', 'pass', 'example.org SPF: 198.51.100.10 pass, 2001:db8::10 pass as expected ' + SPF_MX),
    ('DKIM', 'brisbane._domainkey.example.org', 'pass',
     'brisbane._domainkey.example.org DKIM: k=ed25519 key matches the given public key'),
    ('DMARC', 'example.org', 'pass', DMARC_ORG),
    ('DNSBL', '10.100.51.198.bl.example', 'pass', '198.51.100.10: not listed on bl.example (NXDOMAIN)'),
    ('DNSBL', V6_REV + '.bl.example', 'pass', '2001:db8::10: not listed on bl.example (NXDOMAIN)')])
DOCS_MAIL_CHECK_TABLE = _table('DNS of mail.example.org (198.51.100.10): 6 passed, 0 failed, 2 skipped', 24, [
    ('A', 'mail.example.org', 'pass', 'mail.example.org A: 198.51.100.10 as expected'),
    ('MX', 'example.org', 'pass', 'example.org MX: 10 mail.example.org (198.51.100.10) as expected'),
    ('MX', 'multi.example.org', 'pass', 'multi.example.org MX: 10 mail.example.org (198.51.100.10) as expected; '
                                        'other MX: 20 mx.other.example (198.51.100.99)'),
    ('PTR', '-', 'skipped', 'the ISP publishes the reverse DNS'),
    ('SPF', 'example.org', 'pass', 'example.org SPF: 198.51.100.10 pass as expected (mx matched in '
                                   '"v=spf1 mx ip4:198.51.100.11 -all" at example.org)'),
    ('DKIM', '-', 'skipped', 'dkim not given'),
    ('DMARC', 'example.org', 'pass', DMARC_ORG),
    ('DNSBL', '10.100.51.198.bl.example', 'pass', '198.51.100.10: not listed on bl.example (NXDOMAIN)')])


def ok(msg):
    return ('ok', msg)


def failed(msg=None, failures=None):
    return ('failed', msg, failures)


def debug(var, value):
    return ('debug', var, value)


# {example source: [(task name, documented outcome), ...] in the order of the example}
EXPECTED = {
    'a_verify EXAMPLES': [
        ("The mail server's name resolves to its own address", ok('mail.example.org A: 198.51.100.10 as expected')),
        ('IPv4 and IPv6, against a given nameserver',
         ok('mail.example.org A/AAAA: 198.51.100.10, 2001:db8::10 as expected')),
        ("Every mail server's name resolves to its own addresses, in one call", ok('all 2 names verified')),
        ("Many names in one call, each resolving to one or more of the servers' addresses and nothing else",
         ok('all 2 names verified')),
        ('Show every failing name', debug('a_check.failures', {})),
        ('A name that must not resolve elsewhere fails with what it found', failed(MSG_WWW_SUBSET)),
    ],
    'mx_verify EXAMPLES': [
        ("The domain's MX points at this server",
         ok('example.org MX: 10 mail.example.org (198.51.100.10) as expected')),
        ('All domains of the server in one call, every MX host must be ours',
         failed(MULTI_ALL, {'multi.example.org': MULTI_ALL})),
        ('List the failing domains with their reasons', debug('mx_check.failures', {'multi.example.org': MULTI_ALL})),
        ('A domain served through its A record only (no MX) is fine here',
         ok("host-only.example.org MX: no MX record; mail goes to the implicit MX (RFC 5321 section 5.1), the "
            "domain's own 198.51.100.10, 2001:db8::10, as expected")),
    ],
    'ptr_verify EXAMPLES': [
        ('Reverse DNS of the mail server is forward-confirmed and names the server', ok('all 2 addresses verified')),
        ('Any forward-confirmed name will do', ok(PTR10)),
        ('Show the PTR names', debug('ptr_check.ptr_names', ['mail.example.org'])),
        ('The reverse DNS of every mail server, in one call', ok('all 3 addresses verified')),
    ],
    'spf_verify EXAMPLES': [
        ('The server may send for its domain, from both its addresses',
         ok('example.org SPF: 198.51.100.10 pass, 2001:db8::10 pass as expected ' + SPF_MX)),
        ('Another host may not send for it',
         ok('example.org SPF: 198.51.100.99 fail as expected (-all matched in "v=spf1 mx ip4:198.51.100.11 -all" at '
            'example.org)')),
        ('Many domains in one call; one of them publishes no SPF record on purpose', ok('all 2 domains verified')),
        ("Show each domain's result and why", debug('msg', [
            'example.org SPF: 198.51.100.10 pass as expected ' + SPF_MX,
            'shop.example.org SPF: 198.51.100.10 none as expected (no "v=spf1" TXT record at shop.example.org)'])),
    ],
    'dkim_verify EXAMPLES': [
        ('The key record of the signing selector holds the signing key',
         ok('brisbane._domainkey.example.org DKIM: k=ed25519 key matches the given public key')),
        ('Several domains and selectors in one call (the record only, any key)',
         failed(DKIM_OLD, {'old._domainkey.example.org': DKIM_OLD})),
        ('The retired selector is revoked', debug('msg', {'old._domainkey.example.org': DKIM_OLD})),
    ],
    'dmarc_verify EXAMPLES': [
        ('The domain publishes DMARC with a policy of quarantine or reject',
         ok('example.org DMARC: policy quarantine, pct 100, rua mailto:dmarc@example.org (_dmarc.example.org)')),
        ('Where its aggregate reports go', debug('dmarc_check.rua', ['mailto:dmarc@example.org'])),
        ("Many domains in one call; a subdomain without a record of its own gets its organization's",
         ok('all 2 domains verified')),
    ],
    'dnsbl_verify EXAMPLES': [
        ("The server's addresses are on no blocklist", ok('none of 198.51.100.10, 2001:db8::10 listed on bl.example')),
        ("A listed address fails with the list's reason", failed(DNSBL_12, {'12.100.51.198.bl.example': DNSBL_12})),
        ('Show the codes and reasons of each listing', debug('msg', [['spam source']])),
    ],
    'mail_dns_check EXAMPLES': [
        ('Every DNS check of the mail server in one call',
         ok('DNS of mail.example.org (198.51.100.10, 2001:db8::10): 9 passed, 0 failed, 0 skipped')),
        ('Show the summary table, a row per record checked', debug('msg', MAIL_CHECK_TABLE)),
        ('A listed server fails naming the list, its code and its reason; reverse DNS is not checked',
         failed('DNS of host-12.isp.example (198.51.100.12): 1 passed, 1 failed, 5 skipped: ' + DNSBL_12)),
        ('Show the message of each failed check', debug('msg', [DNSBL_12])),
    ],
    'docs/dns.md mail_dns_check': [
        ('Every DNS check of each mail server, one call per server',
         ok('DNS of mail.example.org (198.51.100.10): 6 passed, 0 failed, 2 skipped')),
        ('Show the summary table', debug('msg', DOCS_MAIL_CHECK_TABLE)),
    ],
    'docs/dns.md examples': [
        ("The server's name resolves to its own address (IPv4 and IPv6)",
         ok('mail.example.org A/AAAA: 198.51.100.10, 2001:db8::10 as expected')),
        ('Every domain of the server points at it, in one call',
         failed('2 of 3 domains failed verification: %s; %s' % (MSG_NULL, MSG_SHOP),
                {'example.net': MSG_NULL, 'shop.example.org': MSG_SHOP})),
        ('Show what failed, per domain (here example.net, a null MX, and shop.example.org, no MX)',
         debug('mx_check.failures', {'example.net': MSG_NULL, 'shop.example.org': MSG_SHOP})),
        ('The names of all mail servers in one call, each against its own addresses', ok('all 2 names verified')),
        ("Several servers' names, each resolving to one or more of the fleet's addresses and nothing else",
         failed(failures={'www.example.org': MSG_WWW_SUBSET})),
        ('Reverse DNS is forward-confirmed', ok(PTR10)),
    ],
}
# The play of docs/dns.md with module_defaults for the group: {task name: {host: outcome}}.
EXPECTED_GROUP_PLAY = {
    "Every server's name resolves to its own addresses": {
        'mx1': ok('mail.example.org A: 198.51.100.10 as expected'),
        'mx2': ok('mx2.example.org A: 198.51.100.11 as expected')},
    "Every server's reverse DNS names the server": {
        'mx1': ok(PTR10),
        'mx2': ok('11.100.51.198.in-addr.arpa PTR: mx2.example.org, which resolves back to 198.51.100.11')},
}
# The YAML blocks of docs/dns.md, in order: what each one is.
DOCS_YAML_BLOCKS = ['group play', 'docs/dns.md examples', 'mx check', 'docs/dns.md mail_dns_check']

# Each example runs as a playbook of its own (side by side), on a host of its own (all on the
# controller), so that one failing example does not stop the others.
SOURCE_HOSTS = dict((source, 'example%d' % i) for i, source in enumerate(sorted(EXPECTED)))
# the mail server the examples run for (they delegate to localhost)
EXAMPLE_HOST_VARS = {
    'ansible_connection': 'local', 'ansible_python_interpreter': TARGET_PYTHON,
    'fqdn_name': 'mail.example.org', 'fqdn_ip': '198.51.100.10',
    'sendmail_local_host_names': ['example.org', 'multi.example.org'],
}
INVENTORY = {'all': {
    'hosts': dict((host, EXAMPLE_HOST_VARS) for host in ['localhost'] + list(SOURCE_HOSTS.values())),
    'children': {'mail_servers': {'hosts': {
        'mx1': {'fqdn_name': 'mail.example.org', 'fqdn_ip': '198.51.100.10'},
        'mx2': {'fqdn_name': 'mx2.example.org', 'fqdn_ip': '198.51.100.11'},
    }, 'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': TARGET_PYTHON}}},
}}


def _docs_blocks():
    text = DOCS.read_text()
    yaml_blocks = [yaml.safe_load(b) for b in re.findall(r'^```yaml\n(.*?)^```$', text, re.M | re.S)]
    messages = re.search(r'^Every message names the record.*?^```\n(.*?)^```$', text, re.M | re.S).group(1)
    return yaml_blocks, messages.splitlines()


def _docs_auth_messages():
    text = DOCS.read_text()
    return re.search(r'^The mail-authentication checks fail with messages.*?^```\n(.*?)^```$', text,
                     re.M | re.S).group(1).splitlines()


def _module_examples(module):
    """The EXAMPLES of plugins/modules/<module>.py, parsed (the file is read, not imported)."""
    tree = ast.parse((REPO / 'plugins' / 'modules' / (module + '.py')).read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ['EXAMPLES']:
            return yaml.safe_load(node.value.value)
    raise AssertionError('%s has no EXAMPLES' % module)


def _point_at(args, port):
    """The DNS options of a documented task, pointed at the test NSD."""
    args = dict(args)
    args.update(nameservers=[NS], port=port)
    return args


def _example_tasks(tasks, port):
    result = []
    for task in tasks:
        task = dict(task)
        for key in DNS_MODULES & set(task):
            task[key] = _point_at(task[key], port)
        result.append(task)
    return result


@pytest.fixture(scope='session')
def examples(examples_nsd, tmp_path_factory):
    port = examples_nsd.port
    yaml_blocks, messages = _docs_blocks()
    assert len(yaml_blocks) == len(DOCS_YAML_BLOCKS), 'a YAML block was added to or removed from docs/dns.md'
    sources = {
        'a_verify EXAMPLES': _module_examples('a_verify'),
        'mx_verify EXAMPLES': _module_examples('mx_verify'),
        'ptr_verify EXAMPLES': _module_examples('ptr_verify'),
        'spf_verify EXAMPLES': _module_examples('spf_verify'),
        'dkim_verify EXAMPLES': _module_examples('dkim_verify'),
        'dmarc_verify EXAMPLES': _module_examples('dmarc_verify'),
        'dnsbl_verify EXAMPLES': _module_examples('dnsbl_verify'),
        'mail_dns_check EXAMPLES': _module_examples('mail_dns_check'),
        'docs/dns.md examples': yaml_blocks[1],
        'docs/dns.md mail_dns_check': yaml_blocks[3],
    }
    plays = [{'name': name, 'hosts': SOURCE_HOSTS[name], 'gather_facts': False, 'tasks': _example_tasks(tasks, port)}
             for name, tasks in sources.items()]

    [group_play] = yaml_blocks[0]
    group_play = dict(group_play, name='group play')
    for task in group_play['tasks']:
        assert not {'nameservers', 'port'} & set(task[(DNS_MODULES & set(task)).pop()]), 'set only by the group'
    group_play['module_defaults'] = {GROUP: _point_at(group_play['module_defaults'][GROUP], port)}
    plays.append(group_play)

    generated = [{'name': 'message %d' % i, 'mailops.sendmail.' + MESSAGES[line][0]: _point_at(MESSAGES[line][1], port),
                  'ignore_errors': True} for i, line in enumerate(messages) if line in MESSAGES]
    generated += [{'name': 'auth message %d' % i, 'ignore_errors': True,
                   'mailops.sendmail.' + AUTH_MESSAGES[line][0]: _point_at(AUTH_MESSAGES[line][1], port)}
                  for i, line in enumerate(_docs_auth_messages()) if line in AUTH_MESSAGES]
    generated.append({'name': 'mx check', 'mailops.sendmail.mx_verify': _point_at(
        dict(domain=yaml_blocks[2]['domain'], expected=['198.51.100.10']), port)})
    plays.append({'name': 'generated', 'hosts': 'localhost', 'gather_facts': False, 'tasks': generated})

    # the directories made before the threads start: mktemp is not safe to call from several at once
    workdirs = dict((play['name'], tmp_path_factory.mktemp('examples')) for play in plays)

    def run(play):
        output, proc = run_playbook(workdirs[play['name']], [play], INVENTORY)
        return [(t['task']['name'], t['hosts']) for t in output['plays'][0]['tasks']], proc.stderr

    with ThreadPoolExecutor(max_workers=4) as pool:
        ran = dict(zip([play['name'] for play in plays], pool.map(run, plays)))
    results = dict((name, tasks) for name, (tasks, _stderr) in ran.items())
    stderr = '\n'.join(err for _tasks, err in ran.values())
    return dict(results=results, yaml_blocks=yaml_blocks, messages=messages, port=port, stderr=stderr)


def _check(result, expectation, where):
    kind = expectation[0]
    if kind == 'ok':
        assert result.get('failed') is not True, (where, result.get('msg'))
        assert result['changed'] is False, where
        assert result['msg'] == expectation[1], where
    elif kind == 'failed':
        assert result.get('failed') is True, (where, result.get('msg'))
        if expectation[1] is not None:
            assert result['msg'] == expectation[1], where
        if expectation[2] is not None:
            assert result['failures'] == expectation[2], where
    else:
        assert result.get('failed') is not True, where
        print('TABLE', where, repr(result[expectation[1]]))
        print('TABLE', where, repr(result[expectation[1]]))
        assert result[expectation[1]] == expectation[2], where


@pytest.mark.parametrize('source', sorted(EXPECTED))
def test_every_example_does_what_it_documents(examples, source):
    ran = examples['results'][source]
    assert [name for name, _hosts in ran] == [name for name, _outcome in EXPECTED[source]], examples['stderr'][-2000:]
    for (name, hosts), (_name, expectation) in zip(ran, EXPECTED[source]):
        _check(hosts[SOURCE_HOSTS[source]], expectation, (source, name))


def test_the_group_play_of_the_docs_gets_its_nameservers_from_module_defaults(examples):
    ran = examples['results']['group play']
    assert [name for name, _hosts in ran] == list(EXPECTED_GROUP_PLAY)
    for name, hosts in ran:
        assert sorted(hosts) == sorted(EXPECTED_GROUP_PLAY[name]), name
        for host, expectation in EXPECTED_GROUP_PLAY[name].items():
            _check(hosts[host], expectation, (name, host))


def test_every_message_in_the_docs_is_what_a_check_says(examples):
    assert sorted(examples['messages']) == sorted(MESSAGES), 'a message of docs/dns.md has no check here'
    ran = dict(examples['results']['generated'])
    for i, line in enumerate(examples['messages']):
        result = ran['message %d' % i]['localhost']
        assert result['failed'] is True
        assert result['msg'] == line.replace('198.51.100.53#53', '%s#%d' % (NS, examples['port']))


def test_every_mail_authentication_message_in_the_docs_is_what_a_check_says(examples):
    lines = _docs_auth_messages()
    assert sorted(lines) == sorted(AUTH_MESSAGES), 'a message of docs/dns.md has no check here'
    ran = dict(examples['results']['generated'])
    for i, line in enumerate(lines):
        result = ran['auth message %d' % i]['localhost']
        assert result['failed'] is True
        assert result['msg'] == line.replace('198.51.100.53#53', '%s#%d' % (NS, examples['port']))


def test_the_documented_mx_result_is_what_mx_verify_returns(examples):
    result = dict(examples['results']['generated'])['mx check']['localhost']
    assert result.get('failed') is not True, result['msg']
    assert result['checks'] == [examples['yaml_blocks'][2]]
    assert result['mx'] == examples['yaml_blocks'][2]['mx']
