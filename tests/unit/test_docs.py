"""Every module and filter of the collection documents itself: ansible-doc renders
it, and a module's documented options match its argument_spec (the part of
ansible-test's validate-modules that can run here)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ENV = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
           ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".cache" / "collections"))
MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py"))
FILTERS = sorted(p.stem for p in (ROOT / "plugins" / "filter").glob("*.yml"))


def _doc(kind, names):
    res = subprocess.run([str(BIN / "ansible-doc"), "-t", kind, "--json"] + [f"mailops.sendmail.{n}" for n in names],
                         capture_output=True, text=True, env=ENV, cwd=ROOT, check=True)
    return json.loads(res.stdout)


def test_every_module_is_documented_with_examples_and_return():
    docs = _doc("module", MODULES)
    assert sorted(k.rsplit(".", 1)[1] for k in docs) == MODULES
    for name, doc in docs.items():
        assert doc["doc"]["short_description"], name
        assert doc["examples"].strip(), name
        assert doc["return"], name


def test_every_module_renders_as_text():
    """The plain-text rendering too (it parses descriptions that --json passes through)."""
    res = subprocess.run([str(BIN / "ansible-doc"), "-t", "module"] + [f"mailops.sendmail.{n}" for n in MODULES],
                         capture_output=True, text=True, env=ENV, cwd=ROOT, check=False)
    assert res.returncode == 0 and "ERROR" not in res.stderr, res.stderr
    for name in MODULES:
        assert f"mailops.sendmail.{name}" in res.stdout, name


@pytest.mark.parametrize("module", MODULES)
def test_documented_options_match_argument_spec(module, monkeypatch):
    """Load the module, capture the argument_spec it builds (or, for a module that is documentation
    only, take its action's), and compare."""
    import importlib
    from ansible.module_utils import basic

    doc = _doc("module", [module])[f"mailops.sendmail.{module}"]["doc"]
    captured = {}

    class Stop(Exception):
        pass

    def fake_init(self, argument_spec, **kwargs):
        captured.update(argument_spec)
        raise Stop

    monkeypatch.setattr(basic.AnsibleModule, "__init__", fake_init)
    mod = importlib.import_module(f"ansible_collections.mailops.sendmail.plugins.modules.{module}")
    with pytest.raises(Stop):
        mod.main()
    assert set(captured) == set(doc["options"]), module
    for opt, spec in captured.items():
        assert spec.get("type", "str") == doc["options"][opt].get("type", "str"), (module, opt)
        if "default" in spec:
            assert spec["default"] == doc["options"][opt].get("default"), (module, opt)
        if "choices" in spec:
            assert list(spec["choices"]) == list(doc["options"][opt]["choices"]), (module, opt)


def test_every_filter_is_documented():
    docs = _doc("filter", FILTERS)
    assert sorted(k.rsplit(".", 1)[1] for k in docs) == FILTERS
    for name, doc in docs.items():
        assert doc["doc"]["description"] and doc["examples"].strip() and doc["return"], name


def test_role_argument_specs_cover_every_default():
    import yaml
    for role in sorted(p.name for p in (ROOT / "roles").iterdir()):
        defaults = yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text()) or {}
        specs = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
        options = specs["argument_specs"]["main"]["options"]
        assert set(defaults) == set(options), (role, set(defaults) ^ set(options))


def test_sendmail_entry_points_leave_out_only_the_layered_lists():
    """'validate' and 'apply' check every setting of 'main' except the layered policy lists, which
    the policy action validates entry by entry; every entry point has a tasks file."""
    import yaml

    from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import LAYERED_KEYS
    role = ROOT / "roles" / "sendmail"
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    layered = {"sendmail_" + key for key in LAYERED_KEYS}
    main = specs["main"]["options"]
    assert layered <= set(main)
    for entry_point in ("validate", "apply"):
        assert specs[entry_point]["options"] == {k: v for k, v in main.items() if k not in layered}, entry_point
    for entry_point in specs:
        assert (role / "tasks" / (entry_point + ".yml")).is_file(), entry_point
