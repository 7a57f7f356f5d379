# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The access map: keys by tag, actions, and which RELAY entries would open the server."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from ._grammar import (
    _DIGITS_RE,
    _DSN_RE,
    _HOSTNAME_RE,
    _IPV6_PREFIX_RE,
    _LOCAL_PART_RE,
    _OPEN_RELAY,
    _Options,
    _REPLY_RE,
    _SPACE_RE,
    _TAG_RE,
    _address_problem,
    _char_list,
    _hostname_problem,
    _kind,
    _whitespace,
)

_ACCESS_TAGS = {'connect': 'Connect:', 'from': 'From:', 'to': 'To:', 'spam': 'Spam:'}
_ACCESS_ACTIONS = ('OK', 'RELAY', 'REJECT', 'DISCARD', 'SKIP')
_SPAM_ACTIONS = ('FRIEND', 'HATER')
_ACTION_HINTS = {'ACCEPT': 'the keyword is OK', 'ALLOW': 'the keyword is OK',
                 'PERMIT': 'the keyword is OK', 'DENY': 'the keyword is REJECT',
                 'DROP': 'the keyword is DISCARD'}
_RELAY_EVERYTHING = frozenset(('0', '0.0.0.0', '*', 'ipv6:', 'ipv6:::', 'ipv6:0'))


def _split_tag(key: str) -> tuple[str | None, str]:
    """('connect', rest) for 'Connect:rest'; (None, key) when untagged."""
    match = _TAG_RE.match(key)
    if not match or match.group(1).lower() == 'ipv6':
        return None, key
    return match.group(1).lower(), key[match.end():]


def _access_key_problem(key: str) -> str | None:
    if len(key) <= 253 and _HOSTNAME_RE.match(key) and not _DIGITS_RE.match(key):
        return None  # a plain domain: the common case
    if not key:
        return 'empty key'
    if _SPACE_RE.search(key):
        return f'the key contains whitespace {_char_list(_whitespace(key))}'
    tag, rest = _split_tag(key)
    if tag is not None and tag not in _ACCESS_TAGS:
        return (f"unknown tag '{key[:len(key) - len(rest)]}' "
                f"(accepted: {', '.join(_ACCESS_TAGS.values())})")
    if not rest:
        return 'nothing after the tag'
    if '/' in rest:
        return _cidr_problem(key[:len(key) - len(rest)], rest)
    if rest[:5].lower() == 'ipv6:':
        return _ipv6_prefix_problem(rest[5:])
    if '@' in rest:
        return _access_address_problem(rest)
    if _DIGITS_RE.match(rest):
        return _ipv4_prefix_problem(rest)
    return _hostname_problem(rest)


def _cidr_problem(tag_text: str, rest: str) -> str:
    """Explain that the access map has no CIDR, with the prefix(es) to use."""
    base = 'CIDR is not supported by the access map'
    v6 = rest[:5].lower() == 'ipv6:'
    try:
        net = ipaddress.ip_network(rest[5:] if v6 else rest, strict=False)
    except ValueError:
        net = None
    if net is None or v6 != (net.version == 6):
        return f"{base}; '/' is not allowed in a key"
    if net.prefixlen == 0:
        return f'{base}; /0 would match every address'
    if not v6:
        unit, groups = 8, [str(int(part)) for part in str(net.network_address).split('.')]
        sep, lead = '.', ''
    else:
        unit, groups = 16, [format(int(part, 16), 'x') for part in net.network_address.exploded.split(':')]
        sep, lead = ':', 'IPv6:'
    if net.prefixlen % unit == 0:
        return f"{base}; use the prefix '{tag_text}{lead}{sep.join(groups[:net.prefixlen // unit])}'"
    wider = (net.prefixlen // unit + 1) * unit
    subnets = list(net.subnets(new_prefix=wider)) if wider - net.prefixlen <= 3 else []
    if not subnets or v6:
        return f'{base}; split the network into /{wider} prefixes and list each one'
    prefixes = ', '.join(
        f"'{tag_text}{'.'.join(str(s.network_address).split('.')[:wider // 8])}'" for s in subnets)
    return f'{base}; use the prefixes {prefixes}'


def _ipv4_prefix_problem(text: str) -> str | None:
    octets = text.split('.')
    if len(octets) > 4:
        return f'{text!r} has too many octets (an IPv4 address or prefix has 1 to 4)'
    for octet in octets:
        if not octet:
            return f'{text!r} has an empty octet'
        if int(octet) > 255:
            return f'octet {octet} of {text!r} is greater than 255'
        if len(octet) > 1 and octet.startswith('0'):
            return f"octet {octet!r} of {text!r} has a leading zero and would never match"
    return None


def _ipv6_prefix_problem(text: str) -> str | None:
    if not text or _IPV6_PREFIX_RE.match(text):
        return None
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return f"'IPv6:{text}' is not an IPv6 address or prefix"
    return None


def _access_address_problem(text: str) -> str | None:
    local, _, domain = text.rpartition('@')
    if '@' in local:
        return f'{text!r} has more than one @'
    if not local:
        return f"'@{domain}' is not a valid key; to match a whole domain use '{domain}'"
    if not domain:
        return None if _LOCAL_PART_RE.match(local) else f'local part {local!r} has characters that are not allowed'
    return _address_problem(text)


def _access_action_problem(action: str, key: str) -> str | None:
    if action in _ACCESS_ACTIONS:
        return None
    if action in _SPAM_ACTIONS and _split_tag(key)[0] == 'spam':
        return None
    if action in _SPAM_ACTIONS:
        return f"action {action} is only valid for 'Spam:' keys"
    if action.startswith('ERROR:'):
        return _error_action_problem(action[6:])
    upper = action.upper()
    if upper in _ACCESS_ACTIONS or upper in _SPAM_ACTIONS:
        return f'unknown action {action!r}: keywords are upper case: {upper}'
    if upper.startswith('ERROR:'):
        return f'unknown action {action!r}: keywords are upper case: ERROR:'
    if upper in _ACTION_HINTS:
        return f'unknown action {action!r}: {_ACTION_HINTS[upper]}'
    return (f'unknown action {action!r}: use one of {", ".join(_ACCESS_ACTIONS)} '
            'or ERROR:"5NN text"')


def _error_action_problem(rest: str) -> str | None:
    """Check what follows 'ERROR:': [D.S.N:]NNN text, optionally double-quoted."""
    dsn = _DSN_RE.match(rest)
    reply = rest[dsn.end():] if dsn else rest
    if reply.startswith('"'):
        if len(reply) < 2 or not reply.endswith('"'):
            return 'ERROR: reply has an unbalanced double quote'
        reply = reply[1:-1]
    match = _REPLY_RE.match(reply)
    if not match:
        bad = [ch for ch in reply if ch in '\n\r\t"']
        if bad:
            return f'ERROR: reply text must not contain {_char_list(bad)}'
        return 'ERROR: needs a reply "NNN text" with a 4xx or 5xx code, e.g. ERROR:"550 Go away"'
    if dsn and dsn.group(1)[0] != match.group(1)[0]:
        return f'ERROR: status {dsn.group(1)} does not match reply code {match.group(1)}'
    return None


def _access_opens_relay(key: str) -> bool:
    """Whether RELAY for ``key`` relays for every client or destination."""
    tag, rest = _split_tag(key)
    if tag not in (None, 'connect', 'to'):
        return False
    rest = rest.lower()
    if rest in _RELAY_EVERYTHING or '/0' in rest:
        return True
    return (bool(rest) and rest != 'localhost' and not rest.isdigit()
            and not any(ch in rest for ch in '.:@'))


def _access_key(key: str) -> tuple[str, str | None]:
    return key.lower(), _access_key_problem(key)


def _access_build(entry: Mapping, key: str, opts: _Options) -> tuple[Any, list[str]]:
    key, action = entry['key'], entry['action']
    if not isinstance(action, str):
        return None, [f"'action' must be a string, got {_kind(action)}"]
    problem = _access_action_problem(action, key)
    problems = [problem] if problem else []
    if action == 'RELAY' and not opts.allow_open_relay and _access_opens_relay(key):
        problems.append(f'RELAY for {key!r} {_OPEN_RELAY}')
    return {'key': key, 'action': action}, problems
