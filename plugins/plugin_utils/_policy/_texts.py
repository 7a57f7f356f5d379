# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The large maps as ready text for the templates."""

from __future__ import annotations

from collections.abc import Mapping


# The maps whose entries the role writes as text (templates access.j2, virtusertable.j2, mailertable.j2, genericstable.j2,
# aliases.j2).
_MAP_LINES = {
    'access': lambda entry: f"{entry['key']}\t{entry['action']}",
    'virtusertable': lambda entry: f"{entry['address']}\t{entry['target']}",
    'mailertable': lambda entry: f"{entry['domain']}\t{entry['route']}",
    'genericstable': lambda entry: f"{entry['address']}\t{entry['target']}",
    'aliases': lambda entry: entry['line'],
}


def policy_texts(policy: Mapping) -> dict:
    """The policy of :func:`build_policy` with the large maps as ready text.

    ``access``, ``virtusertable``, ``mailertable``, ``genericstable`` and ``aliases`` are replaced by
    ``<name>_text`` (one line per entry, each ending in a newline, exactly what
    the templates wrote from the lists) and ``<name>_count``: a template then
    inserts one string instead of looping over tens of thousands of entries.
    """
    out = {key: value for key, value in policy.items() if key not in _MAP_LINES}
    for name, line in _MAP_LINES.items():
        entries = policy.get(name) or []
        out[name + '_text'] = ''.join(line(entry) + '\n' for entry in entries)
        out[name + '_count'] = len(entries)
    return out
