"""What the unit tests need from ansible-core that not every release of the matrix
(tests/matrix.sh) has: ``patch_module_args`` is public from ansible-core 2.19 on."""

from __future__ import annotations

import contextlib
import json
from unittest import mock

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:     # ansible-core < 2.19: AnsibleModule reads its arguments from basic._ANSIBLE_ARGS
    from ansible.module_utils import basic as _basic

    @contextlib.contextmanager
    def patch_module_args(args=None):
        """Expose the given module args to ``AnsibleModule`` instances created within this context."""
        if not isinstance(args, (dict, type(None))):
            raise TypeError("The `args` arg must be a dict or None.")
        data = json.dumps(dict(ANSIBLE_MODULE_ARGS=args or {})).encode()
        with mock.patch.object(_basic, '_ANSIBLE_ARGS', data):
            yield

__all__ = ['patch_module_args']
