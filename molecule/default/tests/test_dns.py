"""DNS verification of the fleet against the lab's NSD: it passes as converged,
and one broken record makes it fail with a message naming that record."""

import json
import os
import re
import subprocess

import yaml

# NSD renames its processes ("nsd: main", "nsd: xfrd"); a survivor still on port
# 53 makes the new server exit 1, so wait for both names to be gone.
NSD = "'^(/usr/sbin/)?nsd[: ]'"
RESTART_NSD = (f"pkill -f {NSD} || true; for i in $(seq 100); do pgrep -f {NSD} >/dev/null "
               "|| break; sleep 0.1; done; /usr/sbin/nsd -c /etc/nsd/nsd.conf")
DNSBL_ZONE = "/etc/nsd/dnsbl.example.test.zone"


def _rows(stdout, server):
    """The rows of a server's summary table in a playbook's output: [check, item, result, reason]."""
    # molecule's verify forces colour (ANSIBLE_FORCE_COLOR): drop the escape codes before reading the lines
    lines = re.sub(r"\x1b\[[0-9;]*m", "", stdout).splitlines()
    head = next(i for i, line in enumerate(lines) if f'"DNS of {server}.example.test (' in line)
    rows = []
    for line in lines[head + 2:]:
        line = line.strip()
        if not line.startswith('"'):
            break
        rows.append(json.loads(line.rstrip(",")).split(None, 3))
    return lines[head], rows


def _run_json(lab, plays, tmp_path):
    """A playbook of the test's own against the lab, with the JSON callback: {task name: {host: result}}."""
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(yaml.safe_dump(plays))
    res = subprocess.run(["ansible-playbook", str(playbook)], capture_output=True, text=True, timeout=600,
                         env=dict(lab.env, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json"),
                         cwd=os.path.dirname(lab.env["ANSIBLE_CONFIG"]), check=False)
    out = json.loads(res.stdout)
    return {t["task"]["name"]: t["hosts"] for t in out["plays"][0]["tasks"]}


def test_dns_verification_passes_for_every_server(lab):
    res = lab.playbook("playbooks/verify_dns.yml")
    for mx in ("mx1", "mx2"):
        head, rows = _rows(res.stdout, mx)
        assert f"DNS of {mx}.example.test ({lab.ip(mx)}): " in head and " 0 failed" in head, head
        # all green: every row passes, but for the checks the lab does not ask for
        assert {r[2] for r in rows} <= {"pass", "skipped"}, rows
        assert [r[0] for r in rows if r[2] == "pass"][:3] == ["A", "MX", "PTR"], rows
        assert {r[0] for r in rows if r[2] == "pass"} >= {"SPF", "DMARC", "DNSBL"}, rows
    # mx1 signs for example.test (the dkim role): its published key is the one it signs with
    head, rows = _rows(res.stdout, "mx1")
    assert ["DKIM", "lab._domainkey.example.test", "pass"] in [r[:3] for r in rows], rows


def test_spf_permits_the_servers_and_fails_the_outsider(lab, tmp_path):
    """The lab's SPF record ("v=spf1 mx -all") evaluated for a server's address and the outsider's, in the
    single module and in the one-call check."""
    spf = {"domains": ["example.test"], "nameservers": "{{ dns_check_nameservers }}"}
    plays = [{"name": "SPF", "hosts": "mx1", "gather_facts": False, "tasks": [
        {"name": "server", "mailops.sendmail.spf_verify": dict(spf, addresses=["{{ fqdn_ip }}"]),
         "delegate_to": "localhost"},
        {"name": "outsider", "mailops.sendmail.spf_verify": dict(spf, addresses=["{{ hostvars.outsider.fqdn_ip }}"]),
         "delegate_to": "localhost", "ignore_errors": True},
        {"name": "outsider, one call", "delegate_to": "localhost", "ignore_errors": True,
         "mailops.sendmail.mail_dns_check": {
             "name": "{{ hostvars.outsider.fqdn_name }}", "addresses": ["{{ hostvars.outsider.fqdn_ip }}"],
             "a": {}, "spf": {"domains": ["example.test", "other.test"]},
             "nameservers": "{{ dns_check_nameservers }}"}},
    ]}]
    tasks = _run_json(lab, plays, tmp_path)
    server = tasks["server"]["mx1"]
    assert server.get("failed") is not True, server["msg"]
    assert server["checks"][0]["results"] == {lab.ip("mx1"): "pass"}
    assert server["msg"] == (f'example.test SPF: {lab.ip("mx1")} pass as expected '
                             '(mx matched in "v=spf1 mx -all" at example.test)')
    outsider = tasks["outsider"]["mx1"]
    assert outsider["failed"] is True
    assert outsider["msg"] == (f'example.test SPF for {lab.ip("outsider")}: expected pass, found fail '
                               '(-all matched in "v=spf1 mx -all" at example.test)')
    call = tasks["outsider, one call"]["mx1"]
    assert call["failed"] is True
    assert [(r["check"], r["item"], r["result"]) for r in call["summary"]["checks"]] == [
        ("A", "outsider.example.test", "pass"), ("MX", "-", "skipped"), ("PTR", "-", "skipped"),
        ("SPF", "example.test", "fail"), ("SPF", "other.test", "fail"),
        ("DKIM", "-", "skipped"), ("DMARC", "-", "skipped"), ("DNSBL", "-", "skipped")]
    assert call["summary"]["checks"][4]["reason"] == (
        f'other.test SPF for {lab.ip("outsider")}: expected pass, found fail '
        '(-all matched in "v=spf1 mx -all" at other.test)')


def test_a_listed_server_is_named_in_the_summary_with_code_and_reason(lab, tmp_path):
    """mx2's address put on the lab DNSBL: its summary names the zone, the code and the TXT reason, in the
    table, the fact's JSON file and the failure; mx1 stays green."""
    reversed_ip = ".".join(reversed(lab.ip("mx2").split(".")))
    summary_path = str(tmp_path / "dns-{{ inventory_hostname }}.json")
    try:
        # Inside the try: a failed restart must still give the lab its DNS back.
        lab.sh("ns1", f"printf '%s\\tIN A 127.0.0.4\\n%s\\tIN TXT \"test listing of mx2\"\\n' {reversed_ip} "
                      f"{reversed_ip} >> {DNSBL_ZONE} && {RESTART_NSD}")
        res = lab.playbook("playbooks/verify_dns.yml", "-e", json.dumps({"dns_check_summary_path": summary_path}),
                           check=False)
        assert res.returncode != 0
        head, rows = _rows(res.stdout, "mx2")
        assert " 1 failed" in head, head
        expected = (f"{reversed_ip}.dnsbl.example.test A: expected {lab.ip('mx2')} not listed on dnsbl.example.test, "
                    f'found {lab.ip("mx2")} listed: 127.0.0.4 (TXT: "test listing of mx2")')
        assert ["DNSBL", f"{reversed_ip}.dnsbl.example.test", "fail", expected] in rows, rows
        written = json.loads((tmp_path / "dns-mx2.json").read_text())
        assert written["failed"] == 1
        assert {"check": "DNSBL", "item": f"{reversed_ip}.dnsbl.example.test", "result": "fail",
                "reason": expected} in written["checks"]
        assert "fatal: [mx2]" in res.stdout and "fatal: [mx1]" not in res.stdout
        _head, rows1 = _rows(res.stdout, "mx1")
        assert {r[2] for r in rows1} <= {"pass", "skipped"}, rows1
    finally:
        lab.playbook("lab/prepare.yml", "--limit", "ns1")
    lab.playbook("playbooks/verify_dns.yml")


def test_broken_a_record_fails_with_the_record_named(lab):
    wrong = lab.ip("spammer")
    try:
        # Inside the try: a failed restart must still give the lab its DNS back.
        lab.sh("ns1", f"sed -i 's/^mx2\\tIN A .*/mx2\\tIN A {wrong}/' /etc/nsd/example.test.zone && {RESTART_NSD}")
        res = lab.playbook("playbooks/verify_dns.yml", check=False)
        assert res.returncode != 0
        assert f"mx2.example.test A: expected {lab.ip('mx2')}, found {wrong}" in res.stdout, res.stdout[-3000:]
        head, _rows1 = _rows(res.stdout, "mx1")
        assert f"DNS of mx1.example.test ({lab.ip('mx1')}): " in head and " 0 failed" in head, head
    finally:
        lab.playbook("lab/prepare.yml", "--limit", "ns1")
    lab.playbook("playbooks/verify_dns.yml")
