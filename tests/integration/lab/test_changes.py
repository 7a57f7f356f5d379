"""Change one thing in the inventory, converge, and watch the new behaviour over
SMTP; only what was fed by the changed source is rebuilt."""


def _changed(before: dict, after: dict) -> set:
    return {path for path in after if before.get(path) != after.get(path)}


def test_first_converge_is_idempotent(live):
    res = live.converge()
    assert "changed=0" in res.stdout.split("PLAY RECAP")[-1], res.stdout[-3000:]


def test_virtusertable_entry_change_rebuilds_only_that_map(live, tmp_path):
    assert live.rcpt_codes("outsider", "mx1", "newbie@example.test") == [553]
    before = live.mtimes()
    pid = live.daemon_pid()
    vt = live.host_vars("mx1")["sendmail_host_virtusertable"]
    live.converge(extra={"sendmail_host_virtusertable": [{"address": "newbie@example.test", "target": "bob"}] + vt},
                  tmp_path=tmp_path)
    assert live.rcpt_codes("outsider", "mx1", "newbie@example.test") == [250]
    changed = _changed(before, live.mtimes())
    assert changed == {"/etc/mail/virtusertable", "/etc/mail/virtusertable.db"}, changed
    assert live.daemon_pid() == pid, "a map change needs no restart"
    token = live.token("newbie")
    out = live.smtp("outsider", "mx1", "newbie@example.test", body=f"Subject: {token}\r\n\r\n{token}\r\n")
    assert out["data"][0] == 250
    assert live.wait_mailbox("mx1", "bob", token) == 1
    # and back: the entry leaves the map again
    live.converge()
    assert live.rcpt_codes("outsider", "mx1", "newbie@example.test") == [553]


def test_access_entry_change_takes_effect(live, tmp_path):
    assert live.rcpt_codes("outsider", "mx1", "sales@example.test") == [250]
    access = live.host_vars("mx1")["sendmail_host_access"]
    extra = {"sendmail_host_access": access + [{"key": f"Connect:{live.ip('outsider')}",
                                                 "action": 'ERROR:"550 5.7.1 Outsider blocked"'}]}
    before = live.mtimes()
    live.converge(extra=extra, tmp_path=tmp_path)
    out = live.smtp("outsider", "mx1", "sales@example.test")
    assert out["rcpt"][0][0] == 550 and "Outsider blocked" in out["rcpt"][0][1], out
    assert _changed(before, live.mtimes()) == {"/etc/mail/access", "/etc/mail/access.db"}
    live.converge()
    assert live.rcpt_codes("outsider", "mx1", "sales@example.test") == [250]


def test_alias_change_runs_newaliases(live, tmp_path):
    token = live.token("alias")
    extra = {"sendmail_host_aliases": live.host_vars("mx1")["sendmail_host_aliases"] +
             [{"name": "oncall", "members": [["bob"], "carol"]}]}
    live.converge(extra=extra, tmp_path=tmp_path)
    out = live.smtp("client1", "mx1", "oncall@example.test", body=f"Subject: {token}\r\n\r\n{token}\r\n")
    assert out["data"][0] == 250, out
    assert live.wait_mailbox("mx1", "bob", token) == 1
    assert live.wait_mailbox("mx1", "carol", token) == 1
    live.converge()
    assert live.rcpt_codes("client1", "mx1", "oncall@example.test") != [250]


def test_mc_change_rebuilds_cf_and_restarts(live, tmp_path):
    before = live.mtimes()
    pid = live.daemon_pid()
    extra = {"sendmail_listen": [{"name": "MTA-v4", "port": 25, "addr": "0.0.0.0"},
                                 {"name": "ALT", "port": 2525, "addr": live.ip("mx1")}]}
    live.converge(extra=extra, tmp_path=tmp_path)
    assert live.rcpt_codes("outsider", "mx1", "sales@example.test", port=2525) == [250]
    changed = _changed(before, live.mtimes())
    assert {"/etc/mail/sendmail.mc", "/etc/mail/sendmail.cf"} <= changed
    assert "/etc/mail/access.db" not in changed and "/etc/aliases.db" not in changed
    assert live.daemon_pid() != pid
    live.converge()
    out = live.smtp("outsider", "mx1", "sales@example.test", port=2525)
    assert "error" in out and out["connect"] is None, out
