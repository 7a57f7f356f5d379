"""A live lab for the change and safety tests: DNS, one server (mx1), a client,
the outsider and the DNSBL-listed host, converged once with playbooks/site.yml, on the
Debian release MAILOPS_LAB_RELEASE names (default bookworm; skipped when it has left the mirror)."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "support"))
# The collection as ansible_collections.mailops.sendmail (scripts/setup.sh links it there), for
# tests that call its Python code on the controller.
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / ".cache" / "collections"))

from lab import ROOT, Lab  # noqa: E402

HOSTS = ["ns1=2", "mx1=3", "client1=5", "outsider=7", "spammer=8"]
LIMIT = "mx1"
# Everything on mx1 the role may write, hashed to prove "nothing changed".
WATCHED = ("/etc/mail/sendmail.mc /etc/mail/sendmail.cf /etc/mail/access /etc/mail/access.db "
           "/etc/mail/virtusertable /etc/mail/virtusertable.db /etc/mail/relay-domains "
           "/etc/mail/local-host-names /etc/aliases /etc/aliases.db /etc/hosts /srv/mail-lists/everyone")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "releases: exercises what differs between Debian releases (install, config and map builds, "
                   "restart and rollback, delivery, STARTTLS, the mail log): -m releases runs them alone; "
                   "tests/run.sh runs the whole suite on every release of the lab")


class LiveLab(Lab):
    def converge(self, *args, extra: dict | None = None, check: bool = True, tmp_path: Path | None = None):
        cmd = ["--limit", LIMIT]
        if extra is not None:
            path = Path(tmp_path or "/tmp") / f"extra-{self.token('vars')}.yml"
            path.write_text(yaml.safe_dump(extra))
            cmd += ["-e", f"@{path}"]
        return self.playbook("playbooks/site.yml", *cmd, *args, check=check)

    def hashes(self, host: str = "mx1") -> dict:
        out = self.sh(host, f"sha256sum {WATCHED} 2>/dev/null || true", check=False).stdout
        return {line.split()[1]: line.split()[0] for line in out.splitlines()}

    def mtimes(self, host: str = "mx1") -> dict:
        out = self.sh(host, f"stat -c '%n %Y.%y' {WATCHED} 2>/dev/null || true", check=False).stdout
        return {line.split()[0]: line.split(None, 1)[1] for line in out.splitlines()}

    def daemon_pid(self, host: str = "mx1") -> str:
        return self.sh(host, "head -n1 /run/sendmail/mta/sendmail.pid", check=False).stdout.strip()

    def host_vars(self, host: str) -> dict:
        return yaml.safe_load((ROOT / "lab" / "inventory" / "host_vars" / f"{host}.yml").read_text())

    def group_vars(self, group: str) -> dict:
        return yaml.safe_load((ROOT / "lab" / "inventory" / "group_vars" / f"{group}.yml").read_text())


@pytest.fixture(scope="session")
def live():
    lab = LiveLab(os.environ.get("MAILOPS_ITEST_LAB", "itest"), int(os.environ.get("MAILOPS_ITEST_BASE", "64")))
    # SYS_ADMIN lets the full-disk test mount a small tmpfs over /etc/mail.
    lab.env["LAB_RUN_ARGS"] = "--cap-add SYS_ADMIN"
    # MAILOPS_REUSE_LAB=1 (with MAILOPS_KEEP_LAB=1 on the run before) skips the set-up while debugging.
    # The hosts run MAILOPS_LAB_RELEASE's Debian (lab/lib.sh; default bookworm), passed on to lab.sh.
    if not os.environ.get("MAILOPS_REUSE_LAB"):
        try:
            lab.lab("up", *HOSTS)
        except subprocess.CalledProcessError as err:
            # lab/image.sh: that release has left the Debian mirror and no image of it exists.
            if err.returncode == 3:
                pytest.skip(err.stderr.strip().splitlines()[-1])
            raise
    try:
        if not os.environ.get("MAILOPS_REUSE_LAB"):
            lab.playbook("lab/prepare.yml", "--limit", "ns1,mx1")
            lab.playbook("playbooks/site.yml", "--limit", "mx1,client1")
        yield lab
    finally:
        if not os.environ.get("MAILOPS_KEEP_LAB"):
            lab.lab("down")


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
