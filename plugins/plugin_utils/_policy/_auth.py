# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SMTP AUTH and submission on 587 (sendmail_auth_*, docs/auth.md): Cyrus SASL with sasldb2.

The result is the ``auth`` entry of the policy: the mc lines, the MSA listener, the realm and the
users by name and state. No password ever comes back, and no error quotes one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ._grammar import _hostname_problem, _kind
from ._m4 import value_problem
from ._mc import _listen_entry

# The mechanisms confAUTH_OPTIONS `p' hides until STARTTLS is active: with any other (CRAM-MD5,
# DIGEST-MD5, SCRAM-*) sendmail would offer AUTH on a plain connection.
MECHANISMS = ('PLAIN', 'LOGIN')
# Set by the sendmail_auth_* variables, so not through sendmail_defines as well.
AUTH_DEFINES = ('confAUTH_MECHANISMS', 'confAUTH_OPTIONS', 'confAUTH_REALM')
# A SASL user name as saslpasswd2 stores it: no '@' (that would name a realm), no blanks.
_USER_RE = re.compile(r'[A-Za-z0-9][A-Za-z0-9._+-]{0,63}\Z')
# The submission listener: every client must authenticate (a), no ETRN (E).
_MSA = {'name': 'MSA', 'port': 587, 'addr': '0.0.0.0', 'modifiers': 'Ea'}


def _users(value: Any, enabled: bool, errors: list[str]) -> list[dict]:
    """The users by name and state; a password is checked, never returned or quoted."""
    if value is None or value == '':
        return []
    if not isinstance(value, (list, tuple)):
        errors.append(f'sendmail_auth_users: must be a list of {{name, password, state}}, got {_kind(value)}')
        return []
    out, seen = [], set()
    for index, raw in enumerate(value):
        ref = f'sendmail_auth_users[{index}]'
        if not isinstance(raw, Mapping):
            errors.append(f'{ref}: must be a mapping {{name, password, state}}, got {_kind(raw)}')
            continue
        name = raw.get('name')
        if isinstance(name, str) and _USER_RE.match(name):
            ref += f' (name {name!r})'
        else:
            errors.append(f'{ref}: name {name!r} must be a user name of letters, digits and . _ + - '
                          '(at most 64, no @: the realm is sendmail_auth_realm)')
            continue
        unknown = sorted(set(raw) - {'name', 'password', 'state'})
        if unknown:
            errors.append(f'{ref}: unknown keys {", ".join(map(repr, unknown))} (name, password, state)')
        state = raw.get('state', 'present')
        if state not in ('present', 'absent'):
            errors.append(f"{ref}: state {state!r} must be 'present' or 'absent'")
            continue
        if name.lower() in seen:
            errors.append(f'{ref}: the user is listed twice')
            continue
        seen.add(name.lower())
        if state == 'present':
            password = raw.get('password')
            if not isinstance(password, str) or not password:
                errors.append(f'{ref}: needs a password (a non-empty string; not shown here)')
                continue
            if any(ch in password for ch in '\n\r\0'):
                errors.append(f'{ref}: the password must be one line without NUL characters (not shown here)')
                continue
            if not enabled:
                errors.append(f'{ref}: a user needs SMTP AUTH on (sendmail_auth: true); '
                              "with it off, only 'state: absent' entries may stay")
                continue
        out.append({'name': name, 'state': state})
    return out


def auth_settings(data: Any, mode: str, tls: Mapping, listen: list[dict], defines: list[dict],
                  errors: list[str]) -> dict:
    """The ``auth`` entry of the policy from the ``auth`` settings; problems go to ``errors``.

    ``data``: enabled, mechanisms, submission, realm, conf_file, users (the inventory's list, passwords
    included: they are checked here and dropped). ``listen`` gets the MSA entry when submission is on.
    """
    out = {'enabled': False, 'mechanisms': '', 'realm': '', 'defines': [], 'trust': '', 'files': [],
           'users': []}
    if data is None:
        return out
    if not isinstance(data, Mapping):
        errors.append(f'sendmail auth settings: must be a mapping, got {_kind(data)}')
        return out
    enabled = data.get('enabled', False)
    if not isinstance(enabled, bool):
        errors.append(f'sendmail_auth: must be true or false, got {enabled!r}')
        enabled = False
    out['users'] = _users(data.get('users'), enabled, errors)
    if not enabled:
        return out
    if mode != 'server':
        errors.append('sendmail_auth: SMTP AUTH with submission on 587 is for mail servers (sendmail_mode: server); '
                      'a client authenticates to its smart host with sendmail_smart_host_auth')
    if not tls.get('server'):
        errors.append('sendmail_auth: SMTP AUTH needs STARTTLS (AUTH is offered only after STARTTLS, so no '
                      'password crosses the network in clear): set sendmail_tls_cert and sendmail_tls_key (or '
                      'sendmail_tls_cert_file and sendmail_tls_key_file), see docs/tls.md')
    mechanisms = data.get('mechanisms', list(MECHANISMS))
    if isinstance(mechanisms, str):
        mechanisms = mechanisms.split()
    if (not isinstance(mechanisms, (list, tuple)) or not mechanisms
            or not all(isinstance(m, str) and m.upper() in MECHANISMS for m in mechanisms)):
        errors.append(f'sendmail_auth_mechanisms ({mechanisms!r}): must list one or more of {", ".join(MECHANISMS)} '
                      '(sendmail hides these until STARTTLS; others would be offered on a plain connection)')
        mechanisms = list(MECHANISMS)
    mechanisms = list(dict.fromkeys(m.upper() for m in mechanisms))
    realm = data.get('realm')
    problem = (f'must be a string, got {_kind(realm)}' if not isinstance(realm, str)
               else _hostname_problem(realm) or value_problem(realm)) if realm else 'must not be empty'
    if problem:
        errors.append(f'sendmail_auth_realm ({realm!r}): {problem} (the host\'s domain name, e.g. its FQDN)')
        realm = ''
    taken = sorted(d['name'] for d in defines if d['name'] in AUTH_DEFINES)
    if taken:
        errors.append(f'sendmail_defines: {", ".join(taken)} are set by the sendmail_auth_* variables; '
                      'remove them from sendmail_defines')
    submission = data.get('submission', True)
    if not isinstance(submission, bool):
        errors.append(f'sendmail_auth_submission: must be true or false, got {submission!r}')
        submission = False
    if submission and not any(entry.get('port') == 587 for entry in listen):
        msa = _listen_entry(dict(_MSA), 'sendmail_auth_submission', errors)
        if msa is not None:
            listen.append(msa)
    conf_file = data.get('conf_file') or ''
    words = ' '.join(mechanisms)
    out.update(enabled=True, mechanisms=words, realm=realm, trust=words,
               # A: AUTH= on MAIL FROM only after a successful AUTH; p: no plain-text mechanism (so, with
               # PLAIN and LOGIN only, no AUTH at all) before STARTTLS.
               defines=[{'name': 'confAUTH_OPTIONS', 'value': 'A p'},
                        {'name': 'confAUTH_MECHANISMS', 'value': words}]
               + ([{'name': 'confAUTH_REALM', 'value': realm}] if realm else []),
               files=[{'path': conf_file, 'mode': '0644'}] if conf_file else [])
    return out
