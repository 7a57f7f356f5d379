# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The action plugins of the DNS verification modules (the *_verify modules).

Where the task runs on the controller (local connection) with the controller's
own Python, the check runs in the worker process itself: the same code and the
same result as the module, without packaging the module and starting another
Python for it (about 0.5 s per task, most of a DNS check's time). Anywhere else
(another host, another interpreter) the module is run as usual.
"""

from __future__ import annotations

import os
import sys

from ansible.plugins.action import ActionBase

from ansible_collections.mailops.sendmail.plugins.module_utils._dns import HAS_DNSPYTHON

_LOCAL = frozenset(('local', 'ansible.builtin.local'))


def _same_python(interpreter, executable):
    """Whether interpreter is this Python: the same binary in the same directory.

    .venv/bin/python and .venv/bin/python3 are the same (both link to one binary,
    and the directory gives the same venv and packages); /usr/bin/python3 is not
    the same as a venv's python3, although both resolve to the same binary.
    """
    interpreter, executable = os.path.abspath(interpreter), os.path.abspath(executable)
    if interpreter == executable:
        return True
    try:
        return (os.path.samefile(os.path.dirname(interpreter), os.path.dirname(executable))
                and os.path.samefile(interpreter, executable))
    except OSError:
        return False


class DnsCheckAction(ActionBase):
    """Subclasses set CHECK: the module's check in module_utils (with ARGUMENT_SPEC,
    MUTUALLY_EXCLUSIVE, REQUIRED_ONE_OF and run), which the module runs on a host."""

    CHECK = None
    TRANSFERS_FILES = False
    _supports_async = True

    def _in_process(self, task_vars):
        """Whether the module would run with this very Python on this machine."""
        if not HAS_DNSPYTHON or self._connection.transport not in _LOCAL:
            return False
        host_vars = task_vars
        if self._task.delegate_to:
            host_vars = task_vars.get('ansible_delegated_vars', {}).get(self._task.delegate_to, task_vars)
        interpreter = host_vars.get('ansible_python_interpreter')
        if interpreter is None:
            return False
        interpreter = self._templar.template(interpreter)
        return isinstance(interpreter, str) and _same_python(interpreter, sys.executable)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(DnsCheckAction, self).run(tmp, task_vars)
        del tmp
        if self._task.async_val or not self._in_process(task_vars):
            wrap_async = bool(self._task.async_val) and not self._connection.has_native_async
            result.update(self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        check = self.CHECK
        _valid, params = self.validate_argument_spec(
            argument_spec=check.ARGUMENT_SPEC, mutually_exclusive=check.MUTUALLY_EXCLUSIVE,
            required_one_of=check.REQUIRED_ONE_OF)
        checked, failed = check.run(params)
        result.update(checked)
        result.setdefault('changed', False)
        if failed:
            result['failed'] = True
        return result
