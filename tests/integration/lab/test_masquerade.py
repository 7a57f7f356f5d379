"""Masquerading, genericstable and mailertable over real SMTP.

client1 (a client whose smart host is mx1) sends mail as root and as another user with sendmail's own
submission program; what arrives in mx1's mailbox shows the sender that client1's sendmail wrote, in the
envelope (Return-Path, the mail log's from=) and in the header From:. A domain that mx1's mailertable
routes to mx2 arrives in mx2's mailbox. Each host is converged back to the inventory at the end."""

from __future__ import annotations

import email
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

CLIENT_FQDN = "client1.example.test"
MASQUERADE = {
    "sendmail_masquerade_as": "example.test",
    "sendmail_masquerade_envelope": True,
    "sendmail_generics_domains": [CLIENT_FQDN],
    "sendmail_host_genericstable": [{"address": "bob", "target": "robert.builder@example.test"}],
}


def _recap(res: subprocess.CompletedProcess, host: str) -> str:
    lines = [line for line in res.stdout.split("PLAY RECAP")[-1].splitlines() if line.startswith(host)]
    assert lines, res.stdout[-3000:]
    return lines[0]


def _play(live, host: str, extra: dict | None, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = ["--limit", host]
    if extra is not None:
        path = tmp_path / f"{live.token('vars')}.yml"
        path.write_text(yaml.safe_dump(extra))
        cmd += ["-e", f"@{path}"]
    return live.playbook("playbooks/site.yml", *cmd, *args)


def _send(live, user: str, token: str) -> None:
    """Submit on client1 as a local program does: sendmail -t, the envelope sender -f user (root: none given)."""
    msg = f"To: admin@example.test\nSubject: {token}\n\n{token}\n"
    live.sendmail("client1", msg, *([] if user == "root" else ["-f", user]))


def _delivered(live, token: str) -> email.message.Message:
    """The one message in admin's mailbox on mx1 whose body line is the token."""
    assert live.wait_mailbox("mx1", "admin", token, flush="client1") == 1, token
    box = live.sh("mx1", "cat /var/mail/admin").stdout
    found = [part for part in re.split(r"^From .*\n", box, flags=re.M) if re.search(rf"^{token}$", part, re.M)]
    assert len(found) == 1, found
    return email.message_from_string(found[0])


def _senders(live, user: str) -> tuple[str, str, str]:
    """(Return-Path, From:, the mail log's from=) of one mail from `user` on client1."""
    token = live.token(f"masq-{user}")
    _send(live, user, token)
    msg = _delivered(live, token)
    msgid = msg["Message-ID"]
    log = live.sh("mx1", f"grep -F -- {shlex.quote('msgid=' + msgid)} /var/log/mail.log", check=False).stdout
    logged = re.findall(r"from=<([^>]*)>", log)
    assert len(logged) == 1, log
    return msg["Return-Path"], email.utils.parseaddr(msg["From"])[1], logged[0]


def test_client_masquerades_root_rewrites_a_generic_user_and_exposes_root_when_listed(live, tmp_path):
    # mx1 takes example.test with a catch-all error (its host_vars): a masqueraded sender must be an address
    # it knows, or it answers MAIL FROM with 553 5.3.0 User unknown. The addresses the client's users take.
    known = {"sendmail_host_virtusertable": live.host_vars("mx1")["sendmail_host_virtusertable"] + [
        {"address": "root@example.test", "target": "admin"}, {"address": "carol@example.test", "target": "carol"},
        {"address": "robert.builder@example.test", "target": "bob"}]}
    try:
        _play(live, "mx1", known, tmp_path)
        _play(live, "client1", MASQUERADE, tmp_path)
        assert "changed=0" in _recap(_play(live, "client1", MASQUERADE, tmp_path), "client1")
        check = _play(live, "client1", MASQUERADE, tmp_path, "--check", "--diff")
        assert "changed=0" in _recap(check, "client1"), check.stdout[-3000:]
        mc = live.sh("client1", "cat /etc/mail/sendmail.mc").stdout
        assert "MASQUERADE_AS(`example.test')dnl" in mc and "FEATURE(`masquerade_envelope')dnl" in mc, mc
        assert live.sh("client1", "makemap -u hash /etc/mail/genericstable").stdout == \
            "bob\trobert.builder@example.test\n"

        # root: masqueraded as the domain, in the envelope (masquerade_envelope) and the header
        assert _senders(live, "root") == ("<root@example.test>", "root@example.test", "root@example.test")
        # bob: the genericstable entry gives the whole new address
        generic = "robert.builder@example.test"
        assert _senders(live, "bob") == (f"<{generic}>", generic, generic)
        # carol: no entry, so masqueraded like root
        assert _senders(live, "carol") == ("<carol@example.test>", "carol@example.test", "carol@example.test")

        # A genericstable change alone rebuilds genericstable.db beside the live one; sendmail reads maps live,
        # so neither sendmail.cf nor the daemon changes.
        pid, cf = live.daemon_pid("client1"), live.sh("client1", "stat -c %Y /etc/mail/sendmail.cf").stdout
        changed = dict(MASQUERADE, sendmail_host_genericstable=[{"address": "bob", "target": "sales@example.test"}])
        _play(live, "client1", changed, tmp_path)
        assert live.sh("client1", "makemap -u hash /etc/mail/genericstable").stdout == "bob\tsales@example.test\n"
        assert live.daemon_pid("client1") == pid
        assert live.sh("client1", "stat -c %Y /etc/mail/sendmail.cf").stdout == cf
        assert _senders(live, "bob") == ("<sales@example.test>", "sales@example.test", "sales@example.test")

        exposed = dict(MASQUERADE, sendmail_exposed_users=["root"])
        _play(live, "client1", exposed, tmp_path)
        assert "changed=0" in _recap(_play(live, "client1", exposed, tmp_path), "client1")
        own = f"root@{CLIENT_FQDN}"
        assert _senders(live, "root") == (f"<{own}>", own, own)
        assert _senders(live, "carol")[0] == "<carol@example.test>"
    finally:
        _play(live, "client1", None, tmp_path)
        _play(live, "mx1", None, tmp_path)
    # Back to the inventory: no masquerading, an empty genericstable.
    assert "MASQUERADE_AS" not in live.sh("client1", "cat /etc/mail/sendmail.mc").stdout
    assert live.sh("client1", "makemap -u hash /etc/mail/genericstable").stdout == ""
    own = f"carol@{CLIENT_FQDN}"
    assert _senders(live, "carol") == (f"<{own}>", own, own)


@pytest.fixture
def mx2(live):
    """mx2, the second lab server (serving other.test), made for this test and removed after it."""
    live.lab("host", "mx2=4")
    try:
        live.playbook("lab/prepare.yml", "--limit", "mx2")   # its mailbox owners
        yield "mx2"
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "0", live.container("mx2")], capture_output=True, env=live.env,
                       check=False)


def test_mailertable_routes_a_domain_to_the_second_server(live, mx2, tmp_path):
    """mx1's mailertable sends viamx2.other.test (a name the lab DNS does not know: without the entry mx1 could
    not deliver it) to [mx2.example.test]; mx2 takes it as a relay domain and its own mailertable hands it to
    the local user dave: a mail to it through mx1 arrives in dave's mailbox on mx2."""
    _play(live, "mx2", {"sendmail_host_relay_domains": ["viamx2.other.test"],
                        "sendmail_host_mailertable": [{"domain": "viamx2.other.test", "route": "local:dave"}]}, tmp_path)
    route = {"sendmail_host_mailertable": [{"domain": "viamx2.other.test", "route": "esmtp:[mx2.example.test]"}]}
    try:
        _play(live, "mx1", route, tmp_path)
        assert "changed=0" in _recap(_play(live, "mx1", route, tmp_path), "mx1")
        token = live.token("mailertable")
        out = live.smtp("client1", "mx1", "someone@viamx2.other.test", body=f"Subject: {token}\r\n\r\n{token}\r\n")
        assert out["data"][0] == 250, out
        assert live.wait_mailbox("mx2", "dave", token, flush="mx1") == 1
        log = live.sh("mx1", "grep -F 'to=<someone@viamx2.other.test>' /var/log/mail.log").stdout
        assert re.search(r"mailer=esmtp, .*relay=mx2\.example\.test\.? \[[0-9.]+\].*stat=Sent", log), log
    finally:
        _play(live, "mx1", None, tmp_path)
    resolved = live.sh("mx1", "sendmail -bv someone@viamx2.other.test", check=False).stdout
    assert "host [mx2.example.test]" not in resolved, resolved
