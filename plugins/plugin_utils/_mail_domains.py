# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The mail domains of a server from the layers of its local host names, as the dns_check role reads them."""

from __future__ import annotations

from collections.abc import Mapping


def mail_domains(*layers):
    """The names present after merging the layers in order (later layers win for the same name).

    An entry is a name or ``{name, state}``; ``state: absent`` drops the name. Names are compared as DNS
    compares them (case, a trailing dot); a name keeps the place of its first appearance. No validation:
    the sendmail role's does that, and the DNS checks of a server that has no sendmail policy still run.
    """
    states = {}
    for layer in layers:
        for entry in layer or []:
            name = entry.get('name') if isinstance(entry, Mapping) else entry
            state = entry.get('state', 'present') if isinstance(entry, Mapping) else 'present'
            key = '' if name is None else str(name).strip().lower()
            key = key[:-1] if key.endswith('.') else key
            if key:
                states[key] = state
    return [name for name, state in states.items() if state != 'absent']
