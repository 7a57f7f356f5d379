# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Render a role's template in an action plugin, byte for byte as ansible.builtin.template does.

Same search path, template variables and Jinja settings as the template action,
but without the deep copy of every variable that lookup('template') makes: with
20,000-entry maps in the inventory that copy alone costs seconds per file.
Used by the install_files action (plugin_utils/_install_plan.py).
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes, to_text

try:
    from ansible.template import trust_as_template
except ImportError:         # ansible-core < 2.19: template text is trusted as it is
    def trust_as_template(value):
        return value

try:
    # ansible-core >= 2.19 (private: guarded, with the older public function as the fallback)
    from ansible._internal._templating import _template_vars
except ImportError:
    _template_vars = None

try:
    # ansible-core < 2.19: what that release's template action uses
    from ansible.template import AnsibleEnvironment, generate_ansible_template_vars
except ImportError:
    AnsibleEnvironment = generate_ansible_template_vars = None


def _read_legacy(action, source):
    """The template's text as ansible-core < 2.19's template action reads it (a vaulted file decrypted)."""
    tmp_source = action._loader.get_real_file(source)
    try:
        with open(to_bytes(tmp_source, errors='surrogate_or_strict'), 'rb') as handle:
            try:
                return to_text(handle.read(), errors='surrogate_or_strict')
            except UnicodeError:
                raise AnsibleActionFail("Template source files must be utf-8 encoded")
    finally:
        action._loader.cleanup_tmp_file(tmp_source)


def render_template(action, name, dest, extra, task_vars):
    """The text of template ``name`` (found like template's src) for ``dest``, with ``extra`` variables."""
    source = action._find_needle('templates', name)
    searchpath = list(task_vars.get('ansible_search_path', [])) + [action._loader._basedir, os.path.dirname(source)]
    searchpath = [q for p in searchpath for q in (os.path.join(p, 'templates'), p)]
    temp_vars = task_vars.copy()
    if _template_vars is None and generate_ansible_template_vars is not None:
        # ansible-core < 2.19, as its template action does
        data = _read_legacy(action, source)
        temp_vars.update(generate_ansible_template_vars(name, source, dest))
        temp_vars.update(extra)
        templar = action._templar.copy_with_new_env(environment_class=AnsibleEnvironment, searchpath=searchpath,
                                                    newline_sequence='\n', available_variables=temp_vars)
        text = templar.do_template(data, preserve_trailing_newlines=True, escape_backslashes=False,
                                   overrides=dict(trim_blocks=True, lstrip_blocks=False))
        return '' if text is None else text
    if _template_vars is None:
        raise AnsibleActionFail('install_files: this ansible-core has no template variables function the collection '
                                'knows (see requires_ansible in the collection\'s meta/runtime.yml)')
    data = trust_as_template(action._loader.get_text_file_contents(source))
    temp_vars.update(_template_vars.generate_ansible_template_vars(
        path=name, fullpath=source, dest_path=dest, include_ansible_managed='ansible_managed' not in temp_vars))
    temp_vars.update(extra)
    templar = action._templar.copy_with_new_env(searchpath=searchpath, available_variables=temp_vars)
    text = templar.template(data, escape_backslashes=False,
                            overrides=dict(trim_blocks=True, lstrip_blocks=False, newline_sequence='\n'))
    return '' if text is None else text
