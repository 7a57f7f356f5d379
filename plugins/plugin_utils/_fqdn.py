# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fqdn role's check of a host's name, address and aliases."""

from __future__ import annotations

from typing import Any

from ansible_collections.mailops.sendmail.plugins.plugin_utils._grammar import (
    _as_list,
    _hostname_problem,
    _ip,
    _kind,
)


def fqdn_errors(name: Any, ip: Any, aliases: Any = None) -> list[str]:
    """Check a host's fully qualified name, its address and its aliases."""
    errors = []
    if not isinstance(name, str):
        errors.append(f'fqdn_name: must be a string, got {_kind(name)}')
    else:
        problem = _hostname_problem(name, min_labels=2)
        if problem is None and name.rsplit('.', 1)[-1].isdigit():
            problem = 'looks like an IP address, not a host name'
        if problem:
            errors.append(f'fqdn_name ({name!r}): {problem}')
    if not isinstance(ip, str) or _ip(ip) is None:
        errors.append(f'fqdn_ip ({ip!r}): must be a literal IPv4 or IPv6 address')
    for index, alias in enumerate(_as_list(aliases, 'fqdn_aliases', errors)):
        problem = _hostname_problem(alias) if isinstance(alias, str) else f'must be a string, got {_kind(alias)}'
        if problem:
            errors.append(f'fqdn_aliases[{index}] ({alias!r}): {problem}')
    return errors
