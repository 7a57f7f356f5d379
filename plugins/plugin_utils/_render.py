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

try:
    from ansible.template import trust_as_template
except ImportError:         # ansible-core < 2.19: template text is trusted as it is
    def trust_as_template(value):
        return value

try:
    from ansible._internal._templating import _template_vars
except ImportError:         # ansible-core < 2.19
    _template_vars = None


def render_template(action, name, dest, extra, task_vars):
    """The text of template ``name`` (found like template's src) for ``dest``, with ``extra`` variables."""
    source = action._find_needle('templates', name)
    data = trust_as_template(action._loader.get_text_file_contents(source))
    searchpath = list(task_vars.get('ansible_search_path', [])) + [action._loader._basedir, os.path.dirname(source)]
    searchpath = [q for p in searchpath for q in (os.path.join(p, 'templates'), p)]
    temp_vars = task_vars.copy()
    if _template_vars is not None:
        temp_vars.update(_template_vars.generate_ansible_template_vars(
            path=name, fullpath=source, dest_path=dest, include_ansible_managed='ansible_managed' not in temp_vars))
    temp_vars.update(extra)
    templar = action._templar.copy_with_new_env(searchpath=searchpath, available_variables=temp_vars)
    text = templar.template(data, escape_backslashes=False,
                            overrides=dict(trim_blocks=True, lstrip_blocks=False, newline_sequence='\n'))
    return '' if text is None else text
