# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sendmail.mc settings: listen entries, the smart host, features, defines, raw lines."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ._grammar import (
    _IDENTIFIER_RE,
    _OPEN_RELAY,
    _Options,
    _as_list,
    _hostname_problem,
    _ip,
    _kind,
    _m4_problem,
    _read_fields,
    _report,
)

_PORT_NAMES = {'smtp': 25, 'submission': 587, 'smtps': 465}
_LISTEN_NAME_RE = re.compile(r'[A-Za-z0-9_-]+\Z')


def _port(value: Any) -> tuple[int | None, str | None]:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    elif isinstance(value, str) and value in _PORT_NAMES:
        return _PORT_NAMES[value], None
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535:
        return value, None
    return None, f'port {value!r} must be 1-65535 or one of {", ".join(_PORT_NAMES)}'


def _endpoint(addr: str, port: int) -> str:
    return f'[{addr}]:{port}' if ':' in addr else f'{addr}:{port}'


def _listen_entry(raw: Any, ref: str, errors: list[str]) -> dict | None:
    entry, problems = _read_fields(raw, 'name', ('name', 'port', 'addr'))
    if entry is None:
        _report(errors, ref, 'name', raw, problems)
        return None
    problems = [f"missing required field '{field}'" for field in ('port', 'addr') if entry.get(field) is None]
    if not _LISTEN_NAME_RE.match(entry['name']):
        problems.append("the name may only have letters, digits, '_' and '-'")
    port, problem = _port(entry['port']) if entry.get('port') is not None else (None, None)
    problems += [problem] if problem else []
    addr = entry.get('addr')
    ip = _ip(addr) if isinstance(addr, str) else None
    if ip is None and addr is not None:
        problems.append(f'addr {addr!r} must be a literal IPv4 or IPv6 address (not a host name, no brackets)')
    if problems:
        _report(errors, ref, 'name', raw, problems)
        return None
    return {'name': entry['name'], 'port': port, 'addr': str(ip),
            'family': 'inet' if ip.version == 4 else 'inet6'}


def _listen(value: Any, errors: list[str]) -> list[dict]:
    items = _as_list(value, 'sendmail_listen', errors)
    if not items and (value is None or isinstance(value, (list, tuple))):
        errors.append('sendmail_listen: must list at least one address for sendmail to listen on')
    result, names, endpoints = [], {}, {}
    for index, raw in enumerate(items):
        entry = _listen_entry(raw, f'sendmail_listen[{index}]', errors)
        if entry is None:
            continue
        label = f"sendmail_listen[{index}] (name {entry['name']!r})"
        key = (entry['addr'], entry['port'])
        if entry['name'] in names:
            errors.append(f"{label}: duplicate name (first at index {names[entry['name']]})")
        elif key in endpoints:
            errors.append(f'{label}: duplicate address {_endpoint(*key)} (first at index {endpoints[key]})')
        else:
            names[entry['name']] = endpoints[key] = index
            result.append((index, entry))
    errors.extend(_wildcard_overlaps(result))
    return [entry for _index, entry in result]


def _wildcard_overlaps(listen: list[tuple[int, dict]]) -> list[str]:
    """A wildcard and a specific address of one family on one port cannot
    both be bound on Linux: the second daemon would fail to start."""
    wildcards = {(e['family'], e['port']): (i, e) for i, e in listen if _ip(e['addr']).is_unspecified}
    errors = []
    for index, entry in listen:
        wild_index, wild = wildcards.get((entry['family'], entry['port']), (index, None))
        if wild_index != index:
            errors.append(f"sendmail_listen[{index}] (name {entry['name']!r}): "
                          f"{_endpoint(entry['addr'], entry['port'])} overlaps "
                          f"{_endpoint(wild['addr'], wild['port'])} of sendmail_listen[{wild_index}]; "
                          'sendmail could not bind both')
    return errors


_SMART_HOST_RE = re.compile(r'(?:(?:relay|smtp|esmtp|smtp8):)?(?P<host>.*)\Z', re.DOTALL)
_SMART_HOST_FORMS = 'use [relay:|smtp:|esmtp:|smtp8:] then host, [host], [IPv4] or [IPv6:addr]'


def _smart_host_problem(value: str) -> str | None:
    problem = _m4_problem(value)
    if problem:
        return problem
    host = _SMART_HOST_RE.match(value).group('host')
    if host.startswith('[') and host.endswith(']'):
        host = host[1:-1]
        if host[:5].lower() == 'ipv6:':
            ip = _ip(host[5:])
            return None if ip is not None and ip.version == 6 else f'{host!r} is not an IPv6 address'
        ip = _ip(host)
        if ip is not None:
            return None if ip.version == 4 else f'an IPv6 literal is written [IPv6:{host}]'
    if ':' in host:
        return f'unknown mailer or bad address: {_SMART_HOST_FORMS}'
    return _hostname_problem(host)


def _smart_host(value: Any, errors: list[str]) -> str:
    if value is None or value == '':
        return ''
    problem = (f'must be a string, got {_kind(value)}' if not isinstance(value, str)
               else _smart_host_problem(value))
    if problem:
        errors.append(f'sendmail_smart_host ({value!r}): {problem}')
        return ''
    return value


def _args(value: Any) -> tuple[list[str], list[str]]:
    if value is None:
        return [], []
    if not isinstance(value, (list, tuple)):
        return [], [f"'args' must be a list of strings, got {_kind(value)}"]
    args, problems = [], []
    for arg in value:
        if isinstance(arg, bool) or not isinstance(arg, (str, int)):
            problems.append(f'argument {arg!r} must be a string, got {_kind(arg)}')
            continue
        problem = _m4_problem(str(arg))
        if problem:
            problems.append(f'argument {str(arg)!r} {problem}')
        args.append(str(arg))
    return args, problems


def _features(value: Any, allow_open_relay: bool, errors: list[str]) -> list[dict]:
    result = []
    for index, raw in enumerate(_as_list(value, 'sendmail_features', errors)):
        entry, problems = _read_fields(raw, 'name', ('name', 'args'), shorthand=True)
        if entry is not None:
            feature, problems = _feature(entry, allow_open_relay)
        if problems:
            _report(errors, f'sendmail_features[{index}]', 'name', raw, problems, shorthand=True)
        else:
            result.append(feature)
    return result


def _feature(entry: Mapping, allow_open_relay: bool) -> tuple[dict, list[str]]:
    name = entry['name']
    args, problems = _args(entry.get('args'))
    if not _IDENTIFIER_RE.match(name):
        problems.append('not a valid feature name (letters, digits and _, not starting with a digit)')
    if name == 'promiscuous_relay' and not allow_open_relay:
        problems.append(f'FEATURE(promiscuous_relay) {_OPEN_RELAY}')
    return {'name': name, 'args': args}, problems


def _defines(value: Any, errors: list[str]) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, Mapping):
        errors.append(f'sendmail_defines: must be a mapping of name to value, got {_kind(value)}')
        return []
    result = []
    for name, raw in value.items():
        label = f'sendmail_defines[{name!r}]'
        if not isinstance(name, str) or not _IDENTIFIER_RE.match(name):
            errors.append(f'{label}: not a valid define name (letters, digits and _, not starting with a digit)')
            continue
        if isinstance(raw, bool):
            text = 'True' if raw else 'False'
        elif isinstance(raw, (str, int)):
            text = str(raw)
        else:
            errors.append(f'{label}: value must be a string, an integer or a boolean, got {_kind(raw)}')
            continue
        problem = _m4_problem(text)
        if problem:
            errors.append(f'{label}: value {text!r} {problem}')
            continue
        result.append({'name': name, 'value': text})
    return sorted(result, key=lambda item: item['name'])


def _mc_extra_lines(value: Any, errors: list[str]) -> list[str]:
    lines = []
    for index, line in enumerate(_as_list(value, 'sendmail_mc_extra_lines', errors)):
        if not isinstance(line, str):
            errors.append(f'sendmail_mc_extra_lines[{index}]: must be a string, got {_kind(line)}')
        elif '\n' in line or '\r' in line:
            errors.append(f'sendmail_mc_extra_lines[{index}] ({line!r}): contains a newline; '
                          'give each line as its own list item')
        else:
            lines.append(line)
    return lines


def _flag(data: Mapping, name: str, errors: list[str]) -> bool:
    value = data.get(name, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        errors.append(f'sendmail_{name}: must be true or false, got {value!r}')
        return False
    return value


def _options(data: Mapping, errors: list[str]) -> _Options:
    files = _flag(data, 'aliases_allow_files', errors)
    programs = _flag(data, 'aliases_allow_programs', errors)
    rules = {
        'local': None, 'address': None, 'include': None,
        'file': None if files else 'file members are refused unless sendmail_aliases_allow_files: true',
        'program': None if programs else
        'program members are refused unless sendmail_aliases_allow_programs: true',
    }
    return _Options(allow_open_relay=_flag(data, 'allow_open_relay', errors), member_rules=rules)
