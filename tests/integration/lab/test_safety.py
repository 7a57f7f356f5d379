"""Bad input is refused before any host changes; a config sendmail rejects never
goes live; a failed restart is rolled back; check mode changes nothing; mail
submitted during a reconfiguration is delivered exactly once."""

import re
import subprocess
import time

import pytest

# (what is wrong, extra vars, words the error must contain)
BAD_INPUT = [
    ("access keyword ACCEPT", {"sendmail_host_access": [{"key": "Connect:198.51.100.9", "action": "ACCEPT"}]},
     ["sendmail_host_access[0]", "ACCEPT", "OK"]),
    ("access CIDR key", {"sendmail_host_access": [{"key": "198.51.100.0/24", "action": "RELAY"}]},
     ["sendmail_host_access[0]", "CIDR", "198.51.100"]),
    ("octet over 255", {"sendmail_group_access": [{"key": "Connect:198.51.300", "action": "REJECT"}]},
     ["sendmail_group_access[0]", "198.51.300"]),
    ("empty access key", {"sendmail_host_access": [{"key": "", "action": "REJECT"}]},
     ["sendmail_host_access[0]"]),
    ("alias name with a space", {"sendmail_host_aliases": [{"name": "sales team", "members": ["alice"]}]},
     ["sendmail_host_aliases[0]", "sales team"]),
    ("alias member with a colon", {"sendmail_host_aliases": [{"name": "x", "members": ["alice:bob"]}]},
     ["sendmail_host_aliases[0]", "alice:bob"]),
    ("virtusertable target is a program", {"sendmail_host_virtusertable": [
        {"address": "x@example.test", "target": "|/bin/sh"}]}, ["sendmail_host_virtusertable[0]", "|/bin/sh"]),
    ("listen address is a hostname", {"sendmail_listen": [{"name": "MTA", "port": 25, "addr": "mx1.example.test"}]},
     ["sendmail_listen[0]", "mx1.example.test"]),
    ("DNSBL zone is not a domain", {"sendmail_host_dnsbl": [{"zone": "not a zone"}]},
     ["sendmail_host_dnsbl[0]", "not a zone"]),
    ("m4 injection in a define", {"sendmail_defines": {"confFOO": "x')dnl\nFEATURE(`promiscuous_relay"}},
     ["sendmail_defines", "confFOO"]),
    ("m4 quote in a DNSBL message", {"sendmail_host_dnsbl": [{"zone": "bl.example.test", "message": "550 don't"}]},
     ["sendmail_host_dnsbl[0]", "'"]),
    ("open relay: RELAY for everyone", {"sendmail_host_access": [{"key": "0.0.0.0", "action": "RELAY"}]},
     ["sendmail_host_access[0]", "open relay", "sendmail_allow_open_relay"]),
    ("open relay: * in relay-domains", {"sendmail_host_relay_domains": ["*"]},
     ["sendmail_host_relay_domains[0]", "open relay"]),
    ("open relay: promiscuous_relay", {"sendmail_features": ["promiscuous_relay"]},
     ["sendmail_features", "promiscuous_relay", "open relay"]),
    ("fqdn not qualified", {"fqdn_name": "mx1"}, ["fqdn_name", "mx1"]),
]


@pytest.mark.parametrize("what,extra,words", BAD_INPUT, ids=[b[0] for b in BAD_INPUT])
def test_bad_input_fails_before_any_change(live, tmp_path, what, extra, words):
    before = live.hashes()
    before_client = live.hashes("client1")
    res = live.converge(extra=extra, check=False, tmp_path=tmp_path)
    assert res.returncode != 0, f"{what}: the run should fail"
    text = res.stdout + res.stderr
    for word in words:
        assert word in text, f"{what}: {word!r} not in the error:\n{text[-3000:]}"
    assert "Validate the settings of every mail host" in text
    assert not re.search(r"TASK \[mailops\.sendmail\.(sendmail|fqdn) : (Deploy|Write)", text), "a change task ran"
    assert live.hashes() == before, f"{what}: files on mx1 changed"
    assert live.hashes("client1") == before_client, f"{what}: files on client1 changed"


@pytest.mark.releases
def test_mc_line_that_sendmail_rejects_never_goes_live(live, tmp_path):
    before = live.hashes()
    res = live.converge(extra={"sendmail_mc_extra_lines": ["O NoSuchOption=1"]}, check=False, tmp_path=tmp_path)
    assert res.returncode != 0
    assert "unknown option name NoSuchOption" in res.stdout + res.stderr
    assert live.hashes() == before
    assert live.rcpt_codes("outsider", "mx1", "sales@example.test") == [250]


@pytest.mark.releases
def test_mc_line_that_m4_rejects_never_goes_live(live, tmp_path):
    before = live.hashes()
    res = live.converge(extra={"sendmail_mc_extra_lines": ["define(`SMART_HOST', `[unterminated"]},
                        check=False, tmp_path=tmp_path)
    assert res.returncode != 0
    assert "end of file in string" in res.stdout + res.stderr
    assert live.hashes() == before


@pytest.mark.releases
def test_sendmail_that_does_not_come_back_is_rolled_back(live, tmp_path):
    """A valid cf that cannot work here (it listens on an address the host does
    not have): after the restart sendmail does not listen as configured, so the
    previous sendmail.cf comes back, sendmail is restarted with it and the run
    fails; the next runs keep failing until the inventory is fixed."""
    cf_before = live.hashes()["/etc/mail/sendmail.cf"]
    absent_ip = f"198.51.100.{live.base + 30}"
    extra = {"sendmail_listen": [{"name": "MTA-v4", "port": 25, "addr": absent_ip}]}
    res = live.converge(extra=extra, check=False, tmp_path=tmp_path)
    assert res.returncode != 0
    text = res.stdout + res.stderr
    assert "sendmail failed its checks after the restart" in text and "the previous sendmail.cf was restored" in text, text[-3000:]
    assert "cannot bind" in text, "the error shows sendmail's own complaint from the mail log"
    assert live.hashes()["/etc/mail/sendmail.cf"] == cf_before
    assert live.sh("mx1", "grep -q 'Addr=" + absent_ip + "' /etc/mail/sendmail.cf.failed", check=False).returncode == 0
    assert live.rcpt_codes("outsider", "mx1", "sales@example.test") == [250]
    # the same inventory again: still refused, loudly, and still rolled back
    res = live.converge(extra=extra, check=False, tmp_path=tmp_path)
    assert res.returncode != 0 and "the previous sendmail.cf was restored" in res.stdout + res.stderr
    assert live.rcpt_codes("outsider", "mx1", "sales@example.test") == [250]
    # the inventory is fixed: the next run converges cleanly
    live.converge()
    daemon_options = live.sh("mx1", "grep '^O DaemonPortOptions' /etc/mail/sendmail.cf").stdout
    assert "Addr=0.0.0.0" in daemon_options and absent_ip not in daemon_options, daemon_options
    assert live.rcpt_codes("outsider", "mx1", "sales@example.test") == [250]


def test_restart_owed_by_a_cut_off_run_is_made_by_the_next(live, tmp_path):
    """A run cut off between the rebuild of sendmail.cf and the restart leaves the new cf on disk and the
    old daemon running (made here by a run with sendmail_service_enabled false, which rebuilds and does not
    restart). The next run sees a daemon older than its cf and restarts it; the run after that changes
    nothing."""
    pid = live.daemon_pid()
    listen = {"sendmail_listen": [{"name": "MTA-v4", "port": 25, "addr": "0.0.0.0"},
                                  {"name": "ALT", "port": 2526, "addr": live.ip("mx1")}]}
    listening = "ss -ltnH 'sport = :2526'"
    try:
        res = live.converge(extra=dict(listen, sendmail_service_enabled=False), check=False, tmp_path=tmp_path)
        assert res.returncode == 0, res.stdout[-3000:]
        assert "Name=ALT" in live.sh("mx1", "grep '^O DaemonPortOptions' /etc/mail/sendmail.cf").stdout
        assert live.daemon_pid() == pid and live.sh("mx1", listening).stdout == "", "no restart owed yet"
        res = live.converge(extra=listen, check=False, tmp_path=tmp_path)
        assert res.returncode == 0, res.stdout[-3000:]
        assert live.daemon_pid() != pid and live.sh("mx1", listening).stdout != ""
        res = live.converge(extra=listen, check=False, tmp_path=tmp_path)
        assert re.search(r"mx1\s*: ok=\d+\s+changed=0 ", res.stdout), res.stdout[-3000:]
    finally:
        res = live.converge(check=False)
        assert res.returncode == 0, res.stdout[-3000:]
    assert live.sh("mx1", listening).stdout == ""


@pytest.mark.releases
def test_check_diff_shows_changes_and_changes_nothing(live, tmp_path):
    before = live.hashes()
    pid = live.daemon_pid()
    vt = live.host_vars("mx1")["sendmail_host_virtusertable"]
    extra = {"sendmail_host_virtusertable": vt + [{"address": "preview@example.test", "target": "carol"}],
             "sendmail_listen": [{"name": "MTA-v4", "port": 25, "addr": "0.0.0.0"},
                                 {"name": "ALT", "port": 2526, "addr": live.ip("mx1")}]}
    res = live.converge("--check", "--diff", extra=extra, tmp_path=tmp_path)
    assert "+preview@example.test\tcarol" in res.stdout, res.stdout[-4000:]
    assert "+DAEMON_OPTIONS(`Family=inet, Name=ALT, Port=2526" in res.stdout
    assert live.hashes() == before
    assert live.daemon_pid() == pid
    assert live.rcpt_codes("outsider", "mx1", "preview@example.test") == [553]


def test_authinfo_passwords_never_reach_the_output(live, tmp_path):
    """An AuthInfo entry (a smart host's password) goes into the access map, which stays root's
    0600, while neither --check --diff nor a real run with --diff -v prints the password."""
    secret = "pw-" + live.token("s")
    access = live.host_vars("mx1")["sendmail_host_access"] + [
        {"key": "AuthInfo:relay.example.test", "action": f'"U:mailer" "P:{secret}" "M:PLAIN LOGIN"'}]
    extra = {"sendmail_host_access": access}
    try:
        preview = live.converge("--check", "--diff", "-v", extra=extra, tmp_path=tmp_path)
        run = live.converge("--diff", "-v", extra=extra, tmp_path=tmp_path)
        for res in (preview, run):
            assert secret not in res.stdout + res.stderr
        assert "censored" in run.stdout
        assert live.sh("mx1", f"grep -c -- '{secret}' /etc/mail/access").stdout.strip() == "1"
        assert live.sh("mx1", "stat -c '%U %a' /etc/mail/access").stdout.split() == ["root", "600"]
    finally:
        gone = live.converge("--diff", "-v")
    assert secret not in gone.stdout + gone.stderr
    assert live.sh("mx1", f"grep -c -- '{secret}' /etc/mail/access", check=False).stdout.strip() == "0"


@pytest.mark.releases
def test_mail_in_flight_during_reconfiguration_is_delivered_once(live, tmp_path):
    n = 200
    token = live.token("flight")
    loop = (f"for i in $(seq 1 {n}); do printf 'To: sales@example.test\\nSubject: %s\\n\\n%s\\n' "
            f"{token}-$i {token}-$i | {live.SENDMAIL} -oi -t; done; echo done > /tmp/{token}.done")
    subprocess.run(["podman", "exec", "-d", live.container("client1"), "sh", "-c", loop], env=live.env, check=True)
    vt = live.host_vars("mx1")["sendmail_host_virtusertable"]
    extra = {"sendmail_host_virtusertable": vt + [{"address": "flight@example.test", "target": "alice"}],
             "sendmail_host_access": live.host_vars("mx1")["sendmail_host_access"] + [
                 {"key": "From:flight@bad.example.test", "action": "REJECT"}],
             "sendmail_defines": {**live.group_vars("all")["sendmail_defines"], "confPRIVACY_FLAGS": "goaway"}}
    live.converge(extra=extra, tmp_path=tmp_path)   # maps + cf change: rebuild and restart while mail flows
    live.converge()                                 # and back again: a second restart
    deadline = time.monotonic() + 180
    while live.sh("client1", f"test -f /tmp/{token}.done", check=False).returncode != 0:
        assert time.monotonic() < deadline, "the submitting loop did not finish"
        time.sleep(1)
    counts = {}
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        live.flush("client1")
        body = live.sh("mx1", f"grep -x -- '{token}-[0-9]*' /var/mail/alice || true", check=False).stdout.split()
        counts = {}
        for line in body:
            counts[line] = counts.get(line, 0) + 1
        if len(counts) >= n:
            break
        time.sleep(2)
    missing = [i for i in range(1, n + 1) if f"{token}-{i}" not in counts]
    twice = [k for k, v in counts.items() if v > 1]
    if missing:
        # What became of them, for the report: the client's queue and both mail logs' lines of the first one.
        first = f"{token}-{missing[0]}"
        queue = live.sh("client1", "mailq", check=False).stdout
        logs = {host: live.sh(host, f"grep -F -e '{first}' -e 'stat=' /var/log/mail.log | tail -n 40", check=False).stdout
                for host in ("client1", "mx1")}
        raise AssertionError(f"{len(missing)} messages not delivered, e.g. {missing[:5]}\nclient1 mailq:\n{queue}\n"
                             f"client1 log:\n{logs['client1']}\nmx1 log:\n{logs['mx1']}")
    assert not twice, f"delivered more than once: {twice[:5]}"
    # bounces would go to the client's root, forwarded to admin@example.test on mx1
    assert live.mailbox_count("mx1", "admin", f"{token}-1") == 0
    assert "is empty" in live.sh("client1", "mailq").stdout


@pytest.mark.releases
def test_full_etc_mail_and_failed_makemap_keep_the_old_maps(live, tmp_path):
    """/etc/mail on a tmpfs with a few KB left: the new access source, its backup and
    makemap's new .db do not all fit. The run fails naming the cause, the old access.db
    stays in place and keeps answering; once there is room again, the next run writes
    the source and rebuilds the map."""
    setup = """set -e
    cp -a /etc/mail /root/etc-mail-before
    used=$(du -sk /etc/mail | cut -f1)
    mount -t tmpfs -o size=$((used + 400))k tmpfs /etc/mail
    cp -a /root/etc-mail-before/. /etc/mail/
    free=$(df -k --output=avail /etc/mail | tail -1)
    dd if=/dev/zero of=/etc/mail/filler bs=1k count=$((free - 6)) 2>/dev/null
    df -k --output=avail /etc/mail | tail -1"""
    free = int(live.sh("mx1", setup).stdout.split()[-1])
    assert 0 < free < 16, free
    try:
        before = live.hashes()
        hv = live.host_vars("mx1")
        extra = {"sendmail_host_access": hv["sendmail_host_access"] + [
            {"key": f"Connect:{live.ip('outsider')}", "action": 'ERROR:"550 5.7.1 Disk test"'}]}
        res = live.converge(extra=extra, check=False, tmp_path=tmp_path)
        assert res.returncode != 0
        assert "No space left on device" in res.stdout + res.stderr, res.stdout[-3000:]
        after = live.hashes()
        assert after["/etc/mail/access.db"] == before["/etc/mail/access.db"], "access.db must not be touched"
        assert live.rcpt_codes("outsider", "mx1", "sales@example.test") == [250], "old map still answers"
        # room again: the same inventory converges, rebuilding the map its source already holds
        live.sh("mx1", "rm -f /etc/mail/filler")
        live.converge(extra=extra, tmp_path=tmp_path)
        out = live.smtp("outsider", "mx1", "sales@example.test")
        assert out["rcpt"][0][0] == 550 and "Disk test" in out["rcpt"][0][1], out
    finally:
        live.sh("mx1", "umount /etc/mail; rm -rf /root/etc-mail-before", check=False)
    live.converge()
    assert live.rcpt_codes("outsider", "mx1", "sales@example.test") == [250]
