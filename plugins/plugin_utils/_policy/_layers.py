# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The layered merge of every map, driven by one table (_MAP_SPECS)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable

from ._access import (_access_build, _access_key)
from ansible_collections.mailops.sendmail.plugins.plugin_utils._grammar import (
    _Options,
    _as_list,
    _read_fields,
    _report,
)
from ._maps import (
    _REQUIRED_ALIASES,
    _alias_build,
    _alias_file_build,
    _alias_file_key,
    _alias_key,
    _dnsbl_build,
    _domain_build,
    _domain_key,
    _genericstable_build,
    _genericstable_key,
    _mailertable_build,
    _mailertable_key,
    _relay_domain_build,
    _relay_domain_key,
    _virtuser_build,
    _virtuser_key,
    _zone_key,
)


@dataclass(frozen=True)
class _MapSpec:
    """How one layered map is read.

    ``check_key(key) -> (folded key, problem)``: the folded key is the merge key.
    ``build(entry, folded key, options) -> (output entry, problems)``.
    """

    name: str
    key_field: str
    fields: tuple[str, ...]
    required: tuple[str, ...]
    check_key: Callable[[str], tuple[str, str | None]]
    build: Callable[[Mapping, str, _Options], tuple[Any, list[str]]]
    shorthand: bool = False
    protected: tuple[str, ...] = ()


_MAP_SPECS = (
    _MapSpec('access', 'key', ('key', 'action', 'state'), ('action',), _access_key, _access_build),
    _MapSpec('relay_domains', 'name', ('name', 'state'), (), _relay_domain_key, _relay_domain_build, shorthand=True),
    _MapSpec('local_host_names', 'name', ('name', 'state'), (), _domain_key, _domain_build, shorthand=True),
    _MapSpec('virtusertable', 'address', ('address', 'target', 'state'), ('target',),
             _virtuser_key, _virtuser_build),
    _MapSpec('mailertable', 'domain', ('domain', 'route', 'state'), ('route',), _mailertable_key,
             _mailertable_build),
    _MapSpec('genericstable', 'address', ('address', 'target', 'state'), ('target',), _genericstable_key,
             _genericstable_build),
    _MapSpec('aliases', 'name', ('name', 'members', 'state'), ('members',), _alias_key, _alias_build,
             protected=tuple(_REQUIRED_ALIASES)),
    _MapSpec('alias_files', 'path', ('path', 'members', 'owner', 'group', 'mode', 'state'), ('members',),
             _alias_file_key, _alias_file_build),
    _MapSpec('dnsbl', 'zone', ('zone', 'message', 'state'), (), _zone_key, _dnsbl_build),
)
_LAYERS = ('', 'group_', 'host_')
# The input keys of the layered maps (access, group_access, host_access, ...); sendmail_<key> in the inventory.
LAYERED_KEYS = tuple(layer + spec.name for spec in _MAP_SPECS for layer in _LAYERS)


def _entry_output(entry: Mapping, folded: str, state: Any, spec: _MapSpec,
                  opts: _Options) -> tuple[Any, list[str]]:
    """The output entry of a present entry, and the problems of any entry."""
    if state == 'absent':
        if folded in spec.protected:
            return None, [f'{folded!r} is required by RFC 5321 / sendmail and cannot be absent']
        return None, []
    if state != 'present':
        return None, [f"state must be 'present' or 'absent', got {state!r}"]
    for field in spec.required:
        if entry.get(field) is None:
            return None, [f"missing required field '{field}'"]
    return spec.build(entry, folded, opts)


def _merge_map(data: Mapping, spec: _MapSpec, opts: _Options,
               errors: list[str]) -> tuple[dict[str, tuple[tuple[str, int], Any]], dict[str, str]]:
    """Merge the three layers of one map.

    Returns ``({folded key: ((variable, index), output entry)}, {folded key: key})``: the
    present entries in first-appearance order, and the keys whose final
    state is absent.
    """
    merged: dict[str, tuple[tuple[str, int], Any]] = {}
    absent: dict[str, str] = {}
    for layer in _LAYERS:
        var = f'sendmail_{layer}{spec.name}'
        seen: dict[str, int] = {}
        for index, raw in enumerate(_as_list(data.get(layer + spec.name), var, errors)):
            entry, problems = _read_fields(raw, spec.key_field, spec.fields, spec.shorthand)
            output = None
            if entry is not None:
                key = entry[spec.key_field]
                folded, key_problem = spec.check_key(key)
                if folded in seen:
                    problems = [f'duplicate {spec.key_field} in {var} (first at index {seen[folded]})']
                else:
                    seen[folded] = index
                    state = entry.get('state', 'present')
                    output, problems = _entry_output(entry, folded, state, spec, opts)
                    if key_problem:
                        problems.insert(0, key_problem)
            if problems:
                _report(errors, f'{var}[{index}]', spec.key_field, raw, problems, spec.shorthand)
            elif state == 'absent':
                merged.pop(folded, None)
                absent[folded] = key
            else:
                merged[folded] = ((var, index), output)
                absent.pop(folded, None)
    return merged, absent
