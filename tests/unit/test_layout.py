"""The module layer: action plugins take their argument specs and logic from the utils, never from
plugins/modules (a module file is its documentation and, for a host module, its entry point)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ACTIONS = sorted((ROOT / "plugins" / "action").glob("*.py"))


@pytest.mark.parametrize("path", ACTIONS, ids=[p.stem for p in ACTIONS])
def test_action_plugins_import_the_utils_not_the_modules(path):
    tree = ast.parse(path.read_text())
    imported = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module]
    assert not [name for name in imported if ".plugins.modules" in name], imported
    assert any(".plugins.module_utils." in name or ".plugins.plugin_utils." in name for name in imported), imported
