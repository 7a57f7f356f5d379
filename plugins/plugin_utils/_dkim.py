# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The DKIM signing settings of the role mailops.sendmail.dkim (OpenDKIM), checked on the controller.

Every value ends up in a file OpenDKIM reads line by line and field by field (KeyTable, SigningTable,
InternalHosts), so each is held to a grammar that keeps it one field of one line: no whitespace, no
'#', no ':' where the KeyTable separates its fields with it.  The private keys are never part of the
result: only whether the inventory holds one.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from ansible_collections.mailops.sendmail.plugins.plugin_utils._grammar import (
    _hostname_problem,
    _kind,
    _path_problem,
)

_KEY_FIELDS = ('domain', 'selector', 'private_key', 'signers', 'bits')
# A selector is one or more DNS labels (RFC 6376, 3.1).
_SELECTOR_RE = re.compile(r'[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}'
                          r'[A-Za-z0-9])?)*\Z')
# A SigningTable key (refile: pattern): an address or domain whose '*' matches any text.
_SIGNER_RE = re.compile(r"[A-Za-z0-9!$&'+=?^_{}~.*-]*@?[A-Za-z0-9.*-]+\Z")
_INTERNAL_RE = re.compile(r'[A-Za-z0-9.:/-]+\Z')
_PEM_RE = re.compile(r'-----BEGIN (RSA |ENCRYPTED )?PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END (RSA |ENCRYPTED )?'
                     r'PRIVATE KEY-----\n?\Z')


def _key(raw: Any, index: int, errors: list[str]) -> dict | None:
    ref = f'dkim_keys[{index}]'
    if not isinstance(raw, Mapping):
        errors.append(f'{ref}: must be a mapping with fields {", ".join(_KEY_FIELDS)}, got {_kind(raw)}')
        return None
    domain, selector = raw.get('domain'), raw.get('selector')
    label = f'{ref} ({domain}/{selector})' if isinstance(domain, str) and isinstance(selector, str) else ref
    problems = [f'unknown field {field!r} (allowed: {", ".join(_KEY_FIELDS)})' for field in raw
                if field not in _KEY_FIELDS]
    if not isinstance(domain, str):
        problems.append(f"'domain' must be a domain name, got {_kind(domain)}")
    else:
        problem = _hostname_problem(domain, min_labels=2)
        if problem:
            problems.append(f'domain {domain!r}: {problem}')
    if not isinstance(selector, str) or not _SELECTOR_RE.match(selector):
        problems.append(f'selector {selector!r} must be one or more DNS labels (letters, digits, hyphens, dots '
                        'between labels)')
    private_key = raw.get('private_key') or ''
    if not isinstance(private_key, str):
        problems.append(f'private_key must be PEM text, got {_kind(private_key)}')
    elif private_key:
        text = private_key.replace('\r\n', '\n').strip() + '\n'
        if not _PEM_RE.match(text):
            # Never the text itself: it is a secret.
            problems.append('private_key must be an unencrypted PEM private key (-----BEGIN PRIVATE KEY----- or '
                            '-----BEGIN RSA PRIVATE KEY-----); its text is not shown')
        elif 'ENCRYPTED' in text:
            problems.append('private_key is encrypted: OpenDKIM reads only unencrypted keys (keep it in a vault)')
    bits = raw.get('bits', 2048)
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1024 <= bits <= 4096:
        problems.append(f'bits {bits!r} must be a whole number from 1024 to 4096 (receivers ignore shorter keys)')
    signers = raw.get('signers')
    if signers is None:
        # The default follows the domain: a bad domain is reported once, above.
        signers = [f'*@{domain.lower()}'] if isinstance(domain, str) and not _hostname_problem(domain) else ['*@invalid.']
    if not isinstance(signers, (list, tuple)) or not signers:
        problems.append(f'signers must be a non-empty list of addresses or patterns such as *@example.com, got '
                        f'{_kind(signers)}')
        signers = []
    for signer in signers:
        if not isinstance(signer, str) or not _SIGNER_RE.match(signer):
            problems.append(f'signer {signer!r} must be an address, a domain or a pattern with * such as '
                            '*@example.com (no spaces, no #)')
    if problems:
        errors.extend(f'{label}: {problem}' for problem in problems)
        return None
    return {'domain': domain.lower(), 'selector': selector, 'managed': bool(private_key), 'bits': bits,
            'signers': list(signers)}


def _relay_clients(access: Any, relay_domains: Any) -> list[str]:
    """OpenDKIM peers from the sendmail policy: each Connect: key that RELAYs (sendmail's address
    prefixes as networks, names with their subdomains), and each relay domain with its subdomains."""
    peers = []
    if isinstance(access, str):  # the policy's access_text: one "key<TAB>action" line per entry
        access = [dict(zip(('key', 'action'), line.split('\t', 1))) for line in access.splitlines()]
    for entry in access or []:
        key, action = str(entry.get('key', '')), str(entry.get('action', ''))
        if not key.lower().startswith('connect:') or action.upper() != 'RELAY':
            continue
        value = key[len('connect:'):]
        if value[:5].lower() == 'ipv6:':
            try:
                peers.append(str(ipaddress.ip_network(value[5:], strict=False)))
            except ValueError:
                continue
        elif re.fullmatch(r'[0-9]+(?:\.[0-9]+){0,3}', value):
            octets = value.split('.')
            if all(0 <= int(o) <= 255 for o in octets):
                peers.append(str(ipaddress.ip_network('.'.join(octets + ['0'] * (4 - len(octets)))
                                                      + f'/{8 * len(octets)}')))
        elif not _hostname_problem(value):
            peers += [value.lower(), '.' + value.lower()]
    for domain in relay_domains or []:
        name = domain if isinstance(domain, str) else ''
        if name and not _hostname_problem(name):
            peers += [name.lower(), '.' + name.lower()]
    return peers


def dkim_settings(keys: Any, key_dir: Any, internal_hosts: Any, access: Any = None, relay_domains: Any = None,
                  port: Any = 8891, address: Any = '127.0.0.1') -> dict:
    """``{errors, keys, key_files, internal_hosts, socket}``: the checked signing keys (no key text), the
    private key files the inventory holds (``{path, index}``, the index into ``keys``' input), the hosts OpenDKIM
    signs for (loopback, then ``internal_hosts`` or, when empty, the sendmail policy's relay clients) and the
    milter socket."""
    errors: list[str] = []
    if keys is None:
        keys = []
    if not isinstance(keys, (list, tuple)):
        errors.append(f'dkim_keys: must be a list, got {_kind(keys)}')
        keys = []
    out, seen = [], {}
    for index, raw in enumerate(keys):
        key = _key(raw, index, errors)
        if key is None:
            continue
        pair = (key['domain'], key['selector'].lower())
        if pair in seen:
            errors.append(f"dkim_keys[{index}] ({key['domain']}/{key['selector']}): duplicate domain and selector "
                          f'(first at index {seen[pair]})')
            continue
        seen[pair] = index
        out.append(key)
    problem = _path_problem(key_dir) if isinstance(key_dir, str) else f'must be a path, got {_kind(key_dir)}'
    if problem:
        errors.append(f'dkim_key_dir: {problem}')
    for key in out:
        # One directory per domain: opendkim-genkey names its files after the selector.
        key['dir'] = f"{key_dir}/{key['domain']}"
        key['file'] = f"{key['dir']}/{key['selector']}.private"
        key['record'] = f"{key['selector']}._domainkey.{key['domain']}"
    hosts = []
    for index, host in enumerate(internal_hosts or []):
        if not isinstance(host, str) or not _INTERNAL_RE.match(host) or host.startswith('-'):
            errors.append(f'dkim_internal_hosts[{index}] ({host!r}): must be an IP address, a network (CIDR), a '
                          'host name or a .domain (no spaces, no #)')
        else:
            hosts.append(host)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        errors.append(f'dkim_port: must be 1-65535, got {port!r}')
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        errors.append(f'dkim_listen_address: must be an IP address (the milter listens there), got {address!r}')
        ip = ipaddress.ip_address('127.0.0.1')
    socket = f'{"inet" if ip.version == 4 else "inet6"}:{port}@{ip}'
    peers = ['127.0.0.1', '::1', 'localhost'] + (hosts or _relay_clients(access, relay_domains))
    # The private keys the role writes: where, and which dkim_keys entry holds the text (never the text).
    key_files = [{'path': key['file'], 'index': seen[(key['domain'], key['selector'].lower())]}
                 for key in out if key['managed']]
    return {'errors': errors, 'keys': out, 'key_files': key_files, 'internal_hosts': list(dict.fromkeys(peers)),
            'socket': socket}
