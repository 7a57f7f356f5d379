# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of mailops.sendmail.pending_files: render on the controller, compare, report.

Renders each template the way ansible.builtin.template does (same search path,
template variables and Jinja settings, so the text is byte for byte what the
template task would write) but without the deep copy of every variable that
lookup('template') makes: with 20,000-entry maps in the inventory that copy
alone costs seconds per file.
"""

from __future__ import annotations

import hashlib
import os

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.action import ActionBase

try:
    from ansible.template import trust_as_template
except ImportError:         # ansible-core < 2.19: template text is trusted as it is
    def trust_as_template(value):
        return value

try:
    from ansible._internal._templating import _template_vars
except ImportError:         # ansible-core < 2.19
    _template_vars = None

from ansible_collections.mailops.sendmail.plugins.modules.pending_files import ARGUMENT_SPEC
from ansible_collections.mailops.sendmail.plugins.plugin_utils._files import checksum_differs, file_differs


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def _render(self, name, dest, extra, task_vars):
        source = self._find_needle('templates', name)
        data = trust_as_template(self._loader.get_text_file_contents(source))
        searchpath = list(task_vars.get('ansible_search_path', [])) + [self._loader._basedir, os.path.dirname(source)]
        searchpath = [q for p in searchpath for q in (os.path.join(p, 'templates'), p)]
        temp_vars = task_vars.copy()
        if _template_vars is not None:
            temp_vars.update(_template_vars.generate_ansible_template_vars(
                path=name, fullpath=source, dest_path=dest, include_ansible_managed='ansible_managed' not in temp_vars))
        temp_vars.update(extra)
        templar = self._templar.copy_with_new_env(searchpath=searchpath, available_variables=temp_vars)
        text = templar.template(data, escape_backslashes=False,
                                overrides=dict(trim_blocks=True, lstrip_blocks=False, newline_sequence='\n'))
        return '' if text is None else text

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _valid, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        pending, seen = [], set()
        for entry in args['files']:
            if entry['id'] in seen:
                raise AnsibleActionFail('pending_files: the id %r is given twice' % entry['id'])
            seen.add(entry['id'])
            current = args['state'].get(entry['path'])
            try:
                if entry['template']:
                    text = self._render(entry['template'], entry['path'], entry['vars'], task_vars)
                    differs = file_differs(current, text, entry['owner'], entry['group'], entry['mode'])
                else:
                    with open(to_bytes(self._find_needle('files', entry['file'])), 'rb') as handle:
                        digest = hashlib.sha1(handle.read()).hexdigest()
                    differs = checksum_differs(current, digest, entry['owner'], entry['group'], entry['mode'])
            except AnsibleError as exc:
                raise AnsibleActionFail('pending_files: %s (%s): %s' % (entry['id'], entry['path'], to_text(exc)))
            if differs:
                pending.append(entry['id'])
        result.update(changed=False, pending=pending)
        return result
