"""The role's relay self-probe (issue #20) on the live lab: it passes only on sendmail's
"550 5.7.1 ... Relaying denied", fails the converge when mx1 relays for the probing host,
and fails as inconclusive when the refusal is about something else. Each test leaves mx1
as the lab's inventory has it."""

import json
import subprocess

import yaml

from lab import ROOT

PROBE_TASK = "Probe for an open relay from an untrusted host"


def _run(live, cmd):
    """An ansible(-playbook) command against the lab with the json callback: (rc, parsed output)."""
    env = dict(live.env, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
               ANSIBLE_CALLBACK_RESULT_FORMAT="json")
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=900, check=False)
    try:
        return res.returncode, json.loads(res.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"{cmd[0]} printed no JSON ({res.returncode}):\n"
                             f"{res.stdout[-3000:]}\n{res.stderr[-3000:]}")


def converge(live, tmp_path, extra=None, inventory=None):
    """site.yml on mx1 as LiveLab.converge runs it; (rc, the probe task's result on mx1 or None, failed task names)."""
    cmd = ["ansible-playbook", str(ROOT / "playbooks" / "site.yml"), "--limit", "mx1"]
    if inventory is not None:
        path = tmp_path / f"inventory-{live.token('inv')}.yml"
        path.write_text(yaml.safe_dump(inventory))
        cmd += ["-i", str(ROOT / "lab" / "inventory"), "-i", str(path)]
    if extra is not None:
        path = tmp_path / f"extra-{live.token('vars')}.yml"
        path.write_text(yaml.safe_dump(extra))
        cmd += ["-e", f"@{path}"]
    rc, out = _run(live, cmd)
    probe, failed = None, []
    for play in out["plays"]:
        for task in play["tasks"]:
            result = task["hosts"].get("mx1", {})
            if task["task"]["name"].endswith(PROBE_TASK):
                probe = result
            if result.get("failed"):
                failed.append(task["task"]["name"])
    return rc, probe, failed


def probe_from_outsider(live, **args):
    """The module alone, run on the outsider against mx1: its result."""
    args = {"host": live.ip("mx1"), "rcpt_to": ["relay-probe@relay-probe.invalid"], **args}
    _rc, out = _run(live, ["ansible", "outsider", "-m", "mailops.sendmail.smtp_probe", "-a", json.dumps(args)])
    return out["plays"][0]["tasks"][0]["hosts"]["outsider"]


def test_probe_passes_on_the_relay_denial(live, tmp_path):
    rc, probe, failed = converge(live, tmp_path)
    assert rc == 0 and not failed, failed
    assert probe is not None and not probe.get("skipped"), probe
    assert probe["verdict"] == "relay_denied", probe
    assert probe["reason"].startswith("relay denied")
    assert probe["mail_from"]["code"] == 250 and "<>" in probe["mail_from"]["text"], "the null sender"
    (rcpt,) = probe["recipients"]
    assert (rcpt["code"], rcpt["status"], rcpt["relay_denied"]) == (550, "5.7.1", True), rcpt
    assert "Relaying denied" in rcpt["text"]


def test_probe_fails_the_converge_when_the_server_relays_for_the_probe_host(live, tmp_path):
    """Issue #20 as seen in production: a RELAY entry for the probing host, and a probing host whose
    domain does not resolve. A probe with that host's domain as sender was refused on the sender
    (553 5.1.8) and counted that as "not a relay"; the null sender reaches the relay decision."""
    before = live.hashes()
    outsider = live.ip("outsider")
    extra = {"sendmail_host_access": live.host_vars("mx1")["sendmail_host_access"] + [
        {"key": f"Connect:{outsider}", "action": "RELAY"}]}
    # The outsider's name in a domain that does not exist in the lab DNS (this run only).
    inventory = {"all": {"hosts": {"outsider": {"fqdn_name": "outsider.gone.example.test"}}}}
    try:
        rc, probe, failed = converge(live, tmp_path, extra=extra, inventory=inventory)
        assert rc != 0, "the converge must fail: mx1 relays for the outsider"
        assert [name for name in failed if not name.endswith(PROBE_TASK)] == [], failed
        assert probe["failed"] and probe["verdict"] == "accepted", probe
        assert probe["msg"].startswith(f"relayed: {live.ip('mx1')}:25 accepted recipients from this host (open relay)")
        assert probe["recipients"][0]["code"] == 250, probe

        # The server does relay for the outsider now; a sender in the outsider's (missing) domain is
        # refused on the sender, not on relaying:
        out = live.smtp("outsider", "mx1", "relay-probe@relay-probe.invalid", mail_from="<>")
        assert out["mail"][0] == 250 and out["rcpt"][0][0] == 250, out
        out = live.smtp("outsider", "mx1", "relay-probe@relay-probe.invalid",
                        mail_from="relay-probe@outsider.gone.example.test")
        assert out["rcpt"][0][0] == 553 and out["rcpt"][0][1].startswith("5.1.8"), out
        # ... which the strict probe reports as inconclusive, with the server's words, and fails on,
        res = probe_from_outsider(live, mail_from="relay-probe@outsider.gone.example.test",
                                  expect="relay_denied")
        assert res["failed"] and res["verdict"] == "refused", res
        assert res["msg"].startswith("inconclusive: "), res["msg"]
        assert "553 5.1.8" in res["msg"] and "Domain of sender address" in res["msg"], res["msg"]
        # ... where expect=reject (the role's probe before issue #20) calls it a pass.
        res = probe_from_outsider(live, mail_from="relay-probe@outsider.gone.example.test",
                                  expect="reject")
        assert not res.get("failed") and res["recipients"][0]["code"] == 553, res
    finally:
        live.converge()
    # access.db was rebuilt twice: compare the sources (a hash map's bytes differ per build) and the behaviour.
    assert {k: v for k, v in live.hashes().items() if not k.endswith(".db")} == {
        k: v for k, v in before.items() if not k.endswith(".db")}
    assert live.rcpt_codes("outsider", "mx1", "relay-probe@relay-probe.invalid", mail_from="<>") == [550]


def test_probe_refused_for_another_reason_is_inconclusive(live, tmp_path):
    """A probe recipient in mx1's own domain is refused as an unknown user (virtusertable
    error:nouser, 553 5.3.0): that says nothing about relaying, so the converge fails."""
    before = live.hashes()
    rc, probe, failed = converge(live, tmp_path, extra={"sendmail_relay_probe_recipient": "no-such-user@example.test"})
    assert rc != 0 and [name for name in failed if not name.endswith(PROBE_TASK)] == [], failed
    assert probe["failed"] and probe["verdict"] == "refused", probe
    assert probe["msg"].startswith("inconclusive: "), probe["msg"]
    assert "553 5.3.0 <no-such-user@example.test>... User unknown" in probe["msg"], probe["msg"]
    assert live.hashes() == before, "only the probe differed: nothing on mx1 changed"
