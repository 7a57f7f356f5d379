# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of mailops.sendmail.pending_files: render on the controller, compare, report.

Renders each template the way ansible.builtin.template does (plugin_utils/_render.py),
so the text is byte for byte what the template task would write.
"""

from __future__ import annotations

import hashlib

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.action import ActionBase

from ansible_collections.mailops.sendmail.plugins.modules.pending_files import ARGUMENT_SPEC
from ansible_collections.mailops.sendmail.plugins.plugin_utils._files import checksum_differs, file_differs, kept_attributes
from ansible_collections.mailops.sendmail.plugins.plugin_utils._render import render_template


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _valid, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        pending, seen, attributes = [], set(), {}
        for entry in args['files']:
            if entry['id'] in seen:
                raise AnsibleActionFail('pending_files: the id %r is given twice' % entry['id'])
            seen.add(entry['id'])
            current = args['state'].get(entry['path'])
            try:
                if entry['keep_attributes']:
                    want = kept_attributes(current, entry['owner'], entry['group'], entry['mode'])
                else:
                    want = dict(owner=entry['owner'], group=entry['group'], mode=entry['mode'])
                attributes[entry['id']] = want
                if entry['template']:
                    text = render_template(self, entry['template'], entry['path'], entry['vars'], task_vars)
                    differs = file_differs(current, text, want['owner'], want['group'], want['mode'])
                else:
                    with open(to_bytes(self._find_needle('files', entry['file'])), 'rb') as handle:
                        digest = hashlib.sha1(handle.read()).hexdigest()
                    differs = checksum_differs(current, digest, want['owner'], want['group'], want['mode'])
            except (AnsibleError, ValueError) as exc:
                raise AnsibleActionFail('pending_files: %s (%s): %s' % (entry['id'], entry['path'], to_text(exc)))
            if differs:
                pending.append(entry['id'])
        result.update(changed=False, pending=pending, attributes=attributes)
        return result
