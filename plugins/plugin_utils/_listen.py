# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where sendmail listens: ss output against the validated listen entries."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible_collections.mailops.sendmail.plugins.plugin_utils._grammar import _endpoint, _ip, _port


# Ports whose listeners count as sendmail's when ss cannot name the process.
_MAIL_PORTS = frozenset((25, 465, 587))


def _ss_endpoint(line: str, mail_ports: frozenset = _MAIL_PORTS) -> tuple[str, int] | None:
    """(addr, port) of a sendmail socket in one line of ``ss -ltnpH``, else None.

    Where ss cannot read the owner of a socket (sendmail's /proc entries are
    not readable in some containers) the line has no ``users:`` column; such a
    socket counts when its port is in ``mail_ports``.
    """
    fields = line.split()
    proc = next((i for i, field in enumerate(fields) if field.startswith('users:(')), None)
    if proc is None:
        if len(fields) < 5 or fields[0] != 'LISTEN':
            return None
        local = fields[3]
    else:
        names = re.findall(r'\("([^"]*)"', ' '.join(fields[proc:]))
        if proc < 2 or not any(name.startswith('sendmail') for name in names):
            return None
        local = fields[proc - 2]
    host, _colon, port_text = local.rpartition(':')
    port = _port(port_text)[0]
    if port is None or (proc is None and port not in mail_ports):
        return None
    host = host.split('%')[0].strip('[]')
    return (host if host == '*' else _normal_addr(host)), port


def _normal_addr(addr: str) -> str:
    """The canonical text of an IP address ('::0001' -> '::1'); others unchanged."""
    ip = _ip(addr)
    return str(ip) if ip is not None else addr


def check_listen(listen: list | None, ss_lines: list[str] | str | None) -> list[str]:
    """Compare where sendmail listens (``ss -ltnpH`` lines) with ``listen``.

    ``listen`` is the ``listen`` list of :func:`build_policy` (the DAEMON_OPTIONS of
    ``sendmail_mc_extra_lines`` included; an entry with the ``O`` modifier may be
    missing).  Only sockets
    of processes whose name starts with ``sendmail`` count.  Returns one
    error per missing or unexpected address; empty when they match exactly.
    """
    expected, errors = {}, []
    for index, item in enumerate(listen or []):
        port = _port(item.get('port'))[0] if isinstance(item, Mapping) else None
        if port is None or not isinstance(item.get('addr'), str):
            errors.append(f'sendmail_listen[{index}]: not a validated listen entry (name, port, addr): {item!r}')
            continue
        # Where the entry came from, and whether it may be missing (M=O of a listen entry: sendmail
        # carries on without a socket it cannot open).
        source = 'sendmail_mc_extra_lines' if item.get('raw') else 'sendmail_listen'
        optional = not item.get('raw') and 'O' in (item.get('modifiers') or '')
        expected[(_normal_addr(item['addr']), port)] = (source, optional)
    if isinstance(ss_lines, str):
        ss_lines = ss_lines.splitlines()
    actual = {}
    mail_ports = _MAIL_PORTS | {port for _addr, port in expected}
    for line in ss_lines or []:
        endpoint = _ss_endpoint(str(line), mail_ports)
        if endpoint is None:
            continue
        addr, port = endpoint
        if addr == '*':  # a dual-stack IPv6 wildcard (older ss: the IPv4 one)
            addr = '0.0.0.0' if ('0.0.0.0', port) in expected and ('::', port) not in expected else '::'
        actual[(addr, port)] = None
    errors += [f'sendmail does not listen on {_endpoint(*key)} (configured in {source})'
               for key, (source, optional) in expected.items() if key not in actual and not optional]
    errors += [f'sendmail listens on {_endpoint(*key)}, which sendmail_listen does not configure'
               for key in actual if key not in expected]
    return errors
