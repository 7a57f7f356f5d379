"""Change single entries in the inventory, converge, and watch the new behaviour
over SMTP; only what was fed by a changed source is rebuilt, and only a changed
sendmail.mc restarts sendmail."""

import json

import pytest

# Map builds, the cf rebuild and restart, the host read: run on every Debian release (tests/run.sh).
pytestmark = pytest.mark.releases

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


def _task_results(stdout: str) -> dict:
    """{task name: the result lines under it} of an ansible-playbook run."""
    tasks, name = {}, None
    for line in stdout.splitlines():
        if line.startswith(("TASK [", "RUNNING HANDLER [")):
            name = line.split("[", 1)[1].rsplit("]", 1)[0]
            tasks.setdefault(name, [])
        elif name and line.strip():
            tasks[name].append(line)
    return tasks


def test_noop_run_reads_the_host_once_and_sends_no_file(live):
    """With everything in place, each role reads the host once (host_state) and its install_files
    task compares on the controller and sends nothing: no file, no rebuild, no call to the host."""
    live.converge()
    tasks = _task_results(live.converge("-v").stdout)
    for task in ("mailops.sendmail.fqdn : Write the localhost and FQDN lines at the top of /etc/hosts",
                 "mailops.sendmail.sendmail : Write sendmail.mc, the maps, the class files and the "
                 "\":include:\" list files that differ"):
        lines = tasks.get(task) or []
        assert len(lines) == 1 and lines[0].startswith("ok: [mx1] => "), (task, lines)
        result = json.loads(lines[0].split(" => ", 1)[1])
        assert (result["changed"], result["sent"], result["changed_ids"]) == (False, [], []), (task, result)
    assert not [t for t in tasks if "Restart sendmail" in t and any(not x.startswith("skipping:") for x in tasks[t])]
    read_state = "mailops.sendmail.sendmail : Read the state of the host (files, packages, daemon, sockets)"
    assert any(line.startswith("ok:") for line in tasks[read_state])


def test_local_edits_are_put_back(live):
    """A hand edit (content or mode) makes the file differ from what the role read: it is rewritten.
    The role keeps a file's own mode, less the bits sendmail refuses (group or other write)."""
    def sources():
        return {path: digest for path, digest in live.hashes().items() if not path.endswith(".db")}

    before = sources()
    mtimes = live.mtimes()
    mode = live.sh("mx1", "stat -c %a /etc/mail/access").stdout.strip()
    live.sh("mx1", "chmod 0664 /etc/mail/access && echo 'stray: root' >> /etc/aliases")
    res = live.converge()
    assert sources() == before
    assert live.sh("mx1", "stat -c %a /etc/mail/access").stdout.strip() == "644"
    live.sh("mx1", f"chmod {mode} /etc/mail/access")
    # the edited aliases were rebuilt from the restored file
    assert live.mtimes()["/etc/aliases.db"] != mtimes["/etc/aliases.db"]
    assert live.sh("mx1", "/usr/sbin/sendmail -bv stray 2>&1", check=False).stdout.count("deliverable") == 0
    assert "changed=0" not in res.stdout.split("PLAY RECAP")[-1]


def test_fqdn_ip_defaults_to_the_default_ipv4_address(live, tmp_path):
    """Without fqdn_ip in the inventory, site.yml gathers the network facts the default needs:
    /etc/hosts keeps mx1's own address (a fallback to 127.0.1.1 would show up as a change)."""
    import shutil

    import yaml
    from lab import ROOT

    inventory = tmp_path / "inventory"
    shutil.copytree(ROOT / "lab" / "inventory", inventory)
    all_vars = inventory / "group_vars" / "all.yml"
    lines = all_vars.read_text().splitlines(keepends=True)
    setting = [line for line in lines if line.startswith("fqdn_ip:")]
    assert len(setting) == 1
    all_vars.write_text("".join(line for line in lines if line not in setting))
    # every other host keeps its address (the servers' policy names the clients' fqdn_ip)
    hosts = yaml.safe_load((inventory / "hosts.yml").read_text())
    names = [h for group in hosts["all"]["children"].values() for h in group.get("hosts", {})]
    (inventory / "host_vars").mkdir(exist_ok=True)
    for name in names:
        if name != "mx1":
            with open(inventory / "host_vars" / f"{name}.yml", "a") as handle:
                handle.write("\n" + setting[0])
    res = live.playbook("playbooks/site.yml", "-i", str(inventory), "--limit", "mx1", "--check", "--diff")
    assert "changed=0" in res.stdout.split("PLAY RECAP")[-1], res.stdout[-4000:]
    assert f"{live.ip('mx1')}\tmx1.example.test mx1" in live.sh("mx1", "cat /etc/hosts").stdout
