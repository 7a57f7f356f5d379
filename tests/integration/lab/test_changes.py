"""Change single entries in the inventory, converge, and watch the new behaviour
over SMTP; only what was fed by a changed source is rebuilt, and only a changed
sendmail.mc restarts sendmail."""

MAPS = {"/etc/mail/virtusertable", "/etc/mail/virtusertable.db", "/etc/mail/access", "/etc/mail/access.db",
        "/etc/aliases", "/etc/aliases.db"}


def _changed(before: dict, after: dict) -> set:
    return {path for path in after if before.get(path) != after.get(path)}


def test_converge_is_idempotent(live):
    res = live.converge()
    assert "changed=0" in res.stdout.split("PLAY RECAP")[-1], res.stdout[-3000:]


def test_map_entries_change_rebuild_only_their_maps(live, tmp_path):
    hv = live.host_vars("mx1")
    assert live.rcpt_codes("outsider", "mx1", "newbie@example.test") == [553]
    assert live.rcpt_codes("outsider", "mx1", "sales@example.test") == [250]
    before = live.mtimes()
    pid = live.daemon_pid()
    extra = {
        "sendmail_host_virtusertable": hv["sendmail_host_virtusertable"] + [
            {"address": "newbie@example.test", "target": "bob"},
            {"address": "oncall@example.test", "target": "oncall"}],
        # drop the host layer's REJECT of the spammer, add an ERROR for the outsider
        "sendmail_host_access": [e for e in hv["sendmail_host_access"] if "spammer" not in e["key"]] + [
            {"key": f"Connect:{live.ip('outsider')}", "action": 'ERROR:"550 5.7.1 Outsider blocked"'}],
        "sendmail_host_aliases": hv["sendmail_host_aliases"] + [{"name": "oncall", "members": [["bob"], "carol"]}],
    }
    live.converge(extra=extra, tmp_path=tmp_path)

    changed = _changed(before, live.mtimes())
    assert changed == MAPS, changed
    assert live.daemon_pid() == pid, "map changes need no restart"
    # virtusertable: the new address is accepted, from a host access does not block
    assert live.rcpt_codes("spammer", "mx1", "newbie@example.test") == [250]
    # access: the outsider is now refused with the configured text
    out = live.smtp("outsider", "mx1", "sales@example.test")
    assert out["rcpt"][0][0] == 550 and "Outsider blocked" in out["rcpt"][0][1], out
    # aliases: the new list (nested members) delivers to both members
    token = live.token("oncall")
    out = live.smtp("client1", "mx1", "oncall@example.test", body=f"Subject: {token}\r\n\r\n{token}\r\n")
    assert out["data"][0] == 250, out
    assert live.wait_mailbox("mx1", "bob", token) == 1
    assert live.wait_mailbox("mx1", "carol", token) == 1

    # and back: the inventory as it is
    before = live.mtimes()
    live.converge()
    assert _changed(before, live.mtimes()) == MAPS
    assert live.rcpt_codes("client1", "mx1", ["newbie@example.test", "oncall@example.test"]) == [553, 553]
    assert live.rcpt_codes("outsider", "mx1", "sales@example.test") == [250]
    assert live.rcpt_codes("spammer", "mx1", "sales@example.test") != [250]


def test_mc_change_rebuilds_cf_and_restarts(live, tmp_path):
    before = live.mtimes()
    pid = live.daemon_pid()
    extra = {"sendmail_listen": [{"name": "MTA-v4", "port": 25, "addr": "0.0.0.0"},
                                 {"name": "ALT", "port": 2525, "addr": live.ip("mx1")}]}
    live.converge(extra=extra, tmp_path=tmp_path)
    assert live.rcpt_codes("outsider", "mx1", "sales@example.test", port=2525) == [250]
    changed = _changed(before, live.mtimes())
    assert changed == {"/etc/mail/sendmail.mc", "/etc/mail/sendmail.cf"}, changed
    assert live.daemon_pid() != pid
    live.converge()
    out = live.smtp("outsider", "mx1", "sales@example.test", port=2525)
    assert "error" in out and out["connect"] is None, out
