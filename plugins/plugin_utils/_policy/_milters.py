# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Mail filters (milters): sendmail_milters and sendmail_input_mail_filters.

cf/README (ADDING NEW MAIL FILTERS) and the op guide (5.11, X -- Mail Filter
(Milter) Definitions) give the grammar the role accepts, no wider::

    INPUT_MAIL_FILTER(`name', `S=socket, F=flags, T=C:time;S:time;R:time;E:time')

``S=`` is ``local:/path`` (``unix:/path`` is libmilter's other name for it),
``inet:port@host`` or ``inet6:port@host``; ``F=`` is ``R`` (reject the
connection while the filter is unavailable), ``T`` (temporarily fail it) or
nothing (the mail passes unfiltered); ``T=`` holds the four timeouts, each a
sendmail time (``10s``, ``5m``, ``1h30m``; a plain number is seconds).  Each
piece is data: no m4 quote, comma, macro word or line break can reach the mc.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ansible_collections.mailops.sendmail.plugins.plugin_utils._grammar import _as_list, _hostname_problem, _ip, _kind, _path_problem, _read_fields, _report
from ._m4 import is_macro, value_problem

_NAME_RE = re.compile(r'[A-Za-z0-9_-]+\Z')
_FIELDS = ('name', 'socket', 'flags', 'timeouts', 'input')
_FLAGS = {'': 'the mail passes unfiltered while the filter is unavailable',
          'R': 'reject the connection while the filter is unavailable',
          'T': 'temporarily fail the connection while the filter is unavailable'}
# The T= fields of the op guide: C connect, S send, R read, E end of message (overall).
_TIMEOUTS = ('C', 'S', 'R', 'E')
_TIME_RE = re.compile(r'(?:[0-9]+[smhdw])*[0-9]+[smhdw]?\Z')
_SERVICE_RE = re.compile(r'[A-Za-z][A-Za-z0-9-]*\Z')
SOCKET_FORMS = 'local:/path, unix:/path, inet:port@host or inet6:port@host'


def socket_problem(socket: Any) -> str | None:
    """Why ``socket`` is not a milter socket sendmail reads (``S=``), or None."""
    if not isinstance(socket, str):
        return f'socket must be a string ({SOCKET_FORMS}), got {_kind(socket)}'
    kind, colon, rest = socket.partition(':')
    if not colon or kind not in ('local', 'unix', 'inet', 'inet6'):
        return f'socket {socket!r} must be one of {SOCKET_FORMS}'
    if kind in ('local', 'unix'):
        problem = _path_problem(rest)
        return f'socket {socket!r}: {problem}' if problem else None
    port, at, host = rest.partition('@')
    if not at:
        return f"socket {socket!r}: {kind}: needs port@host, such as {kind}:8891@localhost"
    if not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535) and not _SERVICE_RE.match(port):
        return f'socket {socket!r}: port {port!r} must be 1-65535 or a service name'
    literal = host[1:-1] if host.startswith('[') and host.endswith(']') else host
    ip = _ip(literal)
    if ip is not None:
        family = 'inet' if ip.version == 4 else 'inet6'
        return None if family == kind else f'socket {socket!r}: {host!r} is an {family} address, not {kind}'
    if literal != host:
        return f'socket {socket!r}: {host!r} is not an IP address between brackets'
    problem = _hostname_problem(host)
    return f'socket {socket!r}: {problem}' if problem else None


def _timeouts(value: Any, problems: list[str]) -> str:
    if value is None or value == {}:
        return ''
    if not isinstance(value, Mapping):
        problems.append(f'timeouts must be a mapping of C, S, R, E (connect, send, read, end of message) to '
                        f'times such as 10s or 5m, got {_kind(value)}')
        return ''
    parts = []
    for key, time in value.items():
        if key not in _TIMEOUTS:
            problems.append(f'timeouts: unknown field {key!r} (sendmail knows C connect, S send, R read, '
                            'E end of message)')
            continue
        text = str(time) if isinstance(time, int) and not isinstance(time, bool) and time >= 0 else time
        if not isinstance(text, str) or not _TIME_RE.match(text):
            problems.append(f'timeouts: {key} {time!r} must be a time such as 10s, 5m, 1h30m or a number of '
                            'seconds (units s m h d w)')
            continue
        parts.append((key, text))
    return ';'.join(f'{key}:{text}' for key, text in sorted(parts, key=lambda kv: _TIMEOUTS.index(kv[0])))


def _milter(raw: Any) -> tuple[dict | None, list[str]]:
    entry, problems = _read_fields(raw, 'name', _FIELDS)
    if entry is None:
        return None, problems
    name = entry['name']
    if not _NAME_RE.match(name) or is_macro(name):
        problems.append("the name may only have letters, digits, '_' and '-', and must not be an m4 macro name")
    problem = socket_problem(entry.get('socket')) if entry.get('socket') is not None else \
        f"missing required field 'socket' ({SOCKET_FORMS})"
    if problem:
        problems.append(problem)
    flags = entry.get('flags', '')
    flags = '' if flags is None else flags
    if flags not in _FLAGS:
        problems.append(f"flags {flags!r} must be 'R' ({_FLAGS['R']}), 'T' ({_FLAGS['T']}) or '' ({_FLAGS['']})")
    timeouts = _timeouts(entry.get('timeouts'), problems)
    use = entry.get('input', True)
    if not isinstance(use, bool):
        problems.append(f'input must be true or false, got {use!r}')
    if problems:
        return None, problems
    equates = ', '.join(part for part in (f"S={entry['socket']}", f'F={flags}' if flags else '',
                                          f'T={timeouts}' if timeouts else '') if part)
    # Each field is checked above; the whole text is held to the mc's rule as well (a socket path
    # holding the word dnl, say).
    problem = value_problem(equates)
    if problem:
        return None, [f'the equates {equates!r} {problem}']
    return {'name': name, 'equates': equates, 'input': use}, []


def milters(value: Any, order: Any, errors: list[str]) -> dict:
    """``{'filters': [{name, equates, input}], 'order': 'a, b' or ''}`` from sendmail_milters and
    sendmail_input_mail_filters; problems go to ``errors``."""
    result, seen = [], {}
    for index, raw in enumerate(_as_list(value, 'sendmail_milters', errors)):
        entry, problems = _milter(raw)
        if entry is not None and entry['name'] in seen:
            problems = [f"duplicate name (first at index {seen[entry['name']]})"]
        if problems:
            _report(errors, f'sendmail_milters[{index}]', 'name', raw, problems)
            continue
        seen[entry['name']] = index
        result.append(entry)
    names = [entry['name'] for entry in result]
    chosen = []
    for index, name in enumerate(_as_list(order, 'sendmail_input_mail_filters', errors)):
        if name not in names:
            errors.append(f'sendmail_input_mail_filters[{index}] ({name!r}): not a milter of sendmail_milters '
                          f"(declared: {', '.join(names) or 'none'})")
        elif name in chosen:
            errors.append(f'sendmail_input_mail_filters[{index}] ({name!r}): listed twice')
        else:
            chosen.append(name)
    return {'filters': result, 'order': ', '.join(chosen)}
