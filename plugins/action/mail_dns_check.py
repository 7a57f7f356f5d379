# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of mailops.sendmail.mail_dns_check: the checks in-process on the controller, else the module;
then, on the controller wherever the checks ran, the summary as JSON to summary_path."""

from __future__ import annotations

import json
import os
import tempfile

from ansible.module_utils.common.text.converters import to_bytes, to_native

from ansible_collections.mailops.sendmail.plugins.module_utils import _mail_dns_check
from ansible_collections.mailops.sendmail.plugins.plugin_utils._dns_action import DnsCheckAction


def write_summary(path, summary):
    """Write the summary as JSON to path unless it already holds it; return whether it was written."""
    data = to_bytes(json.dumps(summary, indent=4, sort_keys=True) + '\n')
    try:
        with open(path, 'rb') as handle:
            if handle.read() == data:
                return False
    except (IOError, OSError):
        pass
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(path))
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return True


class ActionModule(DnsCheckAction):

    CHECK = _mail_dns_check

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        path = self._task.args.get('summary_path')
        # Like the copy it replaces: nothing is written in check mode, or without a summary (bad parameters).
        if not path or self._task.check_mode or 'summary' not in result:
            return result
        path = os.path.expanduser(to_native(path))
        try:
            result['changed'] = write_summary(path, result['summary'])
        except (IOError, OSError) as exc:
            result.update(failed=True, msg='%s; the summary could not be written to %s: %s' % (
                result.get('msg', ''), path, to_native(exc)))
        result['summary_path'] = path
        return result
