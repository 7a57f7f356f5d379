# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of mailops.sendmail.install_files: render the templates here, then one module call on the host."""

from __future__ import annotations

from ansible import constants as C
from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.mailops.sendmail.plugins.modules.install_files import ARGUMENT_SPEC
from ansible_collections.mailops.sendmail.plugins.plugin_utils._render import render_template


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _valid, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        files = []
        for entry in args['files']:
            entry = dict(entry)
            template = entry.pop('template')
            if template is not None:
                try:
                    entry['content'] = render_template(self, template, entry['path'], entry['vars'], task_vars)
                except AnsibleError as exc:
                    raise AnsibleActionFail('install_files: %s (%s): %s' % (template, entry['path'], to_text(exc)))
            entry['vars'] = {}
            files.append(entry)
        if not files:
            result.update(changed=False, changed_ids=[], backups={}, backups_removed=[], post_commands=[])
            return result
        module_args = dict(files=files, backup=args['backup'], backup_keep=args['backup_keep'],
                           diff_max_bytes=args['diff_max_bytes'] or C.MAX_FILE_SIZE_FOR_DIFF)
        result.update(self._execute_module(module_name='mailops.sendmail.install_files', module_args=module_args,
                                           task_vars=task_vars))
        return result
