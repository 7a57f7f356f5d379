"""DKIM signing through OpenDKIM as mx1's milter (role dkim, docs/dkim.md), end to end in the live lab.

mx1 signs example.test with the lab's key (lab.sh up makes it, host_vars/mx1.yml deploys it, the lab DNS
publishes it). Mail from client1 (a relay client of mx1, so one of OpenDKIM's InternalHosts) through mx1
arrives in mx1's mailbox with a DKIM-Signature that dkimpy, an independent verifier, accepts against the
lab's NSD; a tampered copy fails. With opendkim stopped the mail waits in client1's queue (F=T) and goes
out signed once the role started opendkim again.
"""

from __future__ import annotations

import re

import dkim
import dns.message
import dns.query
import dns.rdatatype
import pytest

SENDER = "sales@example.test"  # an address mx1 knows: it refuses unknown local senders
LAB_KEY = "{{ lookup('ansible.builtin.file', lab_dkim_dir ~ '/example.test.' ~ lab_dkim_selector ~ '.key') }}"


def _dnsfunc(live):
    """dkimpy's DNS lookups, answered by the lab's NSD only (never the machine's resolver)."""
    def txt(name, timeout=5):
        query = dns.message.make_query(name.decode() if isinstance(name, bytes) else name, dns.rdatatype.TXT)
        answer = dns.query.udp(query, live.ip("ns1"), timeout=timeout)
        for rrset in answer.answer:
            for rdata in rrset:
                return b"".join(rdata.strings)
        return None
    return txt


def _send(live, token: str) -> None:
    """client1 submits a message from example.test to admin@example.test; its smart host mx1 takes it."""
    msg = (f"From: Sales <{SENDER}>\nTo: admin@example.test\nSubject: dkim {token}\n"
           f"Message-ID: <{token}@example.test>\n\n{token}\nA second line, signed as well.\n")
    live.sendmail("client1", msg, "-f", SENDER)


def _received(live, token: str) -> bytes:
    """The message carrying ``token`` from mx1's mailbox of admin, as it arrived (CRLF line ends)."""
    box = live.sh("mx1", "cat /var/mail/admin").stdout
    messages = re.split(r"(?m)^From \S+ .*\n", box)
    found = [m for m in messages if f"\n{token}\n" in m]
    assert len(found) == 1, f"{len(found)} messages with {token} in mx1's mailbox"
    return found[0].rstrip("\n").replace("\n", "\r\n").encode() + b"\r\n"


def _signature(message: bytes) -> str:
    match = re.search(rb"(?mi)^DKIM-Signature:.*(?:\r\n[ \t].*)*", message)
    assert match, message.decode()[:2000]
    return match.group().decode()


def _opendkim_pid(live) -> str:
    return live.sh("mx1", "cat /run/opendkim/opendkim.pid 2>/dev/null || true", check=False).stdout.strip()


def test_mail_through_mx1_is_signed_and_verifies_against_the_lab_dns(live):
    token = live.token("dkim")
    _send(live, token)
    assert live.wait_mailbox("mx1", "admin", token, flush="client1") == 1
    message = _received(live, token)
    signature = _signature(message)
    assert "d=example.test" in signature and "s=lab" in signature, signature
    assert dkim.verify(message, dnsfunc=_dnsfunc(live)), signature
    # The body and a signed header, each changed once: the signature no longer holds.
    assert not dkim.verify(message.replace(b"A second line", b"A forged line"), dnsfunc=_dnsfunc(live))
    assert not dkim.verify(message.replace(f"Subject: dkim {token}".encode(), b"Subject: dkim forged"),
                           dnsfunc=_dnsfunc(live))


def test_a_stopped_milter_queues_the_mail_until_opendkim_is_back(live):
    pid = _opendkim_pid(live)
    assert pid, "opendkim does not run on mx1"
    live.sh("mx1", f"kill {pid}; for i in $(seq 50); do kill -0 {pid} 2>/dev/null || break; sleep 0.1; done")
    try:
        token = live.token("dkim-down")
        _send(live, token)
        # Tried for 15 s, with queue runs on client1: mx1 answers 4xx (F=T), nothing arrives, the mail waits.
        assert live.wait_mailbox("mx1", "admin", token, timeout=15, flush="client1") == 0
        queue = live.sh("client1", "mailq").stdout
        assert SENDER in queue, queue
        assert re.search(r"4\.\d\.\d", queue), queue
    finally:
        # The role starts opendkim again (it is not running) and waits for its socket.
        res = live.converge()
        assert re.search(r"mx1\s*: ok=\d+\s+changed=[1-9]", res.stdout), res.stdout[-3000:]
    assert _opendkim_pid(live) not in ("", pid)
    assert live.wait_mailbox("mx1", "admin", token, timeout=60, flush="client1") == 1
    message = _received(live, token)
    assert dkim.verify(message, dnsfunc=_dnsfunc(live)), _signature(message)


def test_the_role_returns_the_published_record_and_a_rerun_changes_nothing(live):
    published = _dnsfunc(live)(b"lab._domainkey.example.test").decode()
    key = live.sh("mx1", "ls -ln /etc/dkimkeys/example.test/lab.private && id -u opendkim").stdout.split()
    assert key[0] == "-rw-------" and key[2] == key[-1], key
    res = live.converge("-v")
    assert re.search(r"mx1\s*: ok=\d+\s+changed=0 ", res.stdout), res.stdout[-3000:]
    record = re.search(r'lab\._domainkey\.example\.test\. IN TXT \( ((?:\\?"[^"\\]*\\?" ?)+)\)', res.stdout)
    assert record, res.stdout[-3000:]
    assert "".join(re.findall(r'\\?"([^"\\]*)\\?"', record.group(1))) == published
    private = live.sh("mx1", "sed -n 2p /etc/dkimkeys/example.test/lab.private").stdout.strip()
    assert len(private) > 40 and private not in res.stdout + res.stderr
    check = live.converge("--check", "--diff", "-v")
    assert re.search(r"mx1\s*: ok=\d+\s+changed=0 ", check.stdout), check.stdout[-3000:]
    assert private not in check.stdout + check.stderr


def test_a_key_made_on_the_host_is_returned_and_kept(live, tmp_path):
    keys = [{"domain": "example.test", "selector": "lab", "private_key": LAB_KEY},
            {"domain": "example.test", "selector": "made", "signers": ["*@made.example.test"], "bits": 1024}]
    try:
        first = live.converge("-v", extra={"dkim_keys": keys}, tmp_path=tmp_path)
        listing = live.sh("mx1", "ls -ln /etc/dkimkeys/example.test/made.private && id -u opendkim").stdout.split()
        assert listing[0] == "-rw-------" and listing[2] == listing[-1], listing
        public = live.sh("mx1", "openssl pkey -in /etc/dkimkeys/example.test/made.private -pubout -outform DER"
                                " | base64 -w0").stdout.strip()
        record = re.search(r'made\._domainkey\.example\.test\. IN TXT \( ((?:\\?"[^"\\]*\\?" ?)+)\)', first.stdout)
        assert record, first.stdout[-3000:]
        assert "".join(re.findall(r'\\?"([^"\\]*)\\?"', record.group(1))) == "v=DKIM1; k=rsa; p=" + public
        table = live.sh("mx1", "cat /etc/opendkim/SigningTable /etc/opendkim/KeyTable").stdout
        assert "*@made.example.test\tmade._domainkey.example.test" in table, table
        assert "made._domainkey.example.test\texample.test:made:/etc/dkimkeys/example.test/made.private" in table
        again = live.converge(extra={"dkim_keys": keys}, tmp_path=tmp_path)
        assert re.search(r"mx1\s*: ok=\d+\s+changed=0 ", again.stdout), again.stdout[-3000:]
        assert live.sh("mx1", "openssl pkey -in /etc/dkimkeys/example.test/made.private -pubout -outform DER"
                              " | base64 -w0").stdout.strip() == public
    finally:
        live.converge()
        live.sh("mx1", "rm -f /etc/dkimkeys/example.test/made.private")


@pytest.mark.parametrize("keys, error", [
    ([{"domain": "example.test", "selector": "bad selector"}],
     "dkim_keys[0] (example.test/bad selector): selector 'bad selector' must be one or more DNS labels"),
    ([{"domain": "example.test", "selector": "x", "private_key": "not a key"}],
     "dkim_keys[0] (example.test/x): private_key must be an unencrypted PEM private key"),
])
def test_bad_keys_are_refused_before_any_change(live, tmp_path, keys, error):
    before = live.sh("mx1", "sha256sum /etc/opendkim.conf /etc/opendkim/* /etc/mail/sendmail.cf").stdout
    res = live.converge(extra={"dkim_keys": keys}, check=False, tmp_path=tmp_path)
    assert res.returncode != 0 and error in res.stdout, res.stdout[-3000:]
    assert "not a key" not in res.stdout.replace(error, "")
    assert live.sh("mx1", "sha256sum /etc/opendkim.conf /etc/opendkim/* /etc/mail/sendmail.cf").stdout == before


def test_sendmail_calls_the_milter_with_f_t(live):
    cf = live.sh("mx1", "grep -E '^(Xopendkim|O InputMailFilters)' /etc/mail/sendmail.cf").stdout
    assert "Xopendkim, S=inet:8891@127.0.0.1, F=T" in cf, cf
    assert "O InputMailFilters=opendkim" in cf, cf


def test_a_key_or_key_directory_others_may_read_is_put_back(live):
    """The role writes the inventory's key and the key directory only where they differ from the host: a hand
    chmod of either is found by the one read and put back, and opendkim (restarted for its key) still runs."""
    key, keydir = "/etc/dkimkeys/example.test/lab.private", "/etc/dkimkeys/example.test"
    content = live.sh("mx1", f"sha256sum {key}").stdout
    try:
        live.sh("mx1", f"chmod 0644 {key} && chmod 0755 {keydir}")
        res = live.converge("-v")
        assert re.search(r"mx1\s*: ok=\d+\s+changed=[1-9]", res.stdout), res.stdout[-3000:]
        modes = live.sh("mx1", f"stat -c '%a %U' {key} {keydir}").stdout.split()
        assert modes == ["600", "opendkim", "700", "opendkim"], modes
        assert live.sh("mx1", f"sha256sum {key}").stdout == content
        private = live.sh("mx1", f"sed -n 2p {key}").stdout.strip()
        assert len(private) > 40 and private not in res.stdout + res.stderr
        pid = _opendkim_pid(live)
        assert pid and live.sh("mx1", f"kill -0 {pid}", check=False).returncode == 0
        again = live.converge()
        assert re.search(r"mx1\s*: ok=\d+\s+changed=0 ", again.stdout), again.stdout[-3000:]
    finally:
        live.sh("mx1", f"chmod 0600 {key} && chmod 0700 {keydir}", check=False)


def test_an_opendkim_older_than_its_tables_is_restarted_once(live):
    """opendkim reads its tables only at start: a table changed after it started (here touched, as a run cut
    off between writing and restarting leaves it) is a restart the next run makes; the run after that changes
    nothing."""
    live.converge()
    pid = _opendkim_pid(live)
    live.sh("mx1", "sleep 1.5; touch /etc/opendkim/KeyTable")
    live.converge()
    restarted = _opendkim_pid(live)
    assert restarted and restarted != pid
    again = live.converge()
    assert re.search(r"mx1\s*: ok=\d+\s+changed=0 ", again.stdout), again.stdout[-3000:]
    assert _opendkim_pid(live) == restarted
