"""STARTTLS in and out (sendmail_tls_*, docs/tls.md), on the live lab: mx1 and client1 carry certificates
of the lab's own CA (lab.sh up makes it; group_vars deploy them).

Real clients (openssl s_client, swaks on the controller; sendmail between lab hosts) see the deployed
certificate and a modern protocol; mail between lab hosts travels encrypted and verified; access
entries Try_TLS: and TLS_Srv: take effect; a key that does not match, or an expired certificate, is
refused before any change; a key made readable by others is put back; STARTTLS switched off by an
unsafe directory fails the run at the EHLO proof; no key text reaches the output of -vvv --diff runs.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from lab import role_vars  # tests/support, on the path through conftest

# The temporary reply of a failed TLS_Srv/TLS_Rcpt check: sendmail 8.15's cf gives 403 (not a valid SMTP
# code; proto.m4's default without TLS_PERM_ERR), 8.16 and later give 454.
_VERSION = tuple(int(part) for part in role_vars()['__sendmail_version'].split('.')[:2])
TLS_TEMP_CODE = '403' if _VERSION < (8, 16) else '454'
# Each release links sendmail with its own OpenSSL (1.1.1, 3.0, 3.5): run on every release (tests/run.sh).
pytestmark = pytest.mark.releases

MX1_KEY = '/etc/mail/tls/mailops.key'
MX1_CERT = '/etc/mail/tls/mailops.crt'


def tls_dir(live) -> Path:
    return Path.home() / '.cache' / 'mailops-lab' / live.name / 'tls'


def openssl(*args, stdin='', check=True, timeout=30):
    return subprocess.run(['openssl', *args], input=stdin, capture_output=True, text=True, check=check,
                          timeout=timeout)


@pytest.fixture(scope='module')
def other_ca(tmp_path_factory):
    """A CA the lab hosts do not trust, with a certificate for mx1's name and its key."""
    d = tmp_path_factory.mktemp('other-ca')
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '5',
            '-subj', '/CN=other CA', '-addext', 'basicConstraints=critical,CA:TRUE',
            '-keyout', str(d / 'ca.key'), '-out', str(d / 'ca.crt'))
    (d / 'ext').write_text('subjectAltName=DNS:mx1.example.test\nextendedKeyUsage=serverAuth,clientAuth\n')
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj',
            '/CN=mx1.example.test', '-keyout', str(d / 'mx1.key'), '-out', str(d / 'mx1.csr'))
    openssl('x509', '-req', '-in', str(d / 'mx1.csr'), '-CA', str(d / 'ca.crt'), '-CAkey', str(d / 'ca.key'),
            '-CAcreateserial', '-days', '5', '-extfile', str(d / 'ext'), '-out', str(d / 'mx1.crt'))
    return d


def lab_cert(live, tmp_path, name='mx1.example.test', days=10, not_after=None):
    """A new key and certificate for ``name`` from the lab CA (an expired one with ``not_after`` in the past)."""
    ca = tls_dir(live)
    key, cert = tmp_path / f'{name}.key', tmp_path / f'{name}.crt'
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', f'/CN={name}',
            '-keyout', str(key), '-out', str(tmp_path / 'csr'))
    (tmp_path / 'ext').write_text(f'subjectAltName=DNS:{name}\nextendedKeyUsage=serverAuth,clientAuth\n')
    if not_after is None:
        openssl('x509', '-req', '-in', str(tmp_path / 'csr'), '-CA', str(ca / 'ca.crt'), '-CAkey', str(ca / 'ca.key'),
                '-CAcreateserial', '-days', str(days), '-extfile', str(tmp_path / 'ext'), '-out', str(cert))
    else:   # openssl 3.0's x509 has no -not_after: the ca command sets the dates
        _expired(ca, tmp_path, cert)
    return key.read_text(), cert.read_text()


def _expired(ca, tmp_path, cert):
    db = tmp_path / 'db'
    db.mkdir()
    (db / 'index.txt').write_text('')
    (db / 'serial').write_text('1000\n')
    (tmp_path / 'ca.cnf').write_text(f'''[ca]
default_ca = lab
[lab]
database = {db}/index.txt
serial = {db}/serial
new_certs_dir = {db}
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
''')
    openssl('ca', '-batch', '-config', str(tmp_path / 'ca.cnf'), '-cert', str(ca / 'ca.crt'), '-keyfile',
            str(ca / 'ca.key'), '-in', str(tmp_path / 'csr'), '-startdate', '20200101000000Z', '-enddate',
            '20210101000000Z', '-extfile', str(tmp_path / 'ext'), '-out', str(cert), '-notext')


def s_client(live, host='mx1', ca=None):
    args = ['s_client', '-starttls', 'smtp', '-connect', f'{live.ip(host)}:25', '-brief', '-verify_return_error']
    if ca:
        args += ['-CAfile', str(ca)]
    return openssl(*args, stdin='QUIT\r\n', check=False)


def converge(live, hosts, tmp_path, extra=None, *args):
    cmd = ['--limit', hosts]
    if extra is not None:
        path = tmp_path / f'extra-{live.token("vars")}.yml'
        path.write_text(yaml.safe_dump(extra))
        cmd += ['-e', f'@{path}']
    return live.playbook('playbooks/site.yml', *cmd, *args, check=False)


def log_since(live, host, mark):
    out = live.sh(host, f'tail -c +{mark + 1} /var/log/mail.log', check=False).stdout
    return out


def log_mark(live, host):
    return int(live.sh(host, 'stat -c %s /var/log/mail.log').stdout.strip())


def fingerprint(pem: str) -> str:
    return openssl('x509', '-noout', '-fingerprint', '-sha256', stdin=pem).stdout.strip()


# -- the deployed certificate, seen by real clients ------------------------------------------------

def test_s_client_sees_the_deployed_certificate_and_a_modern_protocol(live, other_ca):
    ok = s_client(live, ca=tls_dir(live) / 'ca.crt')
    text = ok.stdout + ok.stderr
    assert ok.returncode == 0, text
    assert re.search(r'Protocol version: TLSv1\.[23]\b', text), text
    assert 'Verification: OK' in text and 'Peer certificate: CN = mx1.example.test' in text, text
    # The certificate served is the one deployed from the inventory (lab CA's for mx1).
    served = openssl('s_client', '-starttls', 'smtp', '-connect', f'{live.ip("mx1")}:25', '-showcerts',
                     stdin='QUIT\r\n', check=False).stdout
    leaf = re.search(r'-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n', served, re.S).group(0)
    assert fingerprint(leaf) == fingerprint((tls_dir(live) / 'mx1.crt').read_text())
    # Against another CA the handshake's verification fails (and s_client says so with a protocol agreed).
    bad = s_client(live, ca=other_ca / 'ca.crt')
    assert bad.returncode != 0, bad.stdout + bad.stderr
    assert re.search(r'verify error|unable to get local issuer certificate', bad.stdout + bad.stderr), bad.stderr


def test_swaks_tls_sees_the_certificate_and_fails_verification_against_another_ca(live, other_ca):
    common = ['swaks', '--tls', '--server', live.ip('mx1'), '--quit-after', 'EHLO', '--helo', 'controller.test',
              '--timeout', '20']
    ok = subprocess.run(common + ['--tls-verify', '--tls-ca-path', str(tls_dir(live) / 'ca.crt')],
                        capture_output=True, text=True, timeout=60, check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert re.search(r'TLS started with cipher TLSv1\.[23]', ok.stdout), ok.stdout
    assert 'TLS peer DN="/CN=mx1.example.test"' in ok.stdout, ok.stdout
    bad = subprocess.run(common + ['--tls-verify', '--tls-ca-path', str(other_ca / 'ca.crt')],
                         capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode != 0, bad.stdout
    assert 'TLS started' not in bad.stdout, bad.stdout


def test_old_protocols_are_refused(live):
    """ServerSSLOptions: no TLS 1.1 (the controller's OpenSSL allows it here at security level 0)."""
    old = openssl('s_client', '-starttls', 'smtp', '-connect', f'{live.ip("mx1")}:25', '-tls1_1', '-cipher',
                  'DEFAULT@SECLEVEL=0', stdin='QUIT\r\n', check=False)
    # s_client prints "Protocol : TLSv1.1" even here: the proof is the server's alert and no certificate.
    assert old.returncode != 0 and 'alert protocol version' in old.stderr, old.stderr
    assert 'no peer certificate available' in old.stdout and 'Cipher    : 0000' in old.stdout, old.stdout
    new = openssl('s_client', '-starttls', 'smtp', '-connect', f'{live.ip("mx1")}:25', '-tls1_2', '-brief',
                  stdin='QUIT\r\n', check=False)
    assert 'Protocol version: TLSv1.2' in new.stdout + new.stderr, new.stderr


# -- mail between lab hosts ------------------------------------------------------------------------------

def test_mail_from_client1_to_mx1_travels_encrypted_and_verified(live):
    mark_mx1, mark_c1 = log_mark(live, 'mx1'), log_mark(live, 'client1')
    token = live.token('tls')
    live.submit('client1', 'admin@example.test', token)
    assert live.wait_mailbox('mx1', 'admin', token, flush='client1') == 1
    server = log_since(live, 'mx1', mark_mx1)
    client = log_since(live, 'client1', mark_c1)
    # Both ends verified the other's certificate from the lab CA, over TLS 1.2 or 1.3.
    assert re.search(r'STARTTLS=server, relay=client1\.example\.test .*version=TLSv1\.[23], verify=OK', server), server
    assert re.search(r'STARTTLS=client, relay=mx1\.example\.test\.?, version=TLSv1\.[23], verify=OK', client), client


def test_mail_from_mx1_to_mx2_travels_encrypted_and_verified(live):
    """Server to server: mx1 delivers other.test to mx2 (its MX), presenting its own certificate."""
    live.lab('host', 'mx2=4')
    live.playbook('lab/prepare.yml', '--limit', 'mx2')
    live.playbook('playbooks/site.yml', '--limit', 'mx2')
    mark_mx1, mark_mx2 = log_mark(live, 'mx1'), log_mark(live, 'mx2')
    token = live.token('s2s')
    live.submit('mx1', 'dave@other.test', token)
    assert live.wait_mailbox('mx2', 'dave', token, flush='mx1') == 1
    server, client = log_since(live, 'mx2', mark_mx2), log_since(live, 'mx1', mark_mx1)
    assert re.search(r'STARTTLS=server, relay=mx1\.example\.test .*version=TLSv1\.[23], verify=OK', server), server
    assert re.search(r'STARTTLS=client, relay=mx2\.example\.test\.?, version=TLSv1\.[23], verify=OK', client), client


def test_try_tls_and_tls_srv_entries_take_effect(live, other_ca, tmp_path):
    """client1: Try_TLS:mx1 NO sends in clear; TLS_Srv:mx1 VERIFY with a CA that does not sign mx1's certificate
    keeps mail queued (not lost), and it goes out once client1 trusts the right CA again."""
    try:
        res = converge(live, 'client1', tmp_path, {'sendmail_host_access': [
            {'key': 'Try_TLS:mx1.example.test', 'action': 'NO'}]})
        assert res.returncode == 0, res.stdout[-3000:]
        mark = log_mark(live, 'mx1')
        token = live.token('clear')
        live.submit('client1', 'admin@example.test', token)
        assert live.wait_mailbox('mx1', 'admin', token, flush='client1') == 1
        assert 'STARTTLS=server, relay=client1' not in log_since(live, 'mx1', mark)

        res = converge(live, 'client1', tmp_path, {
            'sendmail_host_access': [{'key': 'TLS_Srv:mx1.example.test', 'action': 'VERIFY'}],
            # no certificate of its own (the lab CA's would not chain to the CA it trusts now)
            'sendmail_tls_ca': (other_ca / 'ca.crt').read_text(), 'sendmail_tls_cert': '', 'sendmail_tls_key': ''})
        assert res.returncode == 0, res.stdout[-3000:]
        mark = log_mark(live, 'client1')
        token = live.token('verify')
        live.submit('client1', 'admin@example.test', token)
        time.sleep(3)
        live.flush('client1')
        time.sleep(2)
        assert live.mailbox_count('mx1', 'admin', token) == 0
        log = log_since(live, 'client1', mark)
        assert re.search(r'STARTTLS=client, relay=mx1\.example\.test\.?, version=TLSv1\.[23], verify=FAIL', log), log
        assert re.search(rf'ruleset=tls_server, arg1=FAIL, relay=mx1\.example\.test, reject={TLS_TEMP_CODE} 4\.7\.0',
                         log), log
        assert re.search(rf'stat=Deferred: {TLS_TEMP_CODE} 4\.7\.0 authentication failed', log), log
        # still queued on client1 (not lost, not bounced)
        assert live.sh('client1', f'grep -l -- {token} /var/spool/mqueue/df* || true', check=False).stdout.strip()
    finally:
        res = converge(live, 'client1', tmp_path)
        assert res.returncode == 0, res.stdout[-3000:]
    live.flush('client1')
    assert live.wait_mailbox('mx1', 'admin', token, flush='client1') == 1


# -- refused before any change -------------------------------------------------------------------------

@pytest.mark.parametrize('case', ['foreign key', 'expired', 'other ca'])
def test_bad_tls_material_is_refused_before_any_change(live, other_ca, tmp_path, case):
    before, pid = live.hashes(), live.daemon_pid()
    key_before = live.sh('mx1', f'sha256sum {MX1_KEY} {MX1_CERT}').stdout
    if case == 'foreign key':
        extra, word = {'sendmail_tls_key': (other_ca / 'mx1.key').read_text()}, 'the key does not belong'
        secret = extra['sendmail_tls_key']
    elif case == 'expired':
        key, cert = lab_cert(live, tmp_path, not_after='past')
        extra, word, secret = {'sendmail_tls_key': key, 'sendmail_tls_cert': cert}, 'has expired', key
    else:
        extra = {'sendmail_tls_key': (other_ca / 'mx1.key').read_text(),
                 'sendmail_tls_cert': (other_ca / 'mx1.crt').read_text()}
        word, secret = 'does not lead to the CA given', extra['sendmail_tls_key']
    res = converge(live, 'mx1', tmp_path, extra, '-vvv')
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert 'sendmail_tls_' in out and word in out, out[-3000:]
    # Nothing changed, sendmail kept running with STARTTLS, and the key text is nowhere in the output.
    assert live.hashes() == before and live.daemon_pid() == pid
    assert live.sh('mx1', f'sha256sum {MX1_KEY} {MX1_CERT}').stdout == key_before
    assert s_client(live, ca=tls_dir(live) / 'ca.crt').returncode == 0
    body = ''.join(line for line in secret.splitlines() if not line.startswith('-----'))
    assert body[:40] not in out


# -- out-of-band changes ------------------------------------------------------------------------------------

def test_a_key_made_readable_by_others_is_put_back(live, tmp_path):
    live.sh('mx1', f'chmod 0644 {MX1_KEY}')
    res = converge(live, 'mx1', tmp_path)
    assert res.returncode == 0, res.stdout[-3000:]
    assert live.sh('mx1', f'stat -c %a:%U {MX1_KEY}').stdout.strip() == '600:root'
    assert s_client(live, ca=tls_dir(live) / 'ca.crt').returncode == 0


def test_starttls_switched_off_fails_the_run_at_the_ehlo_proof(live, tmp_path):
    """An unsafe (group-writable) key directory: sendmail starts, but without STARTTLS; the restart this run
    causes is followed by the EHLO proof, which fails the run and names the cause."""
    try:
        live.sh('mx1', 'chmod 0775 /etc/mail/tls')
        cf_before = live.sh('mx1', 'sha1sum /etc/mail/sendmail.cf').stdout
        res = converge(live, 'mx1', tmp_path, {'sendmail_host_relay_domains': ['tls-proof.example.test']})
        out = res.stdout + res.stderr
        assert res.returncode != 0
        assert 'does not offer STARTTLS' in out and 'sendmail offers no STARTTLS when' in out, out[-3000:]
        # The restart was for a class file: the live sendmail.cf (of this sendmail.mc) stays, no older one
        # comes back from sendmail.cf.previous.
        assert 'sendmail.cf was not rebuilt in this run, so nothing was rolled back' in out, out[-3000:]
        assert live.sh('mx1', 'sha1sum /etc/mail/sendmail.cf').stdout == cf_before
    finally:
        live.sh('mx1', 'chmod 0755 /etc/mail/tls')
        res = converge(live, 'mx1', tmp_path)
    assert res.returncode == 0, res.stdout[-3000:]
    assert s_client(live, ca=tls_dir(live) / 'ca.crt').returncode == 0


# -- secrets out of the output, idempotence ------------------------------------------------------------------

def test_a_new_key_never_shows_in_check_diff_or_verbose_runs_and_a_second_run_changes_nothing(live, tmp_path):
    key, cert = lab_cert(live, tmp_path)
    body = [line for line in key.splitlines() if not line.startswith('-----')]
    extra = {'sendmail_tls_key': key, 'sendmail_tls_cert': cert}
    try:
        check = converge(live, 'mx1', tmp_path, extra, '--check', '--diff', '-vvv')
        assert check.returncode == 0, check.stdout[-3000:]
        run = converge(live, 'mx1', tmp_path, extra, '--diff', '-vvv')
        assert run.returncode == 0, run.stdout[-3000:]
        for res in (check, run):
            out = res.stdout + res.stderr
            assert '(a secret file, not shown)' in out
            assert not any(part in out for part in body), 'key text in the output'
            assert 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' in out or '********' in out
            assert 'BEGIN CERTIFICATE' in out   # the certificate is no secret: its diff shows
        served = openssl('s_client', '-starttls', 'smtp', '-connect', f'{live.ip("mx1")}:25', '-showcerts',
                         stdin='QUIT\r\n', check=False).stdout
        assert fingerprint(cert) in [fingerprint(m) for m in re.findall(
            r'-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n', served, re.S)]
        again = converge(live, 'mx1', tmp_path, extra)
        assert again.returncode == 0 and re.search(r'mx1\s*: ok=\d+\s+changed=0 ', again.stdout), again.stdout[-2000:]
    finally:
        res = converge(live, 'mx1', tmp_path)
        assert res.returncode == 0, res.stdout[-3000:]


def test_files_already_on_the_host_are_checked_in_the_first_read(live, tmp_path):
    """sendmail_tls_*_file without PEMs: host_state checks them before any change (a key others may read,
    a key of another certificate), and a good set is used as it is."""
    d = '/etc/ssl/mailops-test'
    ca = (tls_dir(live) / 'ca.crt').read_text()
    key, cert = lab_cert(live, tmp_path)
    live.sh('mx1', f'mkdir -p {d} && chmod 0755 {d}')
    (tmp_path / 'stray').mkdir()
    stray = lab_cert(live, tmp_path / 'stray')[0]
    for name, text, mode in (('mx1.crt', cert, '0644'), ('mx1.key', key, '0640'), ('ca.crt', ca, '0644'),
                             ('stray.key', stray, '0600')):
        live.sh('mx1', f'umask 077; cat > {d}/{name} <<"EOF"\n{text}EOF\nchmod {mode} {d}/{name}')
    extra = {'sendmail_tls_cert': '', 'sendmail_tls_key': '', 'sendmail_tls_ca': '',
             'sendmail_tls_cert_file': f'{d}/mx1.crt', 'sendmail_tls_key_file': f'{d}/mx1.key',
             'sendmail_tls_ca_file': f'{d}/ca.crt'}
    before, pid = live.hashes(), live.daemon_pid()
    try:
        res = converge(live, 'mx1', tmp_path, extra)
        assert res.returncode != 0
        assert f'{d}/mx1.key: the key may be read by others than its owner (mode 0640)' in res.stdout, res.stdout[-3000:]
        assert 'STARTTLS files sendmail could not use' in res.stdout and 'Unsafe places to write' not in res.stdout
        res = converge(live, 'mx1', tmp_path, dict(extra, sendmail_tls_key_file=f'{d}/stray.key'))
        assert res.returncode != 0
        assert f'{d}/stray.key: the key does not belong to the certificate' in res.stdout, res.stdout[-3000:]
        assert live.hashes() == before and live.daemon_pid() == pid
        live.sh('mx1', f'chmod 0600 {d}/mx1.key')
        res = converge(live, 'mx1', tmp_path, extra)
        assert res.returncode == 0, res.stdout[-3000:]
        served = openssl('s_client', '-starttls', 'smtp', '-connect', f'{live.ip("mx1")}:25', '-showcerts',
                         stdin='QUIT\r\n', check=False).stdout
        assert fingerprint(cert) in [fingerprint(m) for m in re.findall(
            r'-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n', served, re.S)]
    finally:
        res = converge(live, 'mx1', tmp_path)
        live.sh('mx1', f'rm -rf {d}')
    assert res.returncode == 0, res.stdout[-3000:]
