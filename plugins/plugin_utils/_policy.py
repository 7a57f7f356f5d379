# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Merge and validate the policy of a sendmail server, in plain Python.

The role ``mailops.sendmail.sendmail`` calls :func:`build_policy` (through the
filter ``mailops.sendmail.sendmail_policy``) on the controller before it
changes any host.  The templates only render the merged, valid lists that
come back, so they hold no logic.

Layered maps (access, relay_domains, ...) are merged by key: the base layer
``sendmail_M``, then ``sendmail_group_M``, then ``sendmail_host_M``.  A later
entry with the same key replaces the earlier one whole, ``state: absent``
removes the key.  One table, ``_MAP_SPECS``, says per map which fields an
entry has and how its key and body are checked.

Every problem becomes one line of ``errors`` that names the variable, the
entry and the reason; all of them are collected, none stops the run.
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ['build_policy', 'check_listen', 'fqdn_errors']

# --------------------------------------------------------------------------
# Grammar shared by several checks
# --------------------------------------------------------------------------

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
_TAG_RE = re.compile(r'([A-Za-z_]+):')
_SPACE_RE = re.compile(r'\s')
_DNL_RE = re.compile(r'\bdnl\b')
_REPLY_RE = re.compile(r'([45][0-9][0-9])(?: [^\n\r\t"]*)?\Z')
_DSN_RE = re.compile(r'([245]\.[0-9]{1,3}\.[0-9]{1,3}):')

_M4_BREAKERS = {'`': 'backquote (`)', "'": "single quote (')", '\n': 'newline', '\r': 'carriage return'}
_QUOTE_NAMES = {'"': 'double quote (")', '\\': 'backslash (\\)'}
_CHAR_NAMES = {' ': 'space', '\t': 'tab', '\n': 'newline', '\r': 'carriage return'}

_OPEN_RELAY = ('would make the server an open relay; '
               'set sendmail_allow_open_relay: true to accept')


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
    local, _, domain = address.rpartition('@')
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


def _m4_problem(text: str, extra: str = '') -> str | None:
    """Why ``text`` cannot be put inside an m4 quoted argument, or None."""
    for ch in extra:
        if ch in text:
            return f'contains a {_QUOTE_NAMES.get(ch, repr(ch))}, which is not allowed here'
    for ch, name in _M4_BREAKERS.items():
        if ch in text:
            return f'contains a {name}, which would break the m4 quoting of sendmail.mc'
    if _DNL_RE.search(text):
        return "contains the m4 word 'dnl', which would cut the rest of the line from sendmail.mc"
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


# --------------------------------------------------------------------------
# access
# --------------------------------------------------------------------------

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


# --------------------------------------------------------------------------
# relay_domains, local_host_names, dnsbl (keyed by a domain)
# --------------------------------------------------------------------------

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


# --------------------------------------------------------------------------
# The layered merge, driven by one table
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class _Options:
    allow_open_relay: bool
    member_rules: Mapping[str, str | None]


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
    _MapSpec('relay_domains', 'name', ('name', 'state'), (), _domain_key, _relay_domain_build, shorthand=True),
    _MapSpec('local_host_names', 'name', ('name', 'state'), (), _domain_key, _domain_build, shorthand=True),
    _MapSpec('virtusertable', 'address', ('address', 'target', 'state'), ('target',),
             _virtuser_key, _virtuser_build),
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


# --------------------------------------------------------------------------
# listen, smart_host, features, defines, mc_extra_lines
# --------------------------------------------------------------------------

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


# --------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------

def build_policy(data: Mapping | None) -> dict:
    """Merge the layered policy maps and validate everything.

    Returns the merged, valid lists and ``errors``: one line per problem, all
    of them; the policy is usable only when ``errors`` is empty.
    """
    errors: list[str] = []
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        errors.append(f'sendmail policy: the input must be a mapping, got {_kind(data)}')
        data = {}
    opts = _options(data, errors)
    mode = data.get('mode', 'server')
    if mode not in ('server', 'client'):
        errors.append(f"sendmail_mode: must be 'server' or 'client', got {mode!r}")
    result: dict[str, Any] = {'errors': errors}
    merged = {spec.name: _merge_map(data, spec, opts, errors) for spec in _MAP_SPECS}
    for name, (entries, _absent) in merged.items():
        result[name] = [output for _label, output in entries.values()]
    result['aliases'] = _with_required_aliases(result['aliases'])
    result['alias_files_absent'] = list(merged['alias_files'][1].values())
    errors.extend(_include_errors(merged['aliases'][0], merged['alias_files'][1]))
    result['listen'] = _listen(data.get('listen'), errors)
    result['smart_host'] = _smart_host(data.get('smart_host'), errors)
    if mode == 'client' and not data.get('smart_host'):
        errors.append('sendmail_smart_host: required in client mode (sendmail_mode: client): '
                      'name the relay that takes this host\'s mail')
    result['features'] = _features(data.get('features'), opts.allow_open_relay, errors)
    result['defines'] = _defines(data.get('defines'), errors)
    result['mc_extra_lines'] = _mc_extra_lines(data.get('mc_extra_lines'), errors)
    return result


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
    host, _, port_text = local.rpartition(':')
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

    ``listen`` is the ``listen`` list of :func:`build_policy`.  Only sockets
    of processes whose name starts with ``sendmail`` count.  Returns one
    error per missing or unexpected address; empty when they match exactly.
    """
    expected, errors = {}, []
    for index, item in enumerate(listen or []):
        port = _port(item.get('port'))[0] if isinstance(item, Mapping) else None
        if port is None or not isinstance(item.get('addr'), str):
            errors.append(f'sendmail_listen[{index}]: not a validated listen entry (name, port, addr): {item!r}')
            continue
        expected[(_normal_addr(item['addr']), port)] = None
    if isinstance(ss_lines, str):
        ss_lines = ss_lines.splitlines()
    actual = {}
    mail_ports = _MAIL_PORTS | {port for _, port in expected}
    for line in ss_lines or []:
        endpoint = _ss_endpoint(str(line), mail_ports)
        if endpoint is None:
            continue
        addr, port = endpoint
        if addr == '*':  # a dual-stack IPv6 wildcard (older ss: the IPv4 one)
            addr = '0.0.0.0' if ('0.0.0.0', port) in expected and ('::', port) not in expected else '::'
        actual[(addr, port)] = None
    errors += [f'sendmail does not listen on {_endpoint(*key)} (configured in sendmail_listen)'
               for key in expected if key not in actual]
    errors += [f'sendmail listens on {_endpoint(*key)}, which sendmail_listen does not configure'
               for key in actual if key not in expected]
    return errors


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


# The maps whose entries the role writes as text (templates access.j2, virtusertable.j2, aliases.j2).
_MAP_LINES = {
    'access': lambda entry: f"{entry['key']}\t{entry['action']}",
    'virtusertable': lambda entry: f"{entry['address']}\t{entry['target']}",
    'aliases': lambda entry: entry['line'],
}


def policy_texts(policy: Mapping) -> dict:
    """The policy of :func:`build_policy` with the large maps as ready text.

    ``access``, ``virtusertable`` and ``aliases`` are replaced by
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
