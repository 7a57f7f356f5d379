"""SMTP AUTH and submission on 587 (sendmail_auth_*, docs/auth.md) on the live lab: mx1 with STARTTLS (the lab
CA's certificate) and SASL users from the inventory, spoken to over real SMTP from the controller (smtplib).

The right password may relay to a foreign domain (RCPT accepted, QUIT before DATA: nothing is delivered); a
wrong one gets 535; AUTH is not offered before STARTTLS; 587 takes no mail without AUTH (450); port 25 still refuses
relaying for the unauthenticated; a changed password and a removed user take effect; the passwords never show
in -vvv --check --diff output; a second run changes nothing; AUTH without STARTTLS is refused before any change.
With sendmail_auth_backend saslauthd, mx1's own accounts authenticate through PAM (a locked one at once) and
sasldb2's users no longer do.
client1 authenticates to mx1 as its smart host on 587: its mail arrives; with a wrong password it stays queued
(no bounce) and goes out once the password is fixed and the role re-run.
"""

from __future__ import annotations

import base64
import re
import smtplib
import ssl
import time
import uuid
from pathlib import Path

import pytest
import yaml

FOREIGN = 'someone@other.test'      # mx2's domain: foreign to mx1, inside the lab
SENDER = 'admin@example.test'       # an address of mx1's own domain (its virtusertable knows it)


def password() -> str:
    return 'pw-' + uuid.uuid4().hex


def converge(live, tmp_path, extra=None, *args, host='mx1'):
    cmd = ['--limit', host]
    if extra is not None:
        path = tmp_path / f'extra-{live.token("vars")}.yml'
        path.write_text(yaml.safe_dump(extra))
        cmd += ['-e', f'@{path}']
    return live.playbook('playbooks/site.yml', *cmd, *args, check=False)


def changed(res, host='mx1') -> int:
    match = re.search(rf'{host}\s*: ok=\d+\s+changed=(\d+) ', res.stdout)
    assert match, res.stdout[-3000:]
    return int(match.group(1))


def tls_context(live) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(Path.home() / '.cache' / 'mailops-lab' / live.name / 'tls' / 'ca.crt'))
    ctx.check_hostname = False      # reached by its lab address; the chain is still verified against the lab CA
    return ctx


def session(live, port, tls=True):
    smtp = smtplib.SMTP(live.ip('mx1'), port, timeout=30)
    smtp.ehlo('controller.example.test')
    if tls:
        smtp.starttls(context=tls_context(live))
        smtp.ehlo('controller.example.test')
    return smtp


def try_relay(live, port, user=None, secret=None, tls=True):
    """(AUTH code, MAIL code, RCPT code) for a foreign recipient; QUIT before DATA."""
    smtp = session(live, port, tls)
    try:
        auth = None
        if user is not None:
            try:
                auth = smtp.login(user, secret)[0]
            except smtplib.SMTPAuthenticationError as err:
                return err.smtp_code, None, None
        mail = smtp.mail(SENDER)[0]
        rcpt = smtp.rcpt(FOREIGN)[0] if mail < 300 else None
        return auth, mail, rcpt
    finally:
        smtp.quit()


@pytest.fixture(scope='module')
def auth_lab(live, tmp_path_factory):
    """mx1 with AUTH on: users alice and bob with fresh random passwords. Restored to the lab's inventory after."""
    tmp = tmp_path_factory.mktemp('auth')
    users = {'alice': password(), 'bob': password()}
    extra = {'sendmail_auth': True,
             'sendmail_auth_users': [{'name': n, 'password': p} for n, p in users.items()]}
    res = converge(live, tmp, extra)
    assert res.returncode == 0, res.stdout[-4000:]
    yield {'users': users, 'extra': extra, 'tmp': tmp}
    res = converge(live, tmp)
    assert res.returncode == 0, res.stdout[-3000:]


def test_auth_is_offered_only_after_starttls_on_25_and_587(live, auth_lab):
    for port in (25, 587):
        plain = session(live, port, tls=False)
        try:
            assert plain.has_extn('starttls'), (port, plain.esmtp_features)
            assert not plain.has_extn('auth'), (port, plain.esmtp_features)
        finally:
            plain.quit()
        secure = session(live, port)
        try:
            assert secure.has_extn('auth'), (port, secure.esmtp_features)
            assert set(secure.esmtp_features['auth'].split()) == {'PLAIN', 'LOGIN'}, secure.esmtp_features
        finally:
            secure.quit()


def test_the_right_password_may_relay_to_a_foreign_domain(live, auth_lab):
    for port in (587, 25):
        assert try_relay(live, port, 'alice', auth_lab['users']['alice']) == (235, 250, 250), port
    assert try_relay(live, 587, 'bob', auth_lab['users']['bob']) == (235, 250, 250)


def test_a_wrong_password_or_unknown_user_gets_535(live, auth_lab):
    assert try_relay(live, 587, 'alice', auth_lab['users']['bob'])[0] == 535
    assert try_relay(live, 587, 'alice', auth_lab['users']['alice'] + 'x')[0] == 535
    assert try_relay(live, 587, 'mallory', auth_lab['users']['alice'])[0] == 535


def test_unauthenticated_clients_cannot_relay_on_25_nor_submit_on_587(live, auth_lab):
    auth, mail, rcpt = try_relay(live, 25)
    assert (auth, mail, rcpt) == (None, 250, 550)
    _auth, mail, rcpt = try_relay(live, 25, tls=False)
    assert (mail, rcpt) == (250, 550)
    # The MSA takes no mail before AUTH: a temporary 450 for every recipient (a sendmail client whose password
    # was refused keeps its mail queued), also for mx1's own domain.
    assert try_relay(live, 587) == (None, 250, 450)
    smtp = session(live, 587)
    try:
        assert smtp.mail(SENDER)[0] == 250 and smtp.rcpt('admin@example.test')[0] == 450
    finally:
        smtp.quit()
    # An untrusted lab host, as the role's own relay probe sees it.
    assert live.rcpt_codes('outsider', 'mx1', FOREIGN) == [550]


def test_the_sasl_files_are_in_place(live, auth_lab):
    conf = live.sh('mx1', 'stat -c "%U %G %a" /etc/sasl2/Sendmail.conf; cat /etc/sasl2/Sendmail.conf').stdout
    assert conf.startswith('root root 644') and 'auxprop_plugin: sasldb' in conf and 'mech_list: PLAIN LOGIN' in conf
    db = live.sh('mx1', 'stat -c "%U %G %a" /etc/sasldb2; sasldblistusers2').stdout
    assert db.startswith('root sasl 640'), db
    assert 'alice@mx1.example.test: userPassword' in db and 'bob@mx1.example.test: userPassword' in db


def test_a_new_password_never_shows_applies_and_the_next_run_changes_nothing(live, auth_lab, tmp_path):
    users = dict(auth_lab['users'], alice=password())
    extra = dict(auth_lab['extra'], sendmail_auth_users=[{'name': n, 'password': p} for n, p in users.items()])
    try:
        check = converge(live, tmp_path, extra, '--check', '--diff', '-vvv')
        assert check.returncode == 0, check.stdout[-3000:]
        assert try_relay(live, 587, 'alice', auth_lab['users']['alice'])[0] == 235, 'check mode changed the password'
        run = converge(live, tmp_path, extra, '--diff', '-vvv')
        assert run.returncode == 0, run.stdout[-3000:]
        for res in (check, run):
            out = res.stdout + res.stderr
            assert 'alice (password set)' in out, out[-3000:]
            for secret in list(users.values()) + list(auth_lab['users'].values()):
                assert secret not in out, 'a password in the output'
        assert try_relay(live, 587, 'alice', users['alice']) == (235, 250, 250)
        assert try_relay(live, 587, 'alice', auth_lab['users']['alice'])[0] == 535
        again = converge(live, tmp_path, extra)
        assert again.returncode == 0 and changed(again) == 0, again.stdout[-3000:]
    finally:
        res = converge(live, tmp_path, auth_lab['extra'])
        assert res.returncode == 0, res.stdout[-3000:]
    assert try_relay(live, 587, 'alice', auth_lab['users']['alice'])[0] == 235


def test_a_user_with_state_absent_is_removed(live, auth_lab, tmp_path):
    extra = dict(auth_lab['extra'], sendmail_auth_users=[{'name': 'alice', 'password': auth_lab['users']['alice']},
                                                         {'name': 'bob', 'state': 'absent'}])
    try:
        res = converge(live, tmp_path, extra)
        assert res.returncode == 0, res.stdout[-3000:]
        assert 'bob@' not in live.sh('mx1', 'sasldblistusers2').stdout
        assert try_relay(live, 587, 'bob', auth_lab['users']['bob'])[0] == 535
        assert try_relay(live, 587, 'alice', auth_lab['users']['alice'])[0] == 235
        again = converge(live, tmp_path, extra)
        assert again.returncode == 0 and changed(again) == 0, again.stdout[-3000:]
    finally:
        res = converge(live, tmp_path, auth_lab['extra'])
        assert res.returncode == 0, res.stdout[-3000:]
    assert try_relay(live, 587, 'bob', auth_lab['users']['bob'])[0] == 235


PAM_USER = 'pamuser'


def test_saslauthd_checks_the_hosts_own_accounts_through_pam(live, auth_lab, tmp_path):
    """sendmail_auth_backend saslauthd: an account of the host is taken with its password, sasldb2's users no
    longer; an account locked in PAM is refused at once (no credential cache); a saslauthd that stopped is started
    by the next run; back on sasldb2, its users are taken again."""
    # An account of this test's own: the lab's mailbox users (lab_mail_users) receive the other tests' mail.
    secret = password()
    live.sh('mx1', f'id {PAM_USER} >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin {PAM_USER}; '
                   f"echo '{PAM_USER}:{secret}' | chpasswd")
    extra = dict(auth_lab['extra'], sendmail_auth_backend='saslauthd', sendmail_auth_users=[])
    try:
        check = converge(live, tmp_path, extra, '--check', '--diff')
        assert check.returncode == 0, check.stdout[-3000:]
        assert 'auxprop_plugin: sasldb' in live.sh('mx1', 'cat /etc/sasl2/Sendmail.conf').stdout, 'check mode changed it'
        run = converge(live, tmp_path, extra)
        assert run.returncode == 0, run.stdout[-3000:]
        conf = live.sh('mx1', 'cat /etc/sasl2/Sendmail.conf').stdout
        assert 'pwcheck_method: saslauthd' in conf and 'saslauthd_path: /var/run/saslauthd/mux' in conf, conf
        options = live.sh('mx1', '. /etc/default/saslauthd && echo "$START $MECHANISMS $OPTIONS"').stdout.split()
        assert options == ['yes', 'pam', '-m', '/var/run/saslauthd'], options
        assert try_relay(live, 587, PAM_USER, secret) == (235, 250, 250)
        assert try_relay(live, 25, PAM_USER, secret) == (235, 250, 250)
        assert try_relay(live, 587, PAM_USER, secret + 'x')[0] == 535
        assert try_relay(live, 587, 'alice', auth_lab['users']['alice'])[0] == 535      # sasldb2 is not asked
        live.sh('mx1', f'usermod -L {PAM_USER}')
        assert try_relay(live, 587, PAM_USER, secret)[0] == 535
        live.sh('mx1', f'usermod -U {PAM_USER}')
        again = converge(live, tmp_path, extra)
        assert again.returncode == 0 and changed(again) == 0, again.stdout[-3000:]
        live.sh('mx1', 'kill "$(cat /var/run/saslauthd/saslauthd.pid)"; sleep 1')
        assert try_relay(live, 587, PAM_USER, secret)[0] != 235
        res = converge(live, tmp_path, extra)
        assert res.returncode == 0 and changed(res) == 1, res.stdout[-3000:]
        assert try_relay(live, 587, PAM_USER, secret) == (235, 250, 250)
    finally:
        res = converge(live, tmp_path, auth_lab['extra'])
        assert res.returncode == 0, res.stdout[-3000:]
        live.sh('mx1', f'userdel {PAM_USER}', check=False)
    assert 'auxprop_plugin: sasldb' in live.sh('mx1', 'cat /etc/sasl2/Sendmail.conf').stdout
    assert try_relay(live, 587, 'alice', auth_lab['users']['alice']) == (235, 250, 250)


@pytest.mark.parametrize('case', ['no STARTTLS', 'a password missing', 'saslauthd with a sasldb2 user'])
def test_bad_auth_settings_are_refused_before_any_change(live, auth_lab, tmp_path, case):
    before = live.hashes()
    sasl = live.sh('mx1', 'sha256sum /etc/sasldb2 /etc/sasl2/Sendmail.conf').stdout
    secret = password()
    if case == 'no STARTTLS':
        extra = dict(auth_lab['extra'], sendmail_tls_cert='', sendmail_tls_key='',
                     sendmail_auth_users=[{'name': 'carol', 'password': secret}])
        expected = 'sendmail_auth: SMTP AUTH needs STARTTLS'
    elif case == 'a password missing':
        extra = dict(auth_lab['extra'], sendmail_auth_users=[{'name': 'carol', 'password': secret}, {'name': 'dave'}])
        expected = "sendmail_auth_users[1] (name 'dave'): needs a password"
    else:
        extra = dict(auth_lab['extra'], sendmail_auth_backend='saslauthd',
                     sendmail_auth_users=[{'name': 'carol', 'password': secret}])
        expected = "sendmail_auth_users[0] (name 'carol'): with sendmail_auth_backend 'saslauthd' the users are"
    res = converge(live, tmp_path, extra, '-vvv')
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert expected in out, out[-3000:]
    assert secret not in out
    assert live.hashes() == before
    assert live.sh('mx1', 'sha256sum /etc/sasldb2 /etc/sasl2/Sendmail.conf').stdout == sasl


# -- a client authenticating to its smart host ------------------------------------------------------------------

def client_vars(secret):
    return {'sendmail_smart_host_port': 587, 'sendmail_smart_host_auth_user': 'alice',
            'sendmail_smart_host_auth_password': secret}


def queued(live, host='client1') -> str:
    return live.sh(host, 'mailq', check=False).stdout


def test_a_client_authenticates_to_its_smart_host_and_a_wrong_password_keeps_its_mail_queued(live, auth_lab, tmp_path):
    right, wrong = auth_lab['users']['alice'], password()
    secrets = [right, wrong] + [base64.b64encode(p.encode()).decode() for p in (right, wrong)]
    try:
        check = converge(live, tmp_path, client_vars(right), '--check', '--diff', '-vvv', host='client1')
        assert check.returncode == 0, check.stdout[-3000:]
        run = converge(live, tmp_path, client_vars(right), '--diff', host='client1')
        assert run.returncode == 0, run.stdout[-3000:]
        for res in (check, run):
            out = res.stdout + res.stderr
            assert not any(secret in out for secret in secrets), 'a password in the output'
        assert live.sh('client1', 'stat -c "%U %a" /etc/mail/access').stdout.strip() == 'root 600'
        again = converge(live, tmp_path, client_vars(right), host='client1')
        assert again.returncode == 0 and changed(again, 'client1') == 0, again.stdout[-3000:]
        mark = int(live.sh('mx1', 'stat -c %s /var/log/mail.log').stdout.strip())
        token = live.token('auth')
        live.submit('client1', 'admin@example.test', token)
        assert live.wait_mailbox('mx1', 'admin', token, flush='client1') == 1
        log = live.sh('mx1', f'tail -c +{mark + 1} /var/log/mail.log').stdout
        assert re.search(r'AUTH=server, relay=client1\.example\.test.*authid=alice', log), log[-2000:]
        assert re.search(r'daemon=MSA', log), log[-2000:]

        res = converge(live, tmp_path, client_vars(wrong), host='client1')
        assert res.returncode == 0, res.stdout[-3000:]
        token = live.token('auth')
        live.submit('client1', 'admin@example.test', token)
        for _attempt in range(3):
            live.flush('client1')
            time.sleep(2)
        assert live.mailbox_count('mx1', 'admin', token) == 0
        queue = queued(live)
        assert 'Total requests: 1' in queue and 'MAILER-DAEMON' not in queue, queue   # queued, no bounce
        assert 'AUTH' in queue or 'Authentication' in queue or 'Deferred' in queue, queue

        res = converge(live, tmp_path, client_vars(right), host='client1')
        assert res.returncode == 0, res.stdout[-3000:]
        assert live.wait_mailbox('mx1', 'admin', token, flush='client1') == 1
        assert 'Total requests: 0' in queued(live) or 'queue is empty' in queued(live)
    finally:
        res = converge(live, tmp_path, host='client1')
        assert res.returncode == 0, res.stdout[-3000:]
        live.flush('client1')
