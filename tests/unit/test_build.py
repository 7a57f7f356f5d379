"""ansible-galaxy builds a tarball of the collection that installs and runs."""

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_built_collection_installs_and_its_plugins_load(tmp_path):
    build = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path), str(ROOT)],
                           capture_output=True, text=True, check=True)
    tarball = next(tmp_path.glob("mailops-sendmail-*.tar.gz"))
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    assert "roles/sendmail/tasks/main.yml" in names and "plugins/modules/mx_verify.py" in names, build.stdout
    assert not any(n.startswith((".cache", ".venv", ".git/")) for n in names)

    dest = tmp_path / "collections"
    # a clean environment: the checkout's own collection path must not count as "already installed"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env["ANSIBLE_COLLECTIONS_PATH"] = str(dest)
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "-p", str(dest), str(tarball)],
                   capture_output=True, text=True, env=env, cwd=tmp_path, check=True)
    # run from elsewhere, so nothing of the checkout is found by accident
    doc = subprocess.run([str(BIN / "ansible-doc"), "--json", "-t", "module", "mailops.sendmail.smtp_probe"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, check=True)
    docs = json.loads(doc.stdout)
    assert docs, doc.stderr
    assert docs["mailops.sendmail.smtp_probe"]["doc"]["module"] == "smtp_probe", docs.keys()
    installed = dest / "ansible_collections" / "mailops" / "sendmail"
    assert (installed / "roles" / "fqdn" / "meta" / "argument_specs.yml").is_file()
    res = subprocess.run([str(BIN / "ansible"), "localhost", "-m", "ansible.builtin.debug", "-a",
                          "msg={{ 'mx1.example.com' | mailops.sendmail.fqdn_errors('198.51.100.3', []) }}"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, check=True)
    assert '"msg": []' in res.stdout, res.stdout
