"""The lab's transport, mailops.sendmail.podman_exec: pipelined modules, files in and out byte for byte."""

import hashlib
import os
import subprocess

from lab import ROOT


def _ansible(live, *args):
    res = subprocess.run(["ansible", "mx1", "-i", str(ROOT / "lab" / "inventory"), *args],
                         capture_output=True, text=True, env=live.env, cwd=ROOT, timeout=300)
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
