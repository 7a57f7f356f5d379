# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of mailops.sendmail.install_files: render and compare here, then at most one module call on the host."""

from __future__ import annotations

from ansible import constants as C
from ansible.plugins.action import ActionBase

from ansible_collections.mailops.sendmail.plugins.module_utils._install_files import ARGUMENT_SPEC
from ansible_collections.mailops.sendmail.plugins.plugin_utils._install_plan import plan, triggered

_NOTHING = dict(changed=False, changed_ids=[], post_commands=[], backups={}, backups_removed=[], directories=[],
                removed=[])


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _valid, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        module_args, triggers = plan(self, args, task_vars)
        if module_args is None:
            result.update(_NOTHING, triggered=[], sent=[])
            return result
        module_args['diff_max_bytes'] = module_args['diff_max_bytes'] or C.MAX_FILE_SIZE_FOR_DIFF
        result.update(self._execute_module(module_name='mailops.sendmail.install_files', module_args=module_args,
                                           task_vars=task_vars))
        result['triggered'] = triggered(result, triggers)
        result['sent'] = [entry['id'] for entry in module_args['files']]
        return result
