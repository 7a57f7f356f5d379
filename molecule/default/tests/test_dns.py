"""DNS verification of the fleet against the lab's NSD: it passes as converged,
and one broken record makes it fail with a message naming that record."""

# NSD renames its processes ("nsd: main", "nsd: xfrd"); a survivor still on port
# 53 makes the new server exit 1, so wait for both names to be gone.
NSD = "'^(/usr/sbin/)?nsd[: ]'"
RESTART_NSD = (f"pkill -f {NSD} || true; for i in $(seq 100); do pgrep -f {NSD} >/dev/null "
               "|| break; sleep 0.1; done; /usr/sbin/nsd -c /etc/nsd/nsd.conf")


def test_dns_verification_passes_for_every_server(lab):
    res = lab.playbook("playbooks/verify_dns.yml")
    for mx in ("mx1", "mx2"):
        assert f"DNS of {mx}.example.test ({lab.ip(mx)}) verified" in res.stdout


def test_broken_a_record_fails_with_the_record_named(lab):
    wrong = lab.ip("spammer")
    try:
        # Inside the try: a failed restart must still give the lab its DNS back.
        lab.sh("ns1", f"sed -i 's/^mx2\\tIN A .*/mx2\\tIN A {wrong}/' /etc/nsd/example.test.zone && {RESTART_NSD}")
        res = lab.playbook("playbooks/verify_dns.yml", check=False)
        assert res.returncode != 0
        assert f"mx2.example.test A: expected {lab.ip('mx2')}, found {wrong}" in res.stdout, res.stdout[-3000:]
        assert f"DNS of mx1.example.test ({lab.ip('mx1')}) verified" in res.stdout
    finally:
        lab.playbook("lab/prepare.yml", "--limit", "ns1")
    lab.playbook("playbooks/verify_dns.yml")
