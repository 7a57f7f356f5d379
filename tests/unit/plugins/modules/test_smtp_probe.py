"""smtp_probe run as Ansible runs it (JSON arguments on stdin, real smtplib) against a real,
tiny SMTP server on 127.0.0.1 that answers scripted replies and records what it was told."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
MODULE = ROOT / 'plugins' / 'modules' / 'smtp_probe.py'

RELAY_DENIED = '550 5.7.1 <probe@relay-probe.invalid>... Relaying denied'
SENDER_DOMAIN = ('553 5.1.8 <relay-probe@outsider.example.com>... Domain of sender address '
                 'relay-probe@outsider.example.com does not exist')


class ScriptedSMTP:
    """One listening socket on 127.0.0.1; each connection is answered from `replies`
    (banner, ehlo, helo, mail, rcpt: one reply line or a list used in turn, quit).
    A reply None closes the connection without a word; 'silent' says nothing and waits."""

    def __init__(self, **replies):
        self.replies = {'banner': '220 mx.example.test ESMTP scripted',
                        'ehlo': '250-mx.example.test\r\n250 ENHANCEDSTATUSCODES',
                        'helo': '250 mx.example.test', 'mail': '250 2.1.0 Sender ok', 'rcpt': '250 2.1.5 Recipient ok',
                        'quit': '221 2.0.0 closing', **replies}
        self.commands = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                continue
            with conn:
                try:
                    self._session(conn)
                except OSError:
                    pass

    def _reply(self, conn, key):
        reply = self.replies[key]
        if isinstance(reply, list):
            reply = reply.pop(0) if len(reply) > 1 else reply[0]
        if reply == 'silent':
            self.stop.wait(30)
            return False
        if reply is None:
            return False
        conn.sendall(reply.encode() + b'\r\n')
        return not reply.startswith('421')

    def _session(self, conn):
        conn.settimeout(10)
        if not self._reply(conn, 'banner'):
            return
        buf = b''
        while True:
            while b'\r\n' not in buf:
                data = conn.recv(4096)
                if not data:
                    return
                buf += data
            line, buf = buf.split(b'\r\n', 1)
            verb, _sep, rest = line.decode().partition(' ')
            verb = verb.upper()
            self.commands.append((verb + ' ' + rest).strip())
            key = {'EHLO': 'ehlo', 'HELO': 'helo', 'MAIL': 'mail', 'RCPT': 'rcpt', 'QUIT': 'quit'}.get(verb)
            if key is None:
                conn.sendall(b'500 5.5.1 Command unrecognized\r\n')
                continue
            if not self._reply(conn, key) or key == 'quit':
                return

    def close(self):
        self.stop.set()
        self.sock.close()
        self.thread.join(5)


@pytest.fixture
def smtp():
    servers = []

    def make(**replies):
        servers.append(ScriptedSMTP(**replies))
        return servers[-1]
    yield make
    for server in servers:
        server.close()


def probe(port, **args):
    """Run the module file as Ansible would; (failed, result)."""
    args = {'host': '127.0.0.1', 'port': port, 'helo': 'outsider.example.test', 'timeout': 5,
            'rcpt_to': ['probe@relay-probe.invalid'], **args}
    proc = subprocess.run([sys.executable, str(MODULE)], input=json.dumps({'ANSIBLE_MODULE_ARGS': args}),
                          capture_output=True, text=True, timeout=60, env=dict(os.environ, LC_ALL='C.UTF-8'), check=False)
    result = json.loads(proc.stdout)
    return bool(result.get('failed')), result


# -- expect: relay_denied -------------------------------------------------------------

def test_relay_denied_reply_passes_and_says_why(smtp):
    server = smtp(rcpt=RELAY_DENIED)
    failed, res = probe(server.port, expect='relay_denied')
    assert not failed, res
    assert res['verdict'] == 'relay_denied'
    assert res['reason'].startswith('relay denied') and 'Relaying denied' in res['reason']
    assert res['recipients'] == [{'rcpt': 'probe@relay-probe.invalid', 'code': 550, 'status': '5.7.1',
                                  'text': '5.7.1 <probe@relay-probe.invalid>... Relaying denied',
                                  'accepted': False, 'relay_denied': True}]
    # the null sender by default, never DATA, always QUIT
    assert server.commands[1:] == ['MAIL FROM:<>', 'RCPT TO:<probe@relay-probe.invalid>', 'QUIT'], server.commands
    assert res['changed'] is False


def test_accepted_recipient_fails_as_open_relay(smtp):
    server = smtp()
    failed, res = probe(server.port, expect='relay_denied')
    assert failed and res['verdict'] == 'accepted'
    assert res['msg'].startswith('relayed: ') and 'open relay' in res['msg']
    assert '250 2.1.5 Recipient ok' in res['msg']
    assert not any(c.upper().startswith('DATA') for c in server.commands)


def test_sender_domain_refused_at_rcpt_is_inconclusive(smtp):
    """The case of issue #20: with delay_checks, sendmail refuses the sender's domain at RCPT TO."""
    server = smtp(rcpt=SENDER_DOMAIN)
    failed, res = probe(server.port, expect='relay_denied', mail_from='relay-probe@outsider.example.com')
    assert failed and res['verdict'] == 'refused'
    assert res['msg'].startswith('inconclusive: ')
    assert 'Domain of sender address relay-probe@outsider.example.com does not exist' in res['msg']
    assert res['recipients'][0]['status'] == '5.1.8' and res['recipients'][0]['relay_denied'] is False
    assert server.commands[1] == 'MAIL FROM:<relay-probe@outsider.example.com>'


def test_sender_refused_at_mail_from_is_inconclusive(smtp):
    server = smtp(mail=SENDER_DOMAIN)
    failed, res = probe(server.port, expect='relay_denied', mail_from='relay-probe@outsider.example.com')
    assert failed and res['verdict'] == 'sender_refused'
    assert res['msg'].startswith('inconclusive: ') and 'Domain of sender address' in res['msg']
    assert res['recipients'] == [] and res['mail_from']['code'] == 553
    assert not any(c.startswith('RCPT') for c in server.commands), 'no RCPT after a refused sender'


@pytest.mark.parametrize('reply', [
    '451 4.1.8 Domain of sender address x@y.test does not resolve',
    '450 4.7.1 <probe@relay-probe.invalid>... Relaying temporarily denied. Cannot resolve PTR record',
    '452 4.5.3 Too many recipients',
], ids=['451-sender', '450-relay-temporarily', '452'])
def test_temporary_failure_is_inconclusive(smtp, reply):
    server = smtp(rcpt=reply)
    failed, res = probe(server.port, expect='relay_denied')
    assert failed and res['verdict'] == 'refused'
    assert res['msg'].startswith('inconclusive: ') and reply[4:] in res['msg']


@pytest.mark.parametrize('reply', [
    '550 5.7.1 <probe@relay-probe.invalid>... Access denied',              # access: Connect REJECT
    '550 5.7.1 Rejected: 127.0.0.1 listed at dnsbl.example.test',          # DNSBL
    '553 5.3.0 <probe@relay-probe.invalid>... User unknown',               # virtusertable error:nouser
    '550 5.1.1 <probe@relay-probe.invalid>... User unknown',
    '550 Relaying denied',                                                 # no enhanced status code
    '550 5.7.0 Relaying denied',                                           # another status code
    '550 4.7.1 Relaying denied',                                           # status class != reply class
], ids=['access-denied', 'dnsbl', 'nouser', 'user-unknown', 'no-status', '5.7.0', 'class-mismatch'])
def test_other_refusals_are_inconclusive(smtp, reply):
    server = smtp(rcpt=reply)
    failed, res = probe(server.port, expect='relay_denied')
    assert failed and res['verdict'] == 'refused', res
    assert res['msg'].startswith('inconclusive: ') and reply.split(' ', 1)[1] in res['msg']
    assert res['recipients'][0]['relay_denied'] is False


def test_relay_denial_variants_pass(smtp):
    for reply in ['550 5.7.1 <probe@relay-probe.invalid>... Relaying denied. Proper authentication required.',
                  '550 5.7.1 <probe@relay-probe.invalid>... Relaying denied. IP name lookup failed [127.0.0.1]',
                  '554 5.7.1 <probe@relay-probe.invalid>: Relay access denied']:
        server = smtp(rcpt=reply)
        failed, res = probe(server.port, expect='relay_denied')
        assert not failed and res['verdict'] == 'relay_denied', (reply, res)


def test_relay_denied_pattern_for_a_custom_relay_message(smtp):
    server = smtp(rcpt='550 5.7.1 <probe@relay-probe.invalid>... We do not relay for you')
    failed, res = probe(server.port, expect='relay_denied')
    assert failed and res['msg'].startswith('inconclusive: ')
    failed, res = probe(server.port, expect='relay_denied', relay_denied_pattern='we do not relay')
    assert not failed and res['verdict'] == 'relay_denied'
    failed, res = probe(server.port, expect='relay_denied', relay_denied_pattern='(unclosed')
    assert failed and 'relay_denied_pattern' in res['msg']


def test_every_recipient_must_be_relay_denied(smtp):
    server = smtp(rcpt=[RELAY_DENIED, '250 2.1.5 ok'])
    failed, res = probe(server.port, expect='relay_denied', rcpt_to=['a@relay-probe.invalid', 'b@relay-probe.invalid'])
    assert failed and res['verdict'] == 'partly_accepted' and res['msg'].startswith('relayed: ')
    assert '<b@relay-probe.invalid> 250 2.1.5 ok' in res['msg']
    server = smtp(rcpt=[RELAY_DENIED, '553 5.1.1 bad address'])
    failed, res = probe(server.port, expect='relay_denied', rcpt_to=['a@relay-probe.invalid', 'b@relay-probe.invalid'])
    assert failed and res['verdict'] == 'refused' and res['msg'].startswith('inconclusive: ')
    assert 'bad address' in res['msg']


def test_sender_given_as_angle_brackets_is_the_null_sender(smtp):
    server = smtp(rcpt=RELAY_DENIED)
    failed, res = probe(server.port, expect='relay_denied', mail_from='<>')
    assert not failed and server.commands[1] == 'MAIL FROM:<>'


# -- sessions that cannot be held ---------------------------------------------------------

def _closed_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_connection_refused_is_inconclusive():
    failed, res = probe(_closed_port(), expect='relay_denied')
    assert failed and res['verdict'] == 'no_session'
    assert res['msg'].startswith('inconclusive: ') and 'Connection refused' in res['msg']
    assert res['banner'] is None and res['recipients'] == []


@pytest.mark.parametrize('replies,words', [
    ({'banner': '554 5.3.2 mx.example.test closing connection'}, '554 5.3.2 mx.example.test closing connection'),
    ({'banner': '421 4.3.2 Connection rate limit exceeded.'}, '421 4.3.2 Connection rate limit exceeded.'),
    ({'ehlo': '502 5.5.2 no', 'helo': '501 5.0.0 bad helo'}, 'EHLO and HELO refused: 501 5.0.0 bad helo'),
    ({'rcpt': '421 4.7.0 mx.example.test closing connection'}, '421 4.7.0 mx.example.test closing connection'),
    ({'rcpt': None}, 'SMTPServerDisconnected'),
    ({'rcpt': 'silent'}, 'timed out'),
], ids=['554-greeting', '421-greeting', 'helo-refused', '421-at-rcpt', 'gone-at-rcpt', 'silent-at-rcpt'])
def test_broken_sessions_are_inconclusive(smtp, replies, words):
    server = smtp(**replies)
    start = time.monotonic()
    failed, res = probe(server.port, expect='relay_denied', timeout=1)
    assert time.monotonic() - start < 20
    assert failed and res['verdict'] == 'no_session', res
    assert res['msg'].startswith('inconclusive: ') and words in res['msg'], res['msg']


# -- expect: accept, reject, any (unchanged for other users) -----------------------------

def test_reject_counts_any_refusal(smtp):
    """The old meaning: a sender refusal also passes (which is why the role uses relay_denied)."""
    server = smtp(rcpt=SENDER_DOMAIN)
    failed, res = probe(server.port, expect='reject', mail_from='a@outsider.example.com')
    assert not failed and res['verdict'] == 'refused'
    server = smtp(mail=SENDER_DOMAIN)
    failed, res = probe(server.port, expect='reject', mail_from='a@outsider.example.com')
    assert not failed and res['verdict'] == 'sender_refused'
    server = smtp()
    failed, res = probe(server.port, expect='reject', mail_from='a@outsider.example.com')
    assert failed and 'accepted what it should refuse (open relay?)' in res['msg']


def test_accept_and_any(smtp):
    server = smtp(rcpt=['250 2.1.5 ok', '553 5.3.0 <x@example.test>... User unknown'])
    failed, res = probe(server.port, expect='accept', mail_from='a@example.test', rcpt_to=['sales@example.test'])
    assert not failed and res['verdict'] == 'accepted'
    failed, res = probe(server.port, expect='accept', mail_from='a@example.test', rcpt_to=['x@example.test'])
    assert failed and 'refused: <x@example.test> 553 5.3.0 <x@example.test>... User unknown' in res['msg']
    failed, res = probe(server.port, mail_from='a@example.test', rcpt_to=['x@example.test'])
    assert not failed and res['verdict'] == 'refused' and res['recipients'][0]['code'] == 553
    server = smtp(mail='553 5.1.8 bad sender')
    for expect in ('accept', 'any'):
        failed, res = probe(server.port, expect=expect, mail_from='a@nowhere.test')
        assert failed and res['msg'] == ('127.0.0.1:%d refused MAIL FROM <a@nowhere.test>: 553 5.1.8 bad sender'
                                         % server.port)


# -- starttls --------------------------------------------------------------------------

def test_starttls_not_offered_fails_and_quotes_the_log(smtp, tmp_path):
    """sendmail with an unusable key still answers EHLO, without STARTTLS: the probe fails, naming the
    likely causes and the TLS lines of the log it was given."""
    log = tmp_path / 'mail.log'
    log.write_text('sm-mta[1]: starting daemon\nsm-mta[1]: STARTTLS=server: file /etc/mail/tls/k.key unsafe: '
                   'Group readable file\nsm-mta[2]: other\n')
    server = smtp(ehlo='250-mx.example.test\r\n250 PIPELINING')
    failed, result = probe(server.port, rcpt_to=[], starttls=True, log_file=str(log))
    assert failed and result['verdict'] == 'no_session' and result['tls'] == {'offered': False}
    assert 'EHLO does not offer STARTTLS: PIPELINING' in result['msg']
    assert 'Group readable file' in result['msg'] and 'a key that others than root may read' in result['msg']
    assert result['log_lines'] == ['sm-mta[1]: STARTTLS=server: file /etc/mail/tls/k.key unsafe: Group readable file']
    assert 'MAIL FROM:<>' not in ' '.join(server.commands)


def test_rcpt_to_is_required_without_starttls(smtp):
    failed, result = probe(smtp().port, rcpt_to=[])
    assert failed and 'rcpt_to needs at least one recipient' in result['msg']
