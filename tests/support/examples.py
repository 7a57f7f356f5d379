# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The documented examples of the collection, read from the files that document them.

Module EXAMPLES are read from the module's source (parsed, not imported), filter EXAMPLES from
plugins/filter/<name>.yml, and the fenced YAML blocks of a Markdown file together with the caption
line above each. Shared by tests/unit/test_examples.py and tests/integration/lab/test_examples.py.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def module_examples_text(module: str) -> str:
    """The EXAMPLES string of plugins/modules/<module>.py."""
    tree = ast.parse((ROOT / 'plugins' / 'modules' / (module + '.py')).read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ['EXAMPLES']:
            return node.value.value
    raise AssertionError('%s has no EXAMPLES' % module)


def module_examples(module: str) -> list:
    """The tasks of the EXAMPLES of plugins/modules/<module>.py."""
    return yaml.safe_load(module_examples_text(module))


def filter_examples_text(name: str) -> str:
    """The EXAMPLES text of plugins/filter/<name>.yml."""
    return yaml.safe_load((ROOT / 'plugins' / 'filter' / (name + '.yml')).read_text())['EXAMPLES']


def filter_examples(name: str) -> list:
    """The tasks of the EXAMPLES of plugins/filter/<name>.yml."""
    return yaml.safe_load(filter_examples_text(name))


def markdown_yaml_blocks(path: Path) -> list[tuple[str, str]]:
    """(caption, text) of every fenced ```yaml block of a Markdown file, in order; the caption is the
    last non-empty line above the fence."""
    blocks = []
    lines = Path(path).read_text().splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == '```yaml':
            caption = next((line for line in reversed(lines[:i]) if line.strip()), '')
            end = lines.index('```', i + 1)
            blocks.append((caption.strip(), '\n'.join(lines[i + 1:end]) + '\n'))
            i = end
        i += 1
    return blocks


def fenced_languages(path: Path) -> list[str]:
    """The language word of every opening fence of a Markdown file, in order ('' when none)."""
    languages, inside = [], False
    for line in Path(path).read_text().splitlines():
        if line.startswith('```'):
            if not inside:
                languages.append(line[3:].strip())
            inside = not inside
    return languages


def json_output(proc) -> dict:
    """The parsed output of an ansible-playbook run with the json callback."""
    try:
        return json.loads(proc.stdout)
    except ValueError:
        raise AssertionError('ansible-playbook printed no JSON (rc %s):\n%s\n%s' % (
            proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))


def ran_tasks(output: dict, host: str) -> list[tuple[str, dict]]:
    """[(task name, result of host)] over every play of a json-callback output, in order (tasks the
    host did not run are left out)."""
    return [(task['task']['name'], task['hosts'][host])
            for play in output['plays'] for task in play['tasks'] if host in task['hosts']]


# The outcome an example task must have: (status, {dotted path into the result: expected value}).
def ok(**checks):
    """The task passed (not changed, not skipped); each check is a dotted path into the result and its value."""
    return ('ok', checks)


def changed(**checks):
    return ('changed', checks)


def skipped():
    return ('skipped', {})


def failed(**checks):
    return ('failed', checks)
