# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The access map, tag by tag, as sendmail 8.17's cf/README describes it.

Each tag sendmail (or a feature users may switch on) looks up has one row in
``_TAGS``: which kinds of key it takes after the tag (a host, domain or IP
network; an address; nothing, for the tag's default entry) and how its value
is checked (actions, numbers, TLS requirements, AuthInfo tokens).  Keys whose
tag is named by a ``CITag:`` extension of a TLS entry (issuer DNs with OK) are
checked across entries by :func:`access_cross_errors`.  RELAY values go to the
one open-relay judgement in ``_relay``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable

from ansible_collections.mailops.sendmail.plugins.plugin_utils._grammar import (
    _DIGITS_RE,
    _DSN_RE,
    _HOSTNAME_RE,
    _IPV6_PREFIX_RE,
    _LOCAL_PART_RE,
    _Options,
    _REPLY_RE,
    _SPACE_RE,
    _address_problem,
    _char_list,
    _hostname_problem,
    _kind,
    _whitespace,
)
from ._relay import OPEN_RELAY, access_relay_problem

_TAG_RE = re.compile(r'([A-Za-z][A-Za-z0-9_]*):')
_ACTIONS = ('OK', 'RELAY', 'REJECT', 'DISCARD', 'SKIP')
_ACTION_HINTS = {'ACCEPT': 'the keyword is OK', 'ALLOW': 'the keyword is OK',
                 'PERMIT': 'the keyword is OK', 'DENY': 'the keyword is REJECT',
                 'DROP': 'the keyword is DISCARD'}
_BARE_REPLY_RE = re.compile(r'"?[45][0-9][0-9] ')
_NUMBER_RE = re.compile(r'[0-9]+\Z')
_FEATURE_FLAGS_RE = re.compile(r'[A-Za-z]+(?: [A-Za-z]+)*\Z')
_TLS_BASE_RE = re.compile(r'(?:(?:TEMP|PERM)\+)?(?:VERIFY(?::[0-9]+)?|ENCR:[0-9]+)')
_TLS_EXT_RE = re.compile(r'CN(?::[^\s+]+)?|CS:[^\s+]+|CI:[^\s+]+|CITag:([A-Za-z][A-Za-z0-9_]*)')
_TLS_FEATURES_RE = re.compile(r'(?:(?:Options|CipherList|CipherSuites|CertFile|KeyFile|Flags)=[^;]*;\s*)*'
                              r'(?:(?:Options|CipherList|CipherSuites|CertFile|KeyFile|Flags)=[^;]*;?)?\Z')
_AUTHINFO_TOKEN_RE = re.compile(r'"([UIPRM])([:=])([^"]*)"')
_DN_RE = re.compile(r'/[!-~]*\Z')
_QGRP_RE = re.compile(r'[A-Za-z0-9_]+\Z')


def _split_tag(key: str) -> tuple[str | None, str]:
    """('connect', rest) for 'Connect:rest'; (None, key) when untagged."""
    match = _TAG_RE.match(key)
    if not match or match.group(1).lower() == 'ipv6':
        return None, key
    return match.group(1).lower(), key[match.end():]


# --------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------

def _host_key_problem(tag_text: str, rest: str) -> str | None:
    """A host or domain name, an IPv4 or IPv6 network, or a [host literal]."""
    if '/' in rest:
        return _cidr_problem(tag_text, rest)
    if rest.startswith('['):
        return _literal_problem(rest)
    if rest[:5].lower() == 'ipv6:':
        return _ipv6_prefix_problem(rest[5:])
    if _DIGITS_RE.match(rest):
        return _ipv4_prefix_problem(rest)
    return _hostname_problem(rest)


def _literal_problem(rest: str) -> str | None:
    """[1.2.3.4], [1.2.4] or [IPv6:...]: ${client_name} of a client whose address has no name."""
    if not rest.endswith(']'):
        return f"{rest!r} opens a '[' it does not close"
    inner = rest[1:-1]
    if inner[:5].lower() == 'ipv6:':
        return _ipv6_prefix_problem(inner[5:])
    if _DIGITS_RE.match(inner):
        return _ipv4_prefix_problem(inner)
    return f"{rest!r}: brackets hold an IPv4 or IPv6: address"


def _address_key_problem(tag_text: str, rest: str) -> str | None:
    """user@domain, user@ (a local part anywhere), or anything a host key takes."""
    if '@' in rest:
        return _access_address_problem(rest)
    return _host_key_problem(tag_text, rest)


def _dn_problem(tag_text: str, rest: str) -> str | None:
    if _DN_RE.match(rest):
        return None
    return f"{rest!r} is not a distinguished name as sendmail writes it ('/C=../O=../CN=..', no spaces)"


def _compat_problem(tag_text: str, rest: str) -> str | None:
    sender, sep, recipient = rest.partition('<@>')
    if not sep:
        return "a Compat: key is 'sender<@>recipient'"
    for part in (sender, recipient):
        problem = _access_address_problem(part) if '@' in part else _hostname_problem(part)
        if problem:
            return problem
    return None


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
    local, _at, domain = text.rpartition('@')
    if '@' in local:
        return f'{text!r} has more than one @'
    if not local:
        return f"'@{domain}' is not a valid key; to match a whole domain use '{domain}'"
    if not domain:
        return None if _LOCAL_PART_RE.match(local) else f'local part {local!r} has characters that are not allowed'
    return _address_problem(text)


# --------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------

def _reply_problem(value: str) -> str | None:
    """ERROR:..., QUARANTINE:text, or the deprecated bare '### text' / '"### text"'."""
    if value.startswith('ERROR:'):
        return _error_action_problem(value[6:])
    if value.startswith('QUARANTINE:'):
        return None if value[11:].strip() else 'QUARANTINE: needs a reason text'
    if _BARE_REPLY_RE.match(value):
        return _error_action_problem(value)
    if value in ('FRIEND', 'HATER'):
        return f"action {value} is only valid for 'Spam:' keys"
    return None if value in _ACTIONS else _unknown_action(value, _ACTIONS)


def _unknown_action(value: str, allowed: tuple[str, ...]) -> str:
    upper = value.upper()
    if upper in allowed:
        return f'unknown action {value!r}: keywords are upper case: {upper}'
    if upper.startswith(('ERROR:', 'QUARANTINE:')):
        return f'unknown action {value!r}: keywords are upper case: {upper.split(":")[0]}:'
    if upper in _ACTION_HINTS:
        return f'unknown action {value!r}: {_ACTION_HINTS[upper]}'
    return f'unknown action {value!r}: use one of {", ".join(allowed)}, ERROR:"5NN text" or QUARANTINE:reason'


def _action_value(value: str, key_kind: str) -> str | None:
    if value == 'SKIP' and key_kind == 'address':
        return "SKIP can only be used for host/domain names and IP networks, not for an address"
    return _reply_problem(value)


def _spam_value(value: str, key_kind: str) -> str | None:
    if value == 'FRIEND':
        return None
    if value == 'HATER':
        return ("the role runs FEATURE(`delay_checks', `friend'), which reads only FRIEND entries; "
                'a HATER entry would be ignored')
    return f"a Spam: entry takes FRIEND (FEATURE(`delay_checks', `friend')), got {value!r}"


def _number_value(value: str, key_kind: str) -> str | None:
    if _NUMBER_RE.match(value):
        return None
    return f'the value must be a whole number >= 0 (0 = no limit or no pause), got {value!r}'


def _try_tls_value(value: str, key_kind: str) -> str | None:
    return None if value == 'NO' else f"a Try_TLS: entry turns STARTTLS off with NO, got {value!r}"


def _features_value(value: str, key_kind: str) -> str | None:
    if _FEATURE_FLAGS_RE.match(value):
        return None
    return f'the value is a list of feature letters (see the op guide), e.g. "v" or "V M", got {value!r}'


def _tls_value(value: str, key_kind: str) -> str | None:
    """[TEMP+|PERM+]VERIFY[:bits]|ENCR:bits, then +ext++ext (CN, CN:name, CS:name, CI:name, CITag:tag)."""
    base = _TLS_BASE_RE.match(value)
    rest = value[base.end():] if base else None
    if base is None or (rest and not rest.startswith('+')):
        return ('a TLS requirement is [TEMP+|PERM+]VERIFY, VERIFY:bits or ENCR:bits, optionally followed '
                f'by +CN, +CN:name, +CS:name, +CI:name or +CITag:tag (joined with ++), got {value!r}')
    for ext in rest[1:].split('++') if rest else ():
        if not _TLS_EXT_RE.fullmatch(ext):
            return f'unknown TLS extension {ext!r} in {value!r} (CN, CN:name, CS:name, CI:name, CITag:tag)'
    return None


def _tls_features_value(value: str, key_kind: str) -> str | None:
    if _TLS_FEATURES_RE.match(value) and value:
        return None
    return ('the value is a list of Options=, CipherList=, CipherSuites=, CertFile=, KeyFile= or Flags= '
            f'settings, each ending in ";", got {value!r}')


def _authinfo_value(value: str, key_kind: str) -> str | None:
    """"U:user" "I:authid" "P:secret" "R:realm" "M:MECH ..." (':' text, '=' base64)."""
    tokens = _AUTHINFO_TOKEN_RE.findall(value)
    if not tokens or _AUTHINFO_TOKEN_RE.sub('', value).strip():
        return ('an AuthInfo: value is a list of "T:text" or "T=base64" tokens with T one of U, I, P, R, M, '
                'each in double quotes')
    tags = [tag for tag, _sep, _text in tokens]
    if len(set(tags)) != len(tags):
        return 'an AuthInfo: value names a token (U, I, P, R, M) twice'
    if 'P' not in tags or not {'U', 'I'} & set(tags):
        return 'an AuthInfo: value needs a user ("U:" or "I:") and a password ("P:")'
    return None


def _certissuer_value(value: str, key_kind: str) -> str | None:
    return None if value in ('RELAY', 'SUBJECT', 'OK') else f'the value is RELAY or SUBJECT, got {value!r}'


def _certsubject_value(value: str, key_kind: str) -> str | None:
    return None if value in ('RELAY', 'OK') else f'the value is RELAY, got {value!r}'


def _compat_value(value: str, key_kind: str) -> str | None:
    if value == 'DISCARD' or value.startswith(('DISCARD:', 'TEMP:', 'ERROR:')):
        return None
    return f'the value is DISCARD, DISCARD:text, TEMP:text or ERROR:text, got {value!r}'


def _qgrp_value(value: str, key_kind: str) -> str | None:
    return None if _QGRP_RE.match(value) else f'the value is a queue group name, got {value!r}'


def _bcc_value(value: str, key_kind: str) -> str | None:
    problem = _address_problem(value) if '@' in value else _hostname_problem(value)
    return f'the value is the address to send the copy to: {problem}' if problem else None


def _citag_value(value: str, key_kind: str) -> str | None:
    return None if value == 'OK' else f'a CITag entry (issuer DN) takes OK, got {value!r}'


@dataclass(frozen=True)
class _Tag:
    """One access tag: how sendmail spells it, its key checker, its value checker, whether the
    tag alone (an empty key: the default entry) is looked up."""

    name: str
    key: Callable[[str, str], str | None]
    value: Callable[[str, str], str | None]
    default: bool = False


_TAGS = {tag.name.lower(): tag for tag in (
    _Tag('Connect', _host_key_problem, _action_value),
    _Tag('From', _address_key_problem, _action_value),
    _Tag('To', _address_key_problem, _action_value),
    _Tag('Spam', _address_key_problem, _spam_value),
    _Tag('GreetPause', _host_key_problem, _number_value),
    _Tag('ClientRate', _host_key_problem, _number_value, default=True),
    _Tag('ClientConn', _host_key_problem, _number_value, default=True),
    _Tag('Try_TLS', _host_key_problem, _try_tls_value, default=True),
    _Tag('Srv_Features', _host_key_problem, _features_value, default=True),
    _Tag('Clt_Features', _host_key_problem, _features_value, default=True),
    _Tag('TLS_Srv', _host_key_problem, _tls_value, default=True),
    _Tag('TLS_Clt', _host_key_problem, _tls_value, default=True),
    _Tag('TLS_Rcpt', _address_key_problem, _tls_value, default=True),
    _Tag('TLS_Srv_Features', _host_key_problem, _tls_features_value, default=True),
    _Tag('TLS_Clt_Features', _host_key_problem, _tls_features_value, default=True),
    _Tag('AuthInfo', _host_key_problem, _authinfo_value, default=True),
    _Tag('CERTISSUER', _dn_problem, _certissuer_value),
    _Tag('CERTSUBJECT', _dn_problem, _certsubject_value),
    _Tag('Compat', _compat_problem, _compat_value),
    _Tag('QGRP', _address_key_problem, _qgrp_value),
    _Tag('bcc', _address_key_problem, _bcc_value),
)}
_UNTAGGED = _Tag('', _address_key_problem, _action_value)
# A tag no row knows, whose key is an issuer DN: valid when a TLS entry names it with CITag:.
_CITAG = _Tag('CITag', _dn_problem, _citag_value)
_TAG_NAMES = ', '.join(f'{tag.name}:' for tag in _TAGS.values())


def _tag_of(key: str) -> tuple[_Tag | None, str, str | None]:
    """(the tag's row, the rest of the key, problem)."""
    tag, rest = _split_tag(key)
    if tag is None:
        return _UNTAGGED, rest, None
    row = _TAGS.get(tag)
    if row is not None:
        return row, rest, None
    if rest.startswith('/'):
        return _CITAG, rest, None
    return None, rest, f"unknown tag '{key[:len(key) - len(rest)]}' (sendmail's tags: {_TAG_NAMES})"


def _access_key_problem(key: str) -> str | None:
    if len(key) <= 253 and _HOSTNAME_RE.match(key) and not _DIGITS_RE.match(key):
        return None  # a plain domain: the common case
    if not key:
        return 'empty key'
    if _SPACE_RE.search(key):
        return f'the key contains whitespace {_char_list(_whitespace(key))}'
    row, rest, problem = _tag_of(key)
    if problem:
        return problem
    if not rest:
        return None if row.default else f'nothing after the tag (only these tags have a default entry: ' \
            f"{', '.join(t.name + ':' for t in _TAGS.values() if t.default)})"
    return row.key(key[:len(key) - len(rest)], rest)


def _access_key(key: str) -> tuple[str, str | None]:
    return key.lower(), _access_key_problem(key)


def _access_build(entry: Mapping, key: str, opts: _Options) -> tuple[Any, list[str]]:
    key, action = entry['key'], entry['action']
    if isinstance(action, int) and not isinstance(action, bool):
        action = str(action)  # ClientRate:/ClientConn:/GreetPause: numbers
    if not isinstance(action, str):
        return None, [f"'action' must be a string, got {_kind(action)}"]
    row, rest, _problem = _tag_of(key)
    row = row or _UNTAGGED
    secret = row.name == 'AuthInfo' or looks_like_authinfo(action)
    if '\n' in action or '\r' in action or '\0' in action:
        # An AuthInfo value holds a password: never repeat it in a message.
        shown = 'of this entry (AuthInfo tokens, not shown)' if secret else repr(action)
        return None, [f'the value {shown} contains a line break or NUL, which would start another map line']
    kind = 'address' if '@' in rest else 'host'
    problem = row.value(action, kind)
    if problem and secret and row.name != 'AuthInfo':
        # AuthInfo tokens under another (mistyped) tag: the other tag's message would quote the password.
        problem = "the value is made of AuthInfo tokens (not shown here); an AuthInfo entry is keyed 'AuthInfo:host'"
    problems = [problem] if problem else []
    if action == 'RELAY' and not opts.allow_open_relay:
        opens = access_relay_problem(None if row is _UNTAGGED else row.name.lower(), rest)
        if opens:
            problems.append(f'RELAY for {key!r}: {opens}: it {OPEN_RELAY}')
    return {'key': key, 'action': action}, problems


def looks_like_authinfo(value: str) -> bool:
    """Whether an access value is made of AuthInfo tokens ("U:user" "P:secret" ...), whatever its key."""
    return bool(_AUTHINFO_TOKEN_RE.search(value))


def access_cross_errors(entries: Mapping[str, tuple[tuple[str, int], dict]]) -> list[str]:
    """Entries whose tag is not sendmail's but an issuer-DN tag that no TLS entry names with CITag:."""
    rows = [(ref, entry, _tag_of(entry['key'])[0]) for ref, entry in entries.values()]
    named = set()
    for _ref, entry, row in rows:
        if row is not None and row.value is _tls_value:
            named.update(tag.lower() for tag in re.findall(r'CITag:([A-Za-z][A-Za-z0-9_]*)', entry['action']))
    errors = []
    for (var, index), entry, row in rows:
        if row is _CITAG and _split_tag(entry['key'])[0] not in named:
            errors.append(f"{var}[{index}] (key {entry['key']!r}): unknown tag '{entry['key'].split(':')[0]}:' "
                          f"(sendmail's tags: {_TAG_NAMES}; a tag of your own is a CITag: named by a "
                          'TLS_Srv:/TLS_Clt:/TLS_Rcpt: entry)')
    return errors


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
