"""The DNS action plugins' test for running the check in the worker: is the interpreter this Python?"""

import sys
from pathlib import Path

from ansible_collections.mailops.sendmail.plugins.plugin_utils._dns_action import _same_python


def test_same_python_needs_the_same_directory(tmp_path):
    """The in-process test: the same binary reached from another directory (another venv, or the
    base Python a venv links to) has other packages, so it is not the controller's Python."""
    own = Path(sys.executable)
    assert _same_python(str(own), str(own))
    assert _same_python(str(own.parent / '..' / own.parent.name / own.name), str(own))
    elsewhere = tmp_path / 'bin'
    elsewhere.mkdir()
    (elsewhere / 'python3').symlink_to(own.resolve())
    assert not _same_python(str(elsewhere / 'python3'), str(own))
    assert not _same_python(str(own.resolve()), str(own)) or own.resolve().parent == own.parent
    assert not _same_python('/usr/bin/env python3', str(own))
    assert not _same_python(str(tmp_path / 'missing'), str(own))


def test_other_names_of_this_python_in_its_directory_are_this_python():
    """.venv/bin/python and .venv/bin/python3: one binary, one venv."""
    own = Path(sys.executable)
    aliases = [own.parent / name for name in ('python', 'python3')
               if (own.parent / name).exists() and (own.parent / name).samefile(own)]
    assert aliases, 'no other name of %s in its directory' % own
    for alias in aliases:
        assert _same_python(str(alias), str(own))
