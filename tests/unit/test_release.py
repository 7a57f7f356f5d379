"""The release check: the collection as a user gets it.

In a copy of the tracked files, antsibull-changelog releases the version of
galaxy.yml (CHANGELOG.md is written and the fragments are used up there, not in
the checkout); ansible-galaxy builds the tarball from that copy and installs it
into an empty collections path. From that path alone: ansible-doc of every
plugin and role, the playbooks, a localhost run of the policy action and
filters, and ansible-builder with the collection's execution-environment files.
"""

import datetime
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
FQCN = f"{GALAXY['namespace']}.{GALAXY['name']}"
# What the checkout has, by plugin type (action plugins document themselves as their modules).
PLUGINS = {
    "module": sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py")),
    "filter": sorted(p.stem for p in (ROOT / "plugins" / "filter").glob("*.yml")),
    "role": sorted(p.parent.parent.name for p in (ROOT / "roles").glob("*/meta/argument_specs.yml")),
}


def _run(cmd, env=None, cwd=None, check=True):
    res = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, cwd=cwd, check=False,
                         timeout=600)
    if check and res.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} failed ({res.returncode}):\n{res.stdout[-4000:]}\n"
                             f"{res.stderr[-4000:]}")
    return res


def _clean_env(collections):
    """Only the installed collection counts: no ANSIBLE_* of the checkout (its ansible.cfg, its
    collections path with the checkout linked in)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    return env


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """Release (in a copy), build, install. Returns (tarball, its member names, collections path, env, copy)."""
    tmp = tmp_path_factory.mktemp("release")
    copy = tmp / "src"
    copy.mkdir()
    files = _run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT).stdout.split()
    for name in files:
        if (ROOT / name).is_file() and not name.startswith(".cache/"):
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    _run([BIN / "antsibull-changelog", "release", "--version", GALAXY["version"],
          "--date", datetime.date.today().isoformat()], env=env, cwd=copy)

    out = tmp / "dist"
    _run([BIN / "ansible-galaxy", "collection", "build", "--output-path", out, copy], cwd=tmp)
    tarball = out / f"{GALAXY['namespace']}-{GALAXY['name']}-{GALAXY['version']}.tar.gz"
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())

    collections = tmp / "collections"       # empty: nothing else installed there
    env = _clean_env(collections)
    # No dependencies (galaxy.yml), so the install needs no Galaxy server.
    assert GALAXY["dependencies"] == {}
    _run([BIN / "ansible-galaxy", "collection", "install", "--offline", "-p", collections, tarball], env=env, cwd=tmp)
    return tarball, names, collections, env, copy


def test_changelog_fragments_lint():
    res = _run([BIN / "antsibull-changelog", "lint"], cwd=ROOT, check=False)
    assert res.returncode == 0 and not res.stdout.strip(), res.stdout + res.stderr


def test_release_writes_the_changelog_with_every_fragment(release):
    copy = release[4]
    changes = yaml.safe_load((copy / "changelogs" / "changelog.yaml").read_text())
    used = changes["releases"][GALAXY["version"]]["fragments"]
    assert sorted(used) == sorted(p.name for p in (ROOT / "changelogs" / "fragments").glob("*.yml"))
    assert not list((copy / "changelogs" / "fragments").glob("*.yml"))
    text = (copy / "CHANGELOG.md").read_text()
    assert f"v{GALAXY['version']}".replace(".", "\\.") in text
    # Under "New Modules": every module added in this version (a later version_added is
    # test_nothing_is_newer_than_the_collection's concern).
    collections, env = release[2], release[3]
    docs = json.loads(_run([BIN / "ansible-doc", "-t", "module", "--json"] + [f"{FQCN}.{n}" for n in PLUGINS["module"]],
                           env=env, cwd=collections).stdout)
    new = [name for name, doc in docs.items() if doc["doc"].get("version_added") == GALAXY["version"]]
    assert new
    for name in new:
        assert name.replace(".", "\\.").replace("_", "\\_") in text, name


def test_tarball_carries_what_users_need_and_nothing_else(release):
    tarball, names = release[0], release[1]
    for must in ("LICENSE", "README.md", "CHANGELOG.md", "changelogs/changelog.yaml", "meta/runtime.yml",
                 "meta/execution-environment.yml", "requirements.txt", "bindep.txt", "tests/config.yml",
                 "roles/sendmail/tasks/main.yml", "plugins/modules/mx_verify.py", "playbooks/site.yml"):
        assert must in names, must
    for top in ("lab", "bench", "molecule", "scripts", ".ci", ".cache", ".venv", ".git", ".ansible",
                "tests/unit", "tests/integration", "tests/support", "tests/corpus", "tests/output"):
        assert not any(n == top or n.startswith(top + "/") for n in names), top
    assert not any(n.endswith((".pyc", ".tar.gz")) or "__pycache__" in n for n in names)
    with tarfile.open(tarball) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["version"] == GALAXY["version"]
    assert manifest["collection_info"]["license"] == ["GPL-3.0-or-later"]
    assert not any("example.invalid" in str(v) for v in manifest["collection_info"].values())


def test_every_plugin_and_role_documents_itself_from_the_installed_collection(release):
    collections, env = release[2], release[3]
    installed = collections / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]
    assert (installed / "MANIFEST.json").is_file()
    for kind, names in PLUGINS.items():
        listed = json.loads(_run([BIN / "ansible-doc", "-t", kind, "--list", "--json", FQCN], env=env,
                                 cwd=collections).stdout)
        assert sorted(k.rsplit(".", 1)[1] for k in listed) == names, kind
        res = _run([BIN / "ansible-doc", "-t", kind, "--json"] + [f"{FQCN}.{n}" for n in names], env=env,
                   cwd=collections)
        docs = json.loads(res.stdout)
        assert sorted(docs) == [f"{FQCN}.{n}" for n in names], (kind, res.stderr)
        for name, doc in docs.items():
            if kind == "role":
                assert doc["entry_points"]["main"]["short_description"], name
            else:
                assert doc["doc"]["short_description"], name
        # the text rendering parses the markup that --json passes through
        text = _run([BIN / "ansible-doc", "-t", kind] + [f"{FQCN}.{n}" for n in names], env=env, cwd=collections)
        assert "ERROR" not in text.stderr, text.stderr


def _versions_added(doc, where=""):
    """(where, version) of every version_added in a plugin's documentation (options and suboptions too)."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key == "version_added" and isinstance(value, str):
                yield where, value
            else:
                yield from _versions_added(value, f"{where}.{key}" if where else key)
    elif isinstance(doc, list):
        for value in doc:
            yield from _versions_added(value, where)


def test_nothing_is_newer_than_the_collection(release):
    """One version everywhere: no plugin, option or return value was added after the collection's version."""
    from ansible.module_utils.compat.version import LooseVersion

    collections, env = release[2], release[3]
    newer = []
    for kind, names in PLUGINS.items():
        if kind == "role":
            continue
        docs = json.loads(_run([BIN / "ansible-doc", "-t", kind, "--json"] + [f"{FQCN}.{n}" for n in names],
                               env=env, cwd=collections).stdout)
        for name, doc in docs.items():
            newer += [(name, where, v) for where, v in _versions_added(doc)
                      if LooseVersion(v) > LooseVersion(GALAXY["version"])]
    assert not newer, newer


def test_playbooks_and_a_localhost_run_from_the_installed_collection(release, tmp_path):
    collections, env = release[2], release[3]
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {
        "mail_servers": {"hosts": {"mx1.example.test": {}}}, "mail_clients": {"hosts": {"client.example.test": {}}}}}}))
    for playbook in ("site", "verify_dns"):
        _run([BIN / "ansible-playbook", "-i", inventory, "--syntax-check", f"{FQCN}.{playbook}"], env=env,
             cwd=tmp_path)

    playbook = tmp_path / "policy.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "The policy action and filters of the installed collection",
        "hosts": "localhost",
        "gather_facts": False,
        "vars": {"sendmail_access": [{"key": "Connect:198.51.100.5", "action": "RELAY"},
                                     {"key": "Connect:192.168.1.0/24", "action": "RELAY"}]},
        "tasks": [
            {"name": "Merge and validate the policy",
             f"{FQCN}.sendmail_policy": {"settings": {"mode": "server",
                                                      "listen": [{"name": "MTA-v4", "port": "smtp",
                                                                  "addr": "0.0.0.0"}]}},
             "register": "merged"},
            {"name": "The result",
             "ansible.builtin.debug": {"msg": {
                 "errors": "{{ merged.policy.errors }}",
                 "access": "{{ merged.policy.access_text }}",
                 "fqdn": f"{{{{ 'mx1.example.com' | {FQCN}.fqdn_errors('198.51.100.3', []) }}}}"}}},
        ]}], sort_keys=False))
    res = _run([BIN / "ansible-playbook", "-i", "localhost,", "-c", "local", playbook],
               env=dict(env, ANSIBLE_STDOUT_CALLBACK="json"), cwd=tmp_path)
    result = json.loads(res.stdout)["plays"][0]["tasks"][1]["hosts"]["localhost"]["msg"]
    assert result["fqdn"] == []
    assert result["access"] == "Connect:198.51.100.5\tRELAY\n", result
    assert len(result["errors"]) == 1 and "CIDR is not supported" in result["errors"][0], result


def test_ansible_builder_accepts_the_execution_environment_files(release, tmp_path):
    tarball, collections = release[0], release[2]
    # What ansible-builder reads from an installed collection (meta/execution-environment.yml,
    # then requirements.txt and bindep.txt), the step its build runs in the image.
    res = _run([BIN / "ansible-builder", "introspect", "--sanitize", collections], cwd=tmp_path)
    deps = yaml.safe_load(res.stdout)
    python = [line.split("#")[0].strip() for line in deps["python"]]
    runtime = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if line and line[0] != "#"]
    assert sorted(python) == sorted(runtime) and any(r.startswith("dnspython") for r in runtime), deps
    # no system package: the collection ships no lab-only plugin (the lab's podman stays out)
    assert [line.split("#")[0].strip() for line in deps.get("system", []) if line.split("#")[0].strip()] == [], deps

    # An execution environment that installs the tarball: ansible-builder writes its build context.
    (tmp_path / "collections.yml").write_text(yaml.safe_dump(
        {"collections": [{"name": str(tarball), "type": "file"}]}))
    (tmp_path / "execution-environment.yml").write_text(yaml.safe_dump({
        "version": 3,
        "images": {"base_image": {"name": "quay.io/ansible/ansible-runner:latest"}},
        "dependencies": {"galaxy": "collections.yml",
                         "ansible_core": {"package_pip": "ansible-core>=2.19,<2.20"},
                         "ansible_runner": {"package_pip": "ansible-runner"}},
    }, sort_keys=False))
    _run([BIN / "ansible-builder", "create", "-f", "execution-environment.yml", "-c", "context"], cwd=tmp_path)
    containerfile = (tmp_path / "context" / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile or "install-from-bindep" in containerfile
    assert (tmp_path / "context" / "_build" / "requirements.yml").is_file()
