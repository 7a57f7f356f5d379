"""The converged lab fleet, checked over real SMTP and inside the hosts."""

import socket

import pytest


def _can_connect(ip, port):
    try:
        with socket.create_connection((ip, port), timeout=3):
            return True
    except OSError:
        return False


# -- listening addresses ---------------------------------------------------------

def test_servers_listen_on_port_25_of_all_interfaces_only(lab):
    for mx in ("mx1", "mx2"):
        assert _can_connect(lab.ip(mx), 25), mx
        assert not _can_connect(lab.ip(mx), 587), f"{mx} should not listen on 587"
        listening = lab.sh(mx, "ss -ltnH").stdout
        assert "0.0.0.0:25 " in listening and ":587 " not in listening, listening


def test_clients_listen_on_loopback_only(lab):
    assert not _can_connect(lab.ip("client1"), 25)
    listening = lab.sh("client1", "ss -ltnH").stdout.split()
    assert "127.0.0.1:25" in listening and "0.0.0.0:25" not in listening


# -- relaying -------------------------------------------------------------------

@pytest.mark.parametrize("mx", ["mx1", "mx2"])
def test_outsider_cannot_relay(lab, mx):
    out = lab.smtp("outsider", mx, "someone@relay-target.test")
    assert out["rcpt"][0][0] == 550 and "Relaying denied" in out["rcpt"][0][1], out


def test_test_runner_cannot_relay(lab):
    """The podman host (the lab gateway) is trusted by no policy either."""
    import smtplib
    with smtplib.SMTP(lab.ip("mx1"), 25, timeout=20) as s:
        s.ehlo("runner.example.test")
        s.mail("probe@runner.example.test")
        code, text = s.rcpt("someone@relay-target.test")
    assert code == 550 and b"Relaying denied" in text


def test_client_listed_relay_can_relay(lab):
    assert lab.rcpt_codes("client1", "mx1", "someone@relay-target.test") == [250]
    assert lab.rcpt_codes("client2", "mx2", "someone@relay-target.test") == [250]


def test_host_vars_removed_client2_relay_on_mx1(lab):
    """mx1's host_vars remove the group's RELAY entry for client2 (state: absent)."""
    assert lab.rcpt_codes("client2", "mx1", "someone@relay-target.test") == [550]


# -- access REJECT / ERROR -----------------------------------------------------------

def test_rejected_client_address(lab):
    out = lab.smtp("spammer", "mx1", "sales@example.test")
    codes = [out["connect"][0] if out["connect"] else None, out["mail"][0] if out["mail"] else None] + \
        [c for c, _text in out["rcpt"]]
    assert any(c is not None and c >= 500 for c in codes), out
    assert 250 not in [c for c, _text in out["rcpt"]], out


def test_rejected_sender_custom_error_on_mx1_plain_reject_on_mx2(lab):
    out1 = lab.smtp("outsider", "mx1", "sales@example.test", mail_from="spammer@bad.example.test")
    assert out1["rcpt"][0][0] == 550 and "No mail from spammer here" in out1["rcpt"][0][1], out1
    out2 = lab.smtp("outsider", "mx2", "dave@other.test", mail_from="spammer@bad.example.test")
    assert out2["rcpt"][0][0] == 550 and "No mail from spammer here" not in out2["rcpt"][0][1], out2


# -- virtusertable ----------------------------------------------------------------

def test_virtusertable_user_and_nouser_catchall(lab):
    out = lab.smtp("outsider", "mx1", ["sales@example.test", "nobody-here@example.test"])
    assert out["rcpt"][0][0] == 250, out
    assert out["rcpt"][1][0] == 553 and "User unknown" in out["rcpt"][1][1], out


def test_virtusertable_domain_catchall_delivers(lab):
    token = lab.token("catchall")
    out = lab.smtp("outsider", "mx2", "anything-at-all@other.test", body=f"Subject: {token}\r\n\r\n{token}\r\n")
    assert out["data"][0] == 250, out
    assert lab.wait_mailbox("mx2", "dave", token) == 1


# -- aliases ---------------------------------------------------------------------

def test_nested_and_include_aliases_reach_every_member(lab):
    token = lab.token("everyone")
    out = lab.smtp("client1", "mx1", "everyone@example.test", body=f"Subject: {token}\r\n\r\n{token}\r\n")
    assert out["data"][0] == 250, out
    for user in ("alice", "bob", "carol", "dave", "erin"):
        assert lab.wait_mailbox("mx1", user, token) == 1, user
    assert lab.mailbox_count("mx1", "admin", token) == 0


def test_aliases_file_layers(lab):
    mx1 = lab.host("mx1").file("/etc/aliases").content_string
    mx2 = lab.host("mx2").file("/etc/aliases").content_string
    assert "\nstaff: alice,bob,carol\n" in mx1
    assert "\nlegacy:" not in mx1 and "\nlegacy: root\n" in mx2
    assert "\nmailer-daemon: postmaster\n" in mx1 and "\npostmaster: root\n" in mx1


# -- DNSBL --------------------------------------------------------------------------

def test_dnsbl_refuses_listed_host_with_configured_message(lab):
    out = lab.smtp("spammer", "mx2", "dave@other.test")
    code, text = out["rcpt"][0]
    assert code == 550 and f"{lab.ip('spammer')} is listed at dnsbl.example.test" in text, out


def test_dnsbl_accepts_unlisted_host(lab):
    assert lab.rcpt_codes("outsider", "mx2", "dave@other.test") == [250]


# -- end to end through the smart hosts ---------------------------------------------

def test_client_mail_reaches_server_mailbox_via_smart_host(lab):
    token = lab.token("e2e")
    lab.submit("client1", "sales@example.test", token)
    lab.submit("client2", "whoever@other.test", token)
    assert lab.wait_mailbox("mx1", "alice", token, flush="client1") == 1
    assert lab.wait_mailbox("mx2", "dave", token, flush="client2") == 1


def test_client_root_mail_is_forwarded(lab):
    token = lab.token("root")
    lab.submit("client1", "root", token)
    assert lab.wait_mailbox("mx1", "admin", token, flush="client1") == 1


def test_mail_log_receives_sendmail_lines(lab):
    log = lab.host("mx1").file("/var/log/mail.log")
    assert log.exists
    assert "sm-mta" in log.content_string and "stat=Sent" in log.content_string


# -- files -----------------------------------------------------------------------------

def test_etc_hosts_names_the_fqdn(lab):
    lines = [ln.split() for ln in lab.host("mx1").file("/etc/hosts").content_string.splitlines()
             if ln.strip() and not ln.startswith("#")]
    assert lines[0] == ["127.0.0.1", "localhost.localdomain", "localhost"]
    assert lines[1] == [lab.ip("mx1"), "mx1.example.test", "mx1"]
    assert lab.sh("mx1", "hostname -f").stdout.strip() == "mx1.example.test"


def test_mc_is_the_source_of_the_cf(lab):
    h = lab.host("mx1")
    mc = h.file("/etc/mail/sendmail.mc").content_string
    assert "DAEMON_OPTIONS(`Family=inet, Name=MTA-v4, Port=25, Addr=0.0.0.0')dnl" in mc
    client_mc = lab.host("client1").file("/etc/mail/sendmail.mc").content_string
    assert "define(`SMART_HOST', `[mx1.example.test]')dnl" in client_mc
    cf = lab.host("client1").file("/etc/mail/sendmail.cf").content_string
    assert "DS[mx1.example.test]" in cf
