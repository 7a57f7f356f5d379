"""The lab's transport, mailops.sendmail.podman_exec: pipelined modules, files in and out byte for byte."""

import hashlib
import os
import subprocess

from lab import ROOT


def _ansible(live, *args):
    res = subprocess.run(["ansible", "mx1", "-i", str(ROOT / "lab" / "inventory"), *args],
                         capture_output=True, text=True, env=live.env, cwd=ROOT, timeout=300, check=False)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    return res.stdout


def test_copy_and_fetch_are_byte_exact(live, tmp_path):
    data = os.urandom(300_000) + b"\x00\n'\"$(touch /tmp/pwned)`id`\n"
    src = tmp_path / "blob"
    src.write_bytes(data)
    _ansible(live, "-m", "ansible.builtin.copy", "-a", f"src={src} dest='/tmp/blob with space' mode=0600")
    assert live.sh("mx1", "sha256sum < '/tmp/blob with space'").stdout.split()[0] == hashlib.sha256(data).hexdigest()
    assert live.sh("mx1", "stat -c %a '/tmp/blob with space'").stdout.strip() == "600"
    assert live.sh("mx1", "test ! -e /tmp/pwned", check=False).returncode == 0
    _ansible(live, "-m", "ansible.builtin.fetch", "-a", f"src='/tmp/blob with space' dest={tmp_path}/out/ flat=true")
    assert (tmp_path / "out" / "blob with space").read_bytes() == data


def test_modules_are_pipelined(live):
    """-vvv shows one podman exec per module, with no temporary directory on the host."""
    out = _ansible(live, "-vvv", "-m", "ansible.builtin.command", "-a", "id -u")
    assert "ansible-tmp-" not in out, out[-3000:]
    assert out.count("EXEC ") == 1, out[-3000:]
    assert "| CHANGED | rc=0 >>\n0" in out


def _raw_ppid(live, env=None, target="mx1", inventory=None):
    """The parent PID, inside the container, of a command run through the connection."""
    inventory = inventory or ["-i", str(ROOT / "lab" / "inventory")]
    res = subprocess.run(["ansible", target, *inventory, "-m", "ansible.builtin.raw",
                          "-a", "sh -c 'echo ppid=$PPID; cat /etc/hostname'"],
                         capture_output=True, text=True, env=dict(live.env, **(env or {})), cwd=ROOT, timeout=300, check=False)
    lines = res.stdout.splitlines()
    ppid = [line.split("=", 1)[1] for line in lines if line.startswith("ppid=")]
    return res.returncode, (ppid[0] if ppid else None), res.stdout + res.stderr


def test_commands_reuse_one_persistent_session(live):
    """Like ssh's ControlPersist: separate runs reach mx1 through one podman exec session kept open
    (the commands share their parent process in the container). With control_persist 0 every command
    has its own podman exec, whose process has no parent inside the container (PPID 0)."""
    rc1, first, out1 = _raw_ppid(live)
    rc2, second, out2 = _raw_ppid(live)
    assert rc1 == rc2 == 0, out1 + out2
    assert first == second and first not in (None, "0"), (first, second)
    rc3, direct, out3 = _raw_ppid(live, env={"ANSIBLE_PODMAN_CONTROL_PERSIST": "0"})
    assert rc3 == 0 and direct == "0", out3


def test_a_container_replaced_under_the_same_name_gets_a_new_session(live):
    """A container removed and created again under its name (as the benchmark does) is reached
    through a new session; while it is gone, the host is unreachable with podman's own error."""
    name = live.container("conntest")
    image = subprocess.run(["bash", "-c", ". lab/lib.sh; echo \"$LAB_IMAGE\""], capture_output=True, text=True,
                           cwd=ROOT, env=live.env, check=True).stdout.strip()
    inventory = ["-i", f"{name},", "-c", "mailops.sendmail.podman_exec"]

    def create(hostname):
        subprocess.run(["podman", "run", "-d", "--name", name, "--hostname", hostname, "--network", "none",
                        "--label", f"mailops.lab={live.name}", image, "sleep", "infinity"],
                       capture_output=True, text=True, env=live.env, check=True, timeout=120)

    def remove():
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True, env=live.env, timeout=120, check=False)

    remove()
    try:
        create("one.example.test")
        rc, first, out = _raw_ppid(live, target=name, inventory=inventory)
        assert rc == 0 and first not in (None, "0") and "one.example.test" in out, out
        remove()
        rc, _ppid, out = _raw_ppid(live, target=name, inventory=inventory)
        assert rc != 0 and "UNREACHABLE" in out and "no such container" in out, out
        create("two.example.test")
        rc, second, out = _raw_ppid(live, target=name, inventory=inventory)
        assert rc == 0 and second not in (None, "0") and "two.example.test" in out, out
    finally:
        remove()


def test_a_session_gives_commands_the_environment_of_podman_exec(live):
    """Commands run through a kept session see the environment a plain podman exec gives them
    (nothing added by the session's shell or Python, such as PWD or a coerced LC_CTYPE)."""
    res = subprocess.run(["ansible", "mx1", "-i", str(ROOT / "lab" / "inventory"), "-m", "ansible.builtin.raw",
                          "-a", "env"], capture_output=True, text=True, env=live.env, cwd=ROOT, timeout=300, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    session = sorted(line for line in res.stdout.splitlines()[1:] if line.strip())
    direct = subprocess.run(["podman", "exec", live.container("mx1"), "env"], capture_output=True, text=True,
                            env=live.env, check=True, timeout=120).stdout.splitlines()
    assert session == sorted(line for line in direct if line.strip())
