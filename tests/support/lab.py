"""A handle on one podman lab (lab/lab.sh) for the tests: addresses, commands
inside hosts, SMTP conversations from a chosen lab host, mailboxes and playbook runs.

Every SMTP conversation that is not meant to deliver stops after RCPT TO."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
import uuid
from pathlib import Path

import testinfra

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "198.51.100"
DOMAIN = "example.test"
# The Debian release of a lab's hosts (lab/lib.sh: MAILOPS_LAB_RELEASE, default bookworm) and its major.
RELEASE = os.environ.get("MAILOPS_LAB_RELEASE", "bookworm")
DEBIAN_MAJOR = {"bullseye": "11", "bookworm": "12", "trixie": "13"}


def role_vars(release: str = RELEASE) -> dict:
    """The sendmail role's names and paths for a Debian release, as the role loads them
    (vars/Debian.yml, then vars/Debian-<major>.yml where it exists)."""
    import yaml

    out: dict = {}
    for name in ("Debian", f"Debian-{DEBIAN_MAJOR[release]}"):
        path = ROOT / "roles" / "sendmail" / "vars" / f"{name}.yml"
        if path.exists():
            out.update(yaml.safe_load(path.read_text()) or {})
    return out


# The lab hosts see the load average of the machine they share, which a test run on two CPUs drives past 35:
# there the submission program's own defaults (QueueLA 8 per CPU; the lab's sendmail.mc sets the daemon's to 100)
# only queue a mail, and a queue run (sendmail -q) skips every job. A test proves where mail goes, not that: every
# submission and queue run of the tests goes through this command (Lab.sendmail, Lab.flush).
SENDMAIL = "/usr/sbin/sendmail -OQueueLA=100"

# Offsets of the demo fleet inside a lab's /27 (lab/inventory/hosts.yml).
OFFSETS = {"ns1": 2, "mx1": 3, "mx2": 4, "client1": 5, "client2": 6, "outsider": 7, "spammer": 8}

# Runs inside a lab host: one SMTP conversation, printed as JSON. Quits before
# DATA unless a body is given.
_SMTP_SCRIPT = r"""
import json, smtplib, sys
a = json.loads(sys.argv[1])
out = {"connect": None, "mail": None, "rcpt": [], "data": None}
try:
    s = smtplib.SMTP(timeout=a["timeout"], local_hostname=a["helo"])
    out["connect"] = list(s.connect(a["host"], a["port"]))
    out["connect"][1] = out["connect"][1].decode()
    s.ehlo()
    c, t = s.mail(a["mail_from"])
    out["mail"] = [c, t.decode()]
    if c < 400:
        for r in a["rcpt_to"]:
            c, t = s.rcpt(r)
            out["rcpt"].append([c, t.decode()])
        if a["body"] is not None and any(c < 300 for c, _ in out["rcpt"]):
            c, t = s.data(a["body"].encode())
            out["data"] = [c, t.decode()]
    s.quit()
except (OSError, smtplib.SMTPException) as e:
    out["error"] = "%s: %s" % (type(e).__name__, e)
print(json.dumps(out))
"""


class Lab:
    SENDMAIL = SENDMAIL

    def __init__(self, name: str | None = None, base: int | None = None):
        self.name = name or os.environ.get("MAILOPS_LAB", "mailops")
        self.base = int(base if base is not None else os.environ.get("MAILOPS_LAB_BASE", "0"))
        self.env = dict(os.environ, MAILOPS_LAB=self.name, MAILOPS_LAB_BASE=str(self.base),
                        CONTAINERS_CONF=str(ROOT / "lab" / "containers.conf"),
                        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
                        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".cache" / "collections"))

    # -- addresses and commands ------------------------------------------------
    def ip(self, host: str) -> str:
        return f"{PREFIX}.{self.base + OFFSETS[host]}"

    @property
    def gateway(self) -> str:
        return f"{PREFIX}.{self.base + 1}"

    def container(self, host: str) -> str:
        return f"{self.name}-{host}"

    def host(self, host: str):
        """A testinfra host inside the lab container."""
        return testinfra.get_host(f"podman://{self.container(host)}")

    def sh(self, host: str, command: str, check: bool = True, timeout: int = 120) -> subprocess.CompletedProcess:
        return subprocess.run(["podman", "exec", self.container(host), "sh", "-c", command],
                              capture_output=True, text=True, env=self.env, check=check, timeout=timeout)

    def lab(self, *args: str) -> str:
        return subprocess.run(["bash", str(ROOT / "lab" / "lab.sh"), *args], capture_output=True, text=True,
                              env=self.env, check=True).stdout

    # -- SMTP --------------------------------------------------------------------
    def smtp(self, src: str, dst: str, rcpt_to: list[str] | str, mail_from: str | None = None,
             port: int = 25, body: str | None = None, timeout: float = 20) -> dict:
        """One SMTP conversation from lab host `src` to lab host `dst` (or an address)."""
        host = dst if dst[0].isdigit() else self.ip(dst)
        # The sender's domain is the source host's own name: it resolves in the
        # lab DNS and is local to no server, so MAIL FROM is accepted everywhere.
        args = {"host": host, "port": port, "mail_from": mail_from or f"probe@{src}.{DOMAIN}", "timeout": timeout, "body": body,
                "rcpt_to": [rcpt_to] if isinstance(rcpt_to, str) else list(rcpt_to),
                "helo": f"{src}.{DOMAIN}"}
        res = subprocess.run(["podman", "exec", self.container(src), "python3", "-c", _SMTP_SCRIPT, json.dumps(args)],
                             capture_output=True, text=True, env=self.env, check=True, timeout=timeout * 4)
        return json.loads(res.stdout)

    def rcpt_codes(self, src: str, dst: str, rcpt_to, **kw) -> list[int]:
        out = self.smtp(src, dst, rcpt_to, **kw)
        assert "error" not in out, out
        return [c for c, _text in out["rcpt"]]

    # -- mail --------------------------------------------------------------------
    @staticmethod
    def token(prefix: str = "t") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:12]}"

    def sendmail(self, host: str, message: str, *args: str) -> None:
        """Submit `message` on `host` with sendmail -oi [args] -t, as a local program would."""
        options = "".join(f"{shlex.quote(arg)} " for arg in args)
        self.sh(host, f"printf %s {shlex.quote(message)} | {SENDMAIL} -oi {options}-t")

    def submit(self, host: str, to: str, subject: str) -> None:
        """Submit a mail on `host` with sendmail -t, as a local user would."""
        self.sendmail(host, f"To: {to}\nSubject: {subject}\n\n{subject}\n")

    def flush(self, host: str) -> None:
        """Run both queues of `host` once: a mail the submission program (sendmail -t) could not hand to the local
        daemon waits in clientmqueue, which Debian retries only from cron every 20 minutes."""
        self.sh(host, f"{SENDMAIL} -q; {SENDMAIL} -Ac -q", check=False)

    def mailbox_count(self, host: str, user: str, token: str) -> int:
        r = self.sh(host, f"grep -cx -- {shlex.quote(token)} /var/mail/{user} 2>/dev/null || true", check=False)
        return int((r.stdout.strip() or "0").splitlines()[0])

    def wait_mailbox(self, host: str, user: str, token: str, count: int = 1, timeout: float = 60,
                     flush: str | None = None) -> int:
        """Wait until `count` messages whose body line is `token` are in the mailbox."""
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            seen = self.mailbox_count(host, user, token)
            if seen >= count:
                return seen
            if flush:
                self.flush(flush)
            time.sleep(1)
        # Shown by pytest only when the test then fails: where the mail stopped.
        for name in dict.fromkeys([flush, host] if flush else [host]):
            out = self.sh(name, "cat /proc/loadavg; mailq; tail -n 40 /var/log/mail.log", check=False)
            print(f"--- {name}: {seen} of {count} mails with {token} for {user}@{host} after {timeout} s\n"
                  f"{out.stdout}{out.stderr}")
        return seen

    # -- playbooks -----------------------------------------------------------------
    def playbook(self, playbook: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        res = subprocess.run(["ansible-playbook", str(ROOT / playbook), *args], capture_output=True, text=True,
                             env=self.env, cwd=ROOT, timeout=900, check=False)
        if check and res.returncode != 0:
            raise AssertionError(f"{playbook} failed ({res.returncode}):\n{res.stdout[-6000:]}\n{res.stderr[-3000:]}")
        return res
