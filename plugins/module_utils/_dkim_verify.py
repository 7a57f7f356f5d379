# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The check of mailops.sendmail.dkim_verify: the DKIM key records ``<selector>._domainkey.<domain>``
(RFC 6376 section 3.6.1, RFC 8463): present, well-formed, not revoked, and the key the server signs
with.

``ARGUMENT_SPEC``, ``MUTUALLY_EXCLUSIVE``, ``REQUIRED_ONE_OF`` and ``run(params)`` serve both
the module and its action plugin, as for a_verify.
"""

from __future__ import annotations

import base64
import binascii
import re
import traceback
from collections.abc import Mapping

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.mailops.sendmail.plugins.module_utils._dns import (
    STATUS_NXDOMAIN,
    DnsConfigError,
    check_dns_params,
    client_from_params,
    collect_failures,
    dns_argument_spec,
    normalize_name,
    run_concurrently,
    summarize,
)

CRYPTOGRAPHY_IMPORT_ERROR = None
try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_CRYPTOGRAPHY = True

KEY_TYPES = ('rsa', 'ed25519')
# An Ed25519 SubjectPublicKeyInfo is this prefix and the 32-byte key (RFC 8410); DKIM publishes
# the 32 bytes alone (RFC 8463 section 4.2).
_ED25519_SPKI = bytes.fromhex('302a300506032b6570032100')
_PEM = re.compile(r'-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----', re.S)
_ENTRY_KEYS = ('domain', 'selector', 'public_key', 'private_key_path')
_SELECTOR = re.compile(r'^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62}))*$')


class KeyProblem(ValueError):
    """A key given to the module cannot be read (a parameter error naming the entry)."""


def parse_record(text):
    """Parse a DKIM key record (RFC 6376 section 3.6.1): ``(tags, error)``."""
    tags = {}
    parts = [p.strip() for p in text.split(';')]
    if parts and not parts[-1]:
        parts.pop()
    for index, part in enumerate(parts):
        name, eq, value = part.partition('=')
        name = name.strip()
        if not eq or not re.match(r'^[A-Za-z][A-Za-z0-9_]*$', name):
            return tags, 'tag %r is not name=value' % part
        if name in tags:
            return tags, 'tag %s= given twice' % name
        if name == 'v' and (index != 0 or value.strip() != 'DKIM1'):
            return tags, 'v= must be the first tag and DKIM1, found v=%s' % value.strip()
        tags[name] = re.sub(r'\s+', '', value) if name == 'p' else value.strip()
    if 'p' not in tags:
        return tags, 'no p= tag (the public key)'
    key_type = tags.get('k', 'rsa').lower()
    if key_type not in KEY_TYPES:
        return tags, 'k=%s is not a key type DKIM defines (%s)' % (tags['k'], ', '.join(KEY_TYPES))
    if tags['p']:
        try:
            base64.b64decode(tags['p'], validate=True)
        except (binascii.Error, ValueError):
            return tags, 'p= is not valid base64'
    return tags, None


def _material(data, key_type):
    """Comparable form of public key bytes (SubjectPublicKeyInfo/PKCS#1 DER, or a raw Ed25519 key):
    ``(type, value)``; ValueError when the bytes are no key of that type."""
    if key_type == 'ed25519':
        if len(data) == 32:
            return 'ed25519', data
        if data.startswith(_ED25519_SPKI) and len(data) == 44:
            return 'ed25519', data[12:]
        raise ValueError('not an Ed25519 public key')
    if not HAS_CRYPTOGRAPHY:
        return 'rsa', data  # DER as published; without cryptography only the same encoding matches
    try:
        key = serialization.load_der_public_key(data)
    except ValueError:
        # DKIM allows the bare RSAPublicKey too (RFC 6376 section 3.6.1, k=rsa).
        key = serialization.load_der_public_key(_spki_of_pkcs1(data))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError('not an RSA public key')
    numbers = key.public_numbers()
    return 'rsa', (numbers.n, numbers.e)


def _der_length(length):
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, 'big')
    return bytes([0x80 | len(raw)]) + raw


def _spki_of_pkcs1(data):
    """Wrap an RSAPublicKey in a SubjectPublicKeyInfo (rsaEncryption, NULL parameters)."""
    algorithm = bytes.fromhex('300d06092a864886f70d0101010500')
    bits = b'\x03' + _der_length(len(data) + 1) + b'\x00' + data
    body = algorithm + bits
    return b'\x30' + _der_length(len(body)) + body


def given_key(public_key=None, private_key_path=None):
    """The key to compare with: ``(type, value, description)``. Raises KeyProblem."""
    if private_key_path:
        if not HAS_CRYPTOGRAPHY:
            raise KeyProblem(missing_required_lib('cryptography') + ' (to read private_key_path)')
        try:
            with open(private_key_path, 'rb') as handle:
                key = serialization.load_pem_private_key(handle.read(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            # The message of the library never holds the key; the path is not secret.
            raise KeyProblem('private_key_path %s: cannot read a private key without passphrase: %s' % (
                private_key_path, type(exc).__name__ if not isinstance(exc, OSError) else exc.strerror))
        public = key.public_key()
        if isinstance(public, ed25519.Ed25519PublicKey):
            raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return 'ed25519', raw, 'the public half of %s' % private_key_path
        if not isinstance(public, rsa.RSAPublicKey):
            raise KeyProblem('private_key_path %s: not an RSA or Ed25519 key' % private_key_path)
        numbers = public.public_numbers()
        return 'rsa', (numbers.n, numbers.e), 'the public half of %s' % private_key_path
    text = public_key.strip()
    pem = _PEM.search(text)
    body = pem.group(2) if pem else text
    if pem and 'PRIVATE' in pem.group(1):
        raise KeyProblem('public_key holds a private key: give the public key, or private_key_path')
    if ';' in body or body.lower().startswith('v=dkim1'):  # a whole record; base64 has no ';'
        tags, problem = parse_record(body)
        if problem:
            raise KeyProblem('public_key: %s' % problem)
        body = tags['p']
    try:
        data = base64.b64decode(re.sub(r'\s+', '', body), validate=True)
    except (binascii.Error, ValueError):
        raise KeyProblem('public_key is neither PEM nor base64')
    for key_type in (('ed25519', 'rsa') if len(data) in (32, 44) else ('rsa',)):
        try:
            material = _material(data, key_type)
            return material[0], material[1], 'the given public key'
        except ValueError:
            continue
    raise KeyProblem('public_key is no RSA or Ed25519 public key')


def _short(p_value):
    return p_value if len(p_value) <= 24 else '%s...%s' % (p_value[:12], p_value[-8:])


def _check_key(client, entry):
    display, selector, key, error = entry
    name = '%s._domainkey.%s' % (selector, display)
    result = dict(domain=display, selector=selector, name=name, failed=True, status='error', msg='', record='',
                  key_type='', key_bits=0, public_key='', tags={})
    if error:
        result.update(status='invalid', msg='%s DKIM: %s' % (name, error))
        return result
    want = 'a DKIM key record' + (' with %s' % key[2] if key else '')
    answer = client.query(name, 'TXT')
    if answer.status == STATUS_NXDOMAIN or (not answer.failed_lookup and not answer.texts()):
        result.update(status='absent', msg='%s TXT: expected %s, found nothing: %s' % (name, want, answer.describe()))
        return result
    if answer.failed_lookup:
        result.update(status=answer.status, msg='%s TXT lookup failed: %s' % (name, answer.detail))
        return result
    texts = answer.texts()
    if len(texts) > 1:
        result.update(status='malformed', msg='%s TXT: expected one DKIM key record, found %d: %s' % (
            name, len(texts), '; '.join('"%s"' % t for t in texts)))
        return result
    record = texts[0]
    tags, problem = parse_record(record)
    result.update(record=record, tags=tags)
    if problem:
        result.update(status='malformed', msg='%s TXT: expected a DKIM key record, found "%s": %s' % (
            name, record, problem))
        return result
    key_type = tags.get('k', 'rsa').lower()
    result.update(key_type=key_type, public_key=tags['p'])
    if not tags['p']:
        result.update(status='revoked', msg='%s TXT: expected %s, found a revoked key (empty p=): "%s"' % (
            name, want, record))
        return result
    try:
        published = _material(base64.b64decode(tags['p']), key_type)
    except ValueError as exc:
        result.update(status='malformed', msg='%s TXT: p= (%s) is not a k=%s public key: %s' % (
            name, _short(tags['p']), key_type, str(exc).split('.', maxsplit=1)[0]))
        return result
    if key_type == 'rsa' and isinstance(published[1], tuple):
        result['key_bits'] = published[1][0].bit_length()
    elif key_type == 'ed25519':
        result['key_bits'] = 256
    if key and (key[0], key[1]) != published:
        found = 'a k=%s key' % key_type if key[0] != key_type else 'another key'
        result.update(status='mismatch', msg='%s TXT: expected %s (k=%s), found %s, p=%s' % (
            name, key[2], key[0], found, _short(tags['p'])))
        return result
    result.update(status='ok', failed=False, msg='%s DKIM: k=%s%s key %s' % (
        name, key_type, ' %d-bit' % result['key_bits'] if key_type == 'rsa' and result['key_bits'] else '',
        'matches %s' % key[2] if key else 'published'))
    return result


def _entries(params):
    defaults = dict(selector=params['selector'], public_key=params['public_key'],
                    private_key_path=params['private_key_path'])
    raw = [params['domain']] if params['domain'] is not None else params['domains']
    entries = []
    seen = {}
    keys = {}
    for index, entry in enumerate(raw):
        where = 'domains[%d]' % index
        values = dict(defaults)
        if isinstance(entry, Mapping):
            unknown = sorted(str(k) for k in entry if k not in _ENTRY_KEYS)
            if unknown:
                raise ValueError('%s: unknown key %s (an entry has: %s)' % (
                    where, ', '.join(unknown), ', '.join(_ENTRY_KEYS)))
            if entry.get('public_key') and entry.get('private_key_path'):
                raise ValueError('%s: give public_key or private_key_path, not both' % where)
            if entry.get('public_key') or entry.get('private_key_path'):
                values.update(public_key=None, private_key_path=None)
            values.update((k, v) for k, v in entry.items() if v is not None)
            value = entry.get('domain')
        else:
            value = entry
        if not isinstance(value, str):
            raise ValueError('%s: a domain or a mapping {domain, selector, public_key or private_key_path}, '
                             'got %r' % (where, entry))
        selector = values.get('selector')
        if not selector:
            raise ValueError('%s (%s): no selector: give selector for the entry or for all' % (where, value))
        if not _SELECTOR.match(str(selector)):
            raise ValueError('%s (%s): selector %r is not a DNS label sequence' % (where, value, selector))
        try:
            display, error = normalize_name(value)[1], None
        except ValueError as exc:
            display, error = value.strip(), str(exc)
        selector = str(selector).lower()
        source = (values.get('public_key'), values.get('private_key_path'))
        if (display, selector) in seen:
            if seen[(display, selector)] != source:
                raise ValueError('%s: %s._domainkey.%s is given twice with different keys' % (where, selector, display))
            continue
        seen[(display, selector)] = source
        key = None
        if any(source):
            if source not in keys:
                try:
                    keys[source] = given_key(*source)
                except KeyProblem as exc:
                    raise ValueError('%s (%s): %s' % (where, value, exc))
            key = keys[source]
        entries.append((display, selector, key, error))
    return entries


ARGUMENT_SPEC = dict(
    domain=dict(type='str'),
    domains=dict(type='list', elements='raw'),
    selector=dict(type='str'),
    public_key=dict(type='str'),
    private_key_path=dict(type='path'),
)
ARGUMENT_SPEC.update(dns_argument_spec())
MUTUALLY_EXCLUSIVE = [('domain', 'domains'), ('public_key', 'private_key_path')]
REQUIRED_ONE_OF = [('domain', 'domains')]


def run(params):
    """The check for validated params: ``(result, failed)``."""
    problem = check_dns_params(params)
    if problem:
        return dict(msg=problem), True
    if params['domain'] is None and not params['domains']:
        return dict(msg='domains is empty: give at least one domain'), True
    try:
        entries = _entries(params)
        client = client_from_params(params)
    except (ValueError, DnsConfigError) as exc:
        return dict(msg=str(exc)), True

    def on_error(entry, exc):
        return dict(domain=entry[0], selector=entry[1], name='%s._domainkey.%s' % (entry[1], entry[0]),
                    failed=True, status='error', msg='%s._domainkey.%s: unexpected error: %s' % (entry[1], entry[0], exc))

    checks = run_concurrently(lambda entry: _check_key(client, entry), entries, params['workers'], on_error)
    failures = collect_failures(checks, 'name')
    result = dict(changed=False, checks=checks, failures=failures, msg=summarize(checks, failures, 'DKIM keys'))
    return result, bool(failures)
