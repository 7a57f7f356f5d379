# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Names, addresses, paths and entry shapes: the grammar every map and setting shares."""

from __future__ import annotations

import difflib
import functools
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


_LABEL = r'[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
_HOSTNAME_RE = re.compile(rf'{_LABEL}(?:\.{_LABEL})*\Z')
_LABEL_RE = re.compile(rf'{_LABEL}\Z')
# An RFC 5322 dot-atom without '%', '`' and '|' (routing, m4 and pipes).
_ATOM = r"[A-Za-z0-9!#$&'*+=?^_{}~-]+"
_LOCAL_PART_RE = re.compile(rf'{_ATOM}(?:\.{_ATOM})*\Z')
# Fast paths: a plain valid address or domain needs no further diagnosis.
_ADDRESS_RE = re.compile(rf'{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*\Z')
_PLAIN_MEMBER_RE = re.compile(rf'[a-z0-9][a-z0-9._+-]*\Z|{_ADDRESS_RE.pattern}', re.IGNORECASE)
# A virtusertable target may also carry %1-style substitutions.
_TARGET_LOCAL_RE = re.compile(r"(?:[A-Za-z0-9!#$&'*+=?^_{}~.-]|%[0-9])+\Z")
_LOCAL_NAME_RE = re.compile(r'[a-z0-9][a-z0-9._+-]*\Z', re.IGNORECASE)
_IDENTIFIER_RE = re.compile(r'[A-Za-z_][A-Za-z0-9_]*\Z')
_ACCOUNT_RE = re.compile(r'(?:[A-Za-z_][A-Za-z0-9_.-]*\$?|[0-9]+)\Z')
_PATH_RE = re.compile(r'/[A-Za-z0-9._+@=~/-]*\Z')
_MODE_RE = re.compile(r'[0-7]{3,4}\Z')
_DIGITS_RE = re.compile(r'[0-9.]+\Z')
_IPV6_PREFIX_RE = re.compile(r'[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6}\Z')
_SPACE_RE = re.compile(r'\s')
_REPLY_RE = re.compile(r'([45][0-9][0-9])(?: [^\n\r\t"]*)?\Z')
_DSN_RE = re.compile(r'([245]\.[0-9]{1,3}\.[0-9]{1,3}):')

_CHAR_NAMES = {' ': 'space', '\t': 'tab', '\n': 'newline', '\r': 'carriage return'}


def _kind(value: Any) -> str:
    """A short, type-name-free description of a YAML value's kind."""
    if value is None:
        return 'null'
    for cls, name in ((bool, 'a boolean'), (str, 'a string'), (int, 'an integer'),
                      (float, 'a number'), (Mapping, 'a mapping'), ((list, tuple), 'a list')):
        if isinstance(value, cls):
            return name
    return type(value).__name__


def _char_list(chars) -> str:
    """Describe characters for a message: "' ' (space), '/'"."""
    return ', '.join(f'{ch!r} ({_CHAR_NAMES[ch]})' if ch in _CHAR_NAMES else repr(ch)
                     for ch in sorted(set(chars)))


def _whitespace(text: str) -> str:
    """The whitespace characters in ``text`` ('' when none)."""
    return ''.join(_SPACE_RE.findall(text))


def _strip_dot(name: str) -> str:
    """Drop one trailing dot (an absolute DNS name)."""
    return name[:-1] if name.endswith('.') else name


def _hostname_problem(name: str, min_labels: int = 1) -> str | None:
    """Why ``name`` is not an LDH host/domain name, or None."""
    if not name:
        return 'empty host/domain name'
    if len(name) > 253:
        return 'host/domain name longer than 253 characters'
    if _HOSTNAME_RE.match(name):
        if name.count('.') + 1 < min_labels:
            return f'needs at least {min_labels} labels (a fully qualified name)'
        return None
    bad = [ch for ch in name if not (ch.isascii() and (ch.isalnum() or ch in '.-'))]
    if bad:
        return f'not a valid host/domain name: bad characters {_char_list(bad)}'
    for label in name.split('.'):
        if not _LABEL_RE.match(label):
            if not label:
                return 'not a valid host/domain name: empty label (leading, trailing or double dot)'
            return (f'not a valid host/domain name: label {label!r} must be 1-63 letters, digits '
                    'or hyphens, not starting or ending with a hyphen')
    return 'not a valid host/domain name'  # pragma: no cover - the loop finds the label


def _address_problem(address: str, local_re=_LOCAL_PART_RE) -> str | None:
    """Why ``address`` is not ``user@domain``, or None."""
    if len(address) <= 254 and _ADDRESS_RE.match(address):
        return None
    local, _at, domain = address.rpartition('@')
    if not local:
        return f'{address!r} has an empty local part'
    if not local_re.match(local):
        return f'local part {local!r} has characters that are not allowed'
    problem = _hostname_problem(domain)
    return f'domain of {address!r}: {problem}' if problem else None


def _path_problem(path: str) -> str | None:
    """Why ``path`` is not a plain absolute file path, or None."""
    if not path.startswith('/'):
        return f'{path!r} is not an absolute path'
    if _whitespace(path):
        return f'path {path!r} contains whitespace'
    if not _PATH_RE.match(path):
        bad = [ch for ch in path if not (ch.isascii() and (ch.isalnum() or ch in '._+@=~/-'))]
        return f'path {path!r} has bad characters {_char_list(bad)}'
    if '..' in path.split('/'):
        return f"path {path!r} must not contain '..'"
    if path.endswith('/'):
        return f'path {path!r} names a directory, not a file'
    return None


def _ip(text: str):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _as_list(value: Any, var: str, errors: list[str]) -> list:
    """The list in ``var`` (None is empty); any other kind is an error."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    errors.append(f'{var}: must be a list, got {_kind(value)}')
    return []


def _unknown_fields(entry: Mapping, allowed: tuple[str, ...]) -> list[str]:
    problems = []
    for field in entry:
        if field in allowed:
            continue
        close = difflib.get_close_matches(str(field), allowed, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ''
        problems.append(f'unknown field {field!r} (allowed: {", ".join(allowed)}){hint}')
    return problems


@functools.lru_cache(maxsize=None)
def _field_set(fields: tuple[str, ...]) -> frozenset[str]:
    return frozenset(fields)


def _read_fields(raw: Any, key_field: str, fields: tuple[str, ...],
                 shorthand: bool = False) -> tuple[Mapping | None, list[str]]:
    """Check an entry's shape: (the entry, []) or (None, problems)."""
    if shorthand and isinstance(raw, str):
        return {key_field: raw}, []
    if not isinstance(raw, Mapping):
        alt = f' or a string ({key_field})' if shorthand else ''
        return None, [f'must be a mapping with fields {", ".join(fields)}{alt}, got {_kind(raw)}']
    problems = [] if raw.keys() <= _field_set(fields) else _unknown_fields(raw, fields)
    key = raw.get(key_field)
    if key is None:
        problems.append(f"missing required field '{key_field}'")
    elif not isinstance(key, str):
        problems.append(f"'{key_field}' must be a string (quote it in YAML), got {_kind(key)}")
    return (None if problems else raw), problems


def _report(errors: list[str], ref: str, key_field: str, raw: Any, problems: list[str],
            shorthand: bool = False) -> None:
    """Add one error per problem, labelled with the entry's reference and key."""
    if shorthand and isinstance(raw, str):
        key = raw
    else:
        key = raw.get(key_field) if isinstance(raw, Mapping) else None
    label = f'{ref} ({key_field} {key!r})' if isinstance(key, str) else ref
    errors.extend(f'{label}: {problem}' for problem in problems)


@dataclass(frozen=True)
class _Options:
    allow_open_relay: bool
    member_rules: Mapping[str, str | None]


# The port names a listen entry may use, as sendmail's DaemonPortOptions knows them.
_PORT_NAMES = {'smtp': 25, 'submission': 587, 'smtps': 465}


def _port(value: Any) -> tuple[int | None, str | None]:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    elif isinstance(value, str) and value in _PORT_NAMES:
        return _PORT_NAMES[value], None
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535:
        return value, None
    return None, f'port {value!r} must be 1-65535 or one of {", ".join(_PORT_NAMES)}'


def _endpoint(addr: str, port: int) -> str:
    return f'[{addr}]:{port}' if ':' in addr else f'{addr}:{port}'
