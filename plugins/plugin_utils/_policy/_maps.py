# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""relay-domains, local-host-names, the DNSBL list, virtusertable, aliases and list files."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Any

from ._grammar import (
    _ACCOUNT_RE,
    _ADDRESS_RE,
    _LABEL_RE,
    _LOCAL_NAME_RE,
    _MODE_RE,
    _OPEN_RELAY,
    _Options,
    _PLAIN_MEMBER_RE,
    _TARGET_LOCAL_RE,
    _address_problem,
    _hostname_problem,
    _kind,
    _m4_problem,
    _path_problem,
    _strip_dot,
    _whitespace,
)


def _domain_key(name: str) -> tuple[str, str | None]:
    folded = _strip_dot(name).lower()
    return folded, _hostname_problem(folded)


def _zone_key(zone: str) -> tuple[str, str | None]:
    folded = _strip_dot(zone).lower()
    return folded, _hostname_problem(folded, min_labels=2)


def _domain_build(entry: Mapping, key: str, opts: _Options) -> tuple[Any, list[str]]:
    return key, []


def _relay_domain_build(entry: Mapping, key: str, opts: _Options) -> tuple[Any, list[str]]:
    name = entry['name'].strip()
    opens = name in ('*', '.') or (key != 'localhost' and not key.isdigit() and bool(_LABEL_RE.match(key)))
    if opens and not opts.allow_open_relay:
        return key, [f'relaying for {name!r} {_OPEN_RELAY}']
    return key, []


_DNSBL_MACRO_RE = re.compile(r'(\$&\{client_(?:addr|name)\})')
_DNSBL_CODE_RE = re.compile(r'[45][0-9][0-9] ')


def _dnsbl_build(entry: Mapping, key: str, opts: _Options) -> tuple[Any, list[str]]:
    message = entry.get('message')
    if message is None or message == '':
        message = f'550 5.7.1 Rejected: $&{{client_addr}} listed at {key}'
    if not isinstance(message, str):
        return None, [f"'message' must be a string, got {_kind(message)}"]
    problem = _m4_problem(message, extra='"\\')
    if problem is None and '$' in _DNSBL_MACRO_RE.sub('', message):
        problem = "contains a '$' outside the macros $&{client_addr} and $&{client_name}"
    if problem is None and not _DNSBL_CODE_RE.match(message):
        problem = 'does not start with a 4xx or 5xx reply code and a space'
    if problem:
        return None, [f'message {message!r} {problem}']
    parts = [part for part in _DNSBL_MACRO_RE.split(message) if part]
    mc = ' '.join(part if _DNSBL_MACRO_RE.fullmatch(part) else f'"{part}"' for part in parts)
    return {'zone': key, 'message': message, 'mc': mc}, []


# --------------------------------------------------------------------------
# virtusertable
# --------------------------------------------------------------------------

_SYSEXITS = ('nouser', 'nohost', 'unavailable', 'tempfail', 'noperm', 'config', 'dataerr',
             'usage', 'protocol', 'software', 'oserr', 'osfile', 'cantcreat', 'ioerr', 'noinput')
_VIRTUSER_ERROR_RE = re.compile(
    rf'error:(?:{"|".join(_SYSEXITS)}|[45]\.[0-9]{{1,3}}\.[0-9]{{1,3}}:[45][0-9][0-9]|[45][0-9][0-9])'
    r'(?: [^\n\r\t]*)?\Z', re.IGNORECASE)


def _virtuser_key(address: str) -> tuple[str, str | None]:
    folded = address.lower()
    if _ADDRESS_RE.match(folded):
        return folded, None
    if '@' not in folded:
        return folded, f"address {address!r} must be 'user@domain' or '@domain' (catch-all)"
    if folded.startswith('@'):
        problem = _hostname_problem(folded[1:])
        return folded, f'domain of {address!r}: {problem}' if problem else None
    return folded, _address_problem(folded)


def _virtuser_target_problem(target: str) -> str | None:
    if _LOCAL_NAME_RE.match(target) or _ADDRESS_RE.match(target):
        return None
    if target[:6].lower() == 'error:':
        if _VIRTUSER_ERROR_RE.match(target):
            return None
        return (f'target {target!r}: error: needs a sysexits name ({", ".join(_SYSEXITS)}), '
                "'D.S.N:NNN' or 'NNN', then optional text, e.g. 'error:nouser User unknown'")
    if _whitespace(target):
        return f'target {target!r} contains whitespace'
    if target.startswith(('|', '/', ':include:')):
        return f'target {target!r}: programs, files and :include: are not allowed in the virtusertable'
    if '@' in target:
        problem = _address_problem(target, _TARGET_LOCAL_RE)
        return f'target {target!r}: {problem}' if problem else None
    if '%' in target and _TARGET_LOCAL_RE.match(target):
        return None
    return f'target {target!r} is not a local user, an address or error:...'


def _virtuser_build(entry: Mapping, key: str, opts: _Options) -> tuple[Any, list[str]]:
    target = entry['target']
    if not isinstance(target, str):
        return None, [f"'target' must be a string, got {_kind(target)}"]
    problem = _virtuser_target_problem(target)
    return {'address': key, 'target': target}, [problem] if problem else []


# --------------------------------------------------------------------------
# aliases and alias_files (members)
# --------------------------------------------------------------------------

_REQUIRED_ALIASES = {'mailer-daemon': ['postmaster'], 'postmaster': ['root']}
_LIST_FILE_REFUSAL = 'only local users and addresses are allowed in an :include: list file'
# Member kind -> None when allowed, else why it is refused.
_LIST_FILE_MEMBERS = {'local': None, 'address': None, 'include': _LIST_FILE_REFUSAL,
                      'file': _LIST_FILE_REFUSAL, 'program': _LIST_FILE_REFUSAL}


def _flatten(value: Any, out: list[Any]) -> list[Any]:
    if isinstance(value, (list, tuple)):
        for item in value:
            _flatten(item, out)
    else:
        out.append(value)
    return out


def _classify_member(member: str) -> tuple[str, str, str | None]:
    """(kind, rendered member, problem) for one alias member."""
    if not member:
        return 'local', member, 'empty member'
    if member.startswith('"|') and member.endswith('"') and len(member) > 2:
        member = member[1:-1]
    if member.startswith('|'):
        bad = [ch for ch in member if ch in '"\n\r\t']
        if len(member) == 1 or bad:
            return 'program', member, 'a program member needs a command without double quotes, tabs or newlines'
        return 'program', f'"{member}"', None
    if '\n' in member or '\r' in member:
        return 'local', member, 'contains a newline'
    if ',' in member:
        return 'local', member, 'contains a comma; commas separate members, list each member separately'
    if member.startswith(':include:'):
        return 'include', member, _path_problem(member[9:])
    if ':' in member:
        return 'local', member, "contains a colon (only ':include:/path' members may)"
    if _whitespace(member):
        return 'local', member, 'contains whitespace (only program members may)'
    if member.startswith('/'):
        return 'file', member, _path_problem(member)
    if '@' in member:
        return 'address', member, _address_problem(member)
    name = member[1:] if member.startswith('\\') else member
    if _LOCAL_NAME_RE.match(name):
        return 'local', member, None
    return 'local', member, 'not a valid local user or alias name'


def _members(value: Any, rules: Mapping[str, str | None]) -> tuple[list[str], list[str]]:
    """Flatten and check members; ``rules`` maps each member kind to None
    (allowed) or the reason it is refused."""
    if isinstance(value, str):
        items = value.split(',')
    elif isinstance(value, (list, tuple)):
        items = value if all(isinstance(item, str) for item in value) else _flatten(value, [])
    else:
        return [], [f"'members' must be a list or a comma-separated string, got {_kind(value)}"]
    members, problems = [], []
    for item in items:
        if not isinstance(item, str):
            problems.append(f'member {item!r} must be a string, got {_kind(item)}')
            continue
        item = item.strip()
        if _PLAIN_MEMBER_RE.match(item):  # a local name or an address: allowed everywhere
            members.append(item)
            continue
        kind, rendered, problem = _classify_member(item)
        problem = problem or rules[kind]
        if problem:
            problems.append(f'member {item!r}: {problem}')
        members.append(rendered)
    if not items:
        problems.append('needs at least one member')
    return members, problems


def _alias_key(name: str) -> tuple[str, str | None]:
    folded = name.lower()
    if _LOCAL_NAME_RE.match(folded):
        return folded, None
    return folded, ('not a valid alias name: letters, digits and . _ + - only, '
                    'starting with a letter or digit (no spaces, colons or newlines)')


def _alias_build(entry: Mapping, key: str, opts: _Options) -> tuple[Any, list[str]]:
    members, problems = _members(entry['members'], opts.member_rules)
    return {'name': key, 'members': members, 'line': f'{key}: {",".join(members)}'}, problems


def _with_required_aliases(aliases: list[dict]) -> list[dict]:
    present = {alias['name'] for alias in aliases}
    added = [{'name': name, 'members': list(members), 'line': f'{name}: {",".join(members)}'}
             for name, members in _REQUIRED_ALIASES.items() if name not in present]
    return added + aliases


def _alias_file_key(path: str) -> tuple[str, str | None]:
    problem = _path_problem(path)
    if problem is None:
        norm = posixpath.normpath(path)
        if norm == '/etc/mail' or norm.startswith('/etc/mail/'):
            problem = f'path {path!r} is under /etc/mail, which sendmail owns; use e.g. /etc/mail-lists'
    return path, problem


def _alias_file_build(entry: Mapping, key: str, opts: _Options) -> tuple[Any, list[str]]:
    members, problems = _members(entry['members'], _LIST_FILE_MEMBERS)
    out = {'path': key, 'members': members}
    for field in ('owner', 'group'):
        value = 'root' if entry.get(field) is None else entry[field]
        if not isinstance(value, str) or not _ACCOUNT_RE.match(value):
            problems.append(f'{field} {value!r} is not a user/group name')
        out[field] = value
    mode = '0644' if entry.get('mode') is None else entry['mode']
    if isinstance(mode, int):
        problems.append("mode must be a quoted string such as '0644' (YAML reads 0644 as the number 420), "
                        f'got {mode!r}')
    elif not isinstance(mode, str) or not _MODE_RE.match(mode):
        problems.append(f'mode {mode!r} must be 3 or 4 octal digits, e.g. \'0644\'')
    out['mode'] = mode
    return out, problems


def _include_errors(aliases: Mapping[str, tuple[tuple[str, int], dict]],
                    removed: Mapping[str, str]) -> list[str]:
    """Aliases that :include: a list file that sendmail_alias_files removes."""
    errors: list[str] = []
    if not removed:
        return errors
    for (var, index), alias in aliases.values():
        for member in alias['members']:
            if member.startswith(':include:') and member[9:] in removed:
                errors.append(f"{var}[{index}] (name {alias['name']!r}): member {member!r} includes a file "
                              'that sendmail_alias_files removes (state: absent)')
    return errors
