# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of mailops.sendmail.host_state: the file table (option table) becomes paths and read_at_start here,
so the templates' variables and the list files' members it carries never travel to the host."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.mailops.sendmail.plugins.module_utils._file_table import with_table


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        args['paths'], args['read_at_start'] = with_table(args.get('paths'), args.get('read_at_start'),
                                                          args.pop('table', None))
        result.update(self._execute_module(module_name='mailops.sendmail.host_state', module_args=args,
                                           task_vars=task_vars))
        return result
