"""Access tags and DNSBL message forms that the grammar accepts do over SMTP what they say.

mx1 is converged with FEATURE(greet_pause), FEATURE(conncontrol) and FEATURE(ratecontrol)
and access entries for lab hosts: the outsider must wait for the greeting (GreetPause:) and
may hold one connection (ClientConn:), the spammer may open two connections a minute
(ClientRate:). Each DNSBL message form is converged in turn on a zone that lists the spammer,
and the reply the spammer gets is recorded. The lab is converged back at the end.
"""

from __future__ import annotations

import json
import re
import shlex

import pytest

# Runs in a lab host: raw SMTP connections, so that a client can talk before the greeting
# and hold connections open. Prints one JSON object.
_RAW = r'''
import json, socket, sys, time
a = json.loads(sys.argv[1])
def read(s, timeout):
    s.settimeout(timeout)
    try:
        return s.recv(4096).decode(errors='replace')
    except OSError as e:
        return 'ERR %s' % e
out = {}
if a['what'] == 'early':
    s = socket.create_connection((a['host'], 25), timeout=10)
    s.sendall(b'EHLO early.example.test\r\n')
    time.sleep(a['pause'])
    out['reply'] = read(s, 10)
    s.close()
elif a['what'] == 'patient':
    s = socket.create_connection((a['host'], 25), timeout=10)
    out['reply'] = read(s, a['pause'])
    s.close()
else:  # 'many': open connections one after the other, keeping them open
    socks, out['replies'] = [], []
    for _ in range(a['count']):
        s = socket.create_connection((a['host'], 25), timeout=10)
        out['replies'].append(read(s, 10))
        socks.append(s)
    for s in socks:
        try:
            s.sendall(b'QUIT\r\n')
        except OSError:
            pass
        s.close()
print(json.dumps(out))
'''


def raw(live, src: str, **args) -> dict:
    args.setdefault('host', live.ip('mx1'))
    res = live.sh(src, f'python3 -c {shlex.quote(_RAW)} {shlex.quote(json.dumps(args))}', timeout=120)
    return json.loads(res.stdout)


@pytest.fixture
def tagged(live, tmp_path):
    hv = live.host_vars('mx1')
    extra = {
        'sendmail_features': [{'name': 'greet_pause', 'args': ['0']},
                              {'name': 'conncontrol', 'args': ['nodelay', 'terminate']},
                              {'name': 'ratecontrol', 'args': ['nodelay', 'terminate']}],
        'sendmail_host_access': hv['sendmail_host_access'] + [
            {'key': f"GreetPause:{live.ip('outsider')}", 'action': 3000},
            {'key': f"ClientConn:{live.ip('outsider')}", 'action': '1'},
            {'key': f"ClientRate:{live.ip('spammer')}", 'action': '2'},
        ],
    }
    live.converge(extra=extra, tmp_path=tmp_path)
    yield
    live.converge()


def test_greetpause_clientconn_and_clientrate_over_smtp(live, tagged):
    # GreetPause: a client that talks before the greeting is refused ...
    early = raw(live, 'outsider', what='early', pause=4)
    assert early['reply'].startswith('554'), early
    # ... one that waits gets the greeting after the pause
    patient = raw(live, 'outsider', what='patient', pause=8)
    assert patient['reply'].startswith('220'), patient
    # ClientConn: a second open connection from the outsider is refused
    many = raw(live, 'outsider', what='many', count=2)
    assert many['replies'][0].startswith('220'), many
    assert many['replies'][1].startswith('421') and 'connections' in many['replies'][1].lower(), many
    # ClientRate: the spammer's third connection within the window is refused
    rate = raw(live, 'spammer', what='many', count=3)
    assert rate['replies'][0].startswith('220'), rate
    assert rate['replies'][2].startswith('421') and 'rate' in rate['replies'][2].lower(), rate
    # hosts without entries are not limited
    others = raw(live, 'client1', what='many', count=3)
    assert all(reply.startswith('220') for reply in others['replies']), others


# Each DNSBL message form and the reply the spammer gets at RCPT (delay_checks), as sendmail
# 8.17 gives it: the reply code and status of the text when it has them (a code without a status
# gets the feature's 5.7.1), and 553 5.3.0 for a text without a code.
DNSBL_FORMS = [
    ('550 5.7.1 Listed: $&{client_addr}', 550, '5.7.1', 'Listed: {ip}'),
    ('554 Go away, (really)', 554, '5.7.1', 'Go away, (really)'),
    ('Listed at our list', 553, '5.3.0', 'Listed at our list'),
    ('451 4.7.1 Try later', 451, '4.7.1', 'Try later'),
]


@pytest.mark.parametrize('message, code, status, text', DNSBL_FORMS)
def test_dnsbl_message_forms_over_smtp(live, tmp_path, message, code, status, text):
    zone = live.host_vars('mx2')['sendmail_host_dnsbl'][0]['zone']  # the lab DNSBL, which lists the spammer
    hv = live.host_vars('mx1')
    # The spammer's own REJECT entry on mx1 would answer first: drop it for this run.
    access = [e for e in hv['sendmail_host_access'] if 'spammer' not in str(e['key'])]
    try:
        live.converge(extra={'sendmail_host_dnsbl': [{'zone': zone, 'message': message}],
                             'sendmail_host_access': access}, tmp_path=tmp_path)
        out = live.smtp('spammer', 'mx1', 'sales@example.test')
        reply_code, reply = out['rcpt'][0]
        assert reply_code == code, out
        assert status in reply and text.format(ip=live.ip('spammer')) in reply, out
    finally:
        live.converge()


@pytest.mark.parametrize('how', ['listen entry', 'raw mc line'])
def test_msa_on_587_converges_is_idempotent_and_answers(live, tmp_path, how):
    """A submission listener with DaemonPortOptions modifiers, as a listen entry or as a raw line:
    the listen check accepts it, a second run changes nothing, and it speaks SMTP (M=E: no ETRN)."""
    listen = [{'name': 'MTA-v4', 'port': 25, 'addr': '0.0.0.0'}]
    extra = {'sendmail_listen': listen + [{'name': 'MSA', 'port': 'submission', 'addr': '0.0.0.0',
                                           'modifiers': 'E'}]}
    if how == 'raw mc line':
        extra = {'sendmail_listen': listen,
                 'sendmail_mc_extra_lines': ["DAEMON_OPTIONS(`Family=inet, Name=MSA, Port=587, M=E')dnl"]}
    try:
        live.converge(extra=extra, tmp_path=tmp_path)
        again = live.converge(extra=extra, tmp_path=tmp_path)
        assert 'changed=0' in again.stdout.split('PLAY RECAP')[-1], again.stdout[-3000:]
        out = live.smtp('client1', 'mx1', 'sales@example.test', port=587)
        assert out['connect'][0] == 220 and out['rcpt'] == [[250, out['rcpt'][0][1]]], out
        etrn = live.sh('client1', "python3 -c \"import smtplib; s = smtplib.SMTP('%s', 587, timeout=20); "
                                  "s.ehlo('client1.example.test'); print(s.docmd('ETRN', 'example.test')[0]); "
                                  "s.quit()\"" % live.ip('mx1')).stdout.strip()
        assert etrn.startswith('5'), etrn
    finally:
        live.converge()
    assert live.smtp('client1', 'mx1', 'sales@example.test', port=587).get('error'), 'the MSA is gone again'


def test_mailertable_routes_take_effect(live, tmp_path):
    """sendmail_mailertable: a whole subtree answered with an error at RCPT (a client that may relay gets
    the entry's reply, not 250), a domain routed to a local user and another to a bracketed SMTP host, as
    sendmail -bv resolves them on mx1 (no mail is sent); a second run changes nothing."""
    extra = {'sendmail_host_mailertable': [
        {'domain': '.blocked.test', 'route': 'error:5.7.1:550 No mail for blocked.test'},
        {'domain': 'routed.test', 'route': 'local:alice'},
        {'domain': '.relayed.test', 'route': 'esmtp:[mx2.example.test]'}]}
    try:
        live.converge(extra=extra, tmp_path=tmp_path)
        again = live.converge(extra=extra, tmp_path=tmp_path)
        assert 'changed=0' in again.stdout.split('PLAY RECAP')[-1], again.stdout[-3000:]
        out = live.smtp('client1', 'mx1', 'someone@host.blocked.test')
        assert out['rcpt'][0][0] == 550 and '5.7.1' in out['rcpt'][0][1] and 'No mail for blocked.test' in \
            out['rcpt'][0][1], out
        resolved = live.sh('mx1', 'sendmail -bv bob@routed.test carol@a.relayed.test').stdout
        assert re.search(r'^bob@routed\.test\.\.\. deliverable: mailer local, .*user alice$', resolved, re.M), resolved
        assert 'carol@a.relayed.test... deliverable: mailer esmtp, host [mx2.example.test],' in resolved, resolved
    finally:
        live.converge()
    resolved = live.sh('mx1', 'sendmail -bv bob@routed.test', check=False).stdout
    assert 'mailer local, user alice' not in resolved, resolved
