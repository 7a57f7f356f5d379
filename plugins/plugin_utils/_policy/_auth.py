# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SMTP AUTH and submission on 587 (sendmail_auth_*, docs/auth.md): Cyrus SASL with sasldb2 or saslauthd.

The result is the ``auth`` entry of the policy: the mc lines, the MSA listener, the realm, the backend and
the users by name and state. No password ever comes back, and no error quotes one.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from ansible_collections.mailops.sendmail.plugins.plugin_utils._grammar import _hostname_problem, _kind
from ._m4 import value_problem
from ._mc import _SMART_HOST_RE, _listen_entry

# The mechanisms confAUTH_OPTIONS `p' hides until STARTTLS is active: with any other (CRAM-MD5,
# DIGEST-MD5, SCRAM-*) sendmail would offer AUTH on a plain connection.
MECHANISMS = ('PLAIN', 'LOGIN')
# Where libsasl checks a password: the sasldb2 file the role keeps (sendmail_auth_users), or saslauthd, which asks
# PAM, so the host's own accounts.
BACKENDS = ('sasldb', 'saslauthd')
# Set by the sendmail_auth_* variables, so not through sendmail_defines as well.
AUTH_DEFINES = ('confAUTH_MECHANISMS', 'confAUTH_OPTIONS', 'confAUTH_REALM')
# A SASL user name as saslpasswd2 stores it: no '@' (that would name a realm), no blanks.
_USER_RE = re.compile(r'[A-Za-z0-9][A-Za-z0-9._+-]{0,63}\Z')
# The submission listener: no ETRN (E). Not M=a: its '530 5.7.0 Authentication required' at MAIL is permanent,
# and a sendmail client whose password was refused (535) goes on without AUTH and bounces the mail. The role's
# Local_check_rcpt answers 450 4.7.0 instead to every recipient of an unauthenticated session on this listener,
# so such mail stays queued until the password is fixed (sendmail.mc.j2).
_MSA = {'name': 'MSA', 'port': 587, 'addr': '0.0.0.0', 'modifiers': 'E'}


def _users(value: Any, enabled: bool, backend: str, errors: list[str]) -> list[dict]:
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
            if backend == 'saslauthd':
                errors.append(f"{ref}: with sendmail_auth_backend 'saslauthd' the users are the host's own accounts "
                              "(PAM), not sasldb2's; only 'state: absent' entries may stay (they remove sasldb2 users)")
                continue
        out.append({'name': name, 'state': state})
    return out


def _mechanisms(data: Mapping, name: str, errors: list[str], why: str = '') -> list[str] | None:
    """The mechanisms of data (a list or a space-separated string; default both), upper case, each once; None
    with an error naming the variable when one is not PLAIN or LOGIN."""
    mechanisms = data.get('mechanisms', list(MECHANISMS))
    if isinstance(mechanisms, str):
        mechanisms = mechanisms.split()
    if (not isinstance(mechanisms, (list, tuple)) or not mechanisms
            or not all(isinstance(m, str) and m.upper() in MECHANISMS for m in mechanisms)):
        errors.append(f'{name} ({mechanisms!r}): must list one or more of {", ".join(MECHANISMS)}{why}')
        return None
    return list(dict.fromkeys(m.upper() for m in mechanisms))


def auth_settings(data: Any, mode: str, tls: Mapping, listen: list[dict], defines: list[dict],
                  errors: list[str]) -> dict:
    """The ``auth`` entry of the policy from the ``auth`` settings; problems go to ``errors``.

    ``data``: enabled, mechanisms, submission, realm, conf_file, users (the inventory's list, passwords
    included: they are checked here and dropped). ``listen`` gets the MSA entry when submission is on.
    """
    out = {'enabled': False, 'mechanisms': '', 'realm': '', 'defines': [], 'trust': '', 'files': [],
           'users': [], 'msa': '', 'backend': 'sasldb', 'daemon_files': []}
    if data is None:
        return out
    if not isinstance(data, Mapping):
        errors.append(f'sendmail auth settings: must be a mapping, got {_kind(data)}')
        return out
    enabled = data.get('enabled', False)
    if not isinstance(enabled, bool):
        errors.append(f'sendmail_auth: must be true or false, got {enabled!r}')
        enabled = False
    backend = data.get('backend', 'sasldb')
    if backend not in BACKENDS:
        errors.append(f"sendmail_auth_backend ({backend!r}): must be 'sasldb' (the users of sendmail_auth_users) or "
                      "'saslauthd' (the host's own accounts through PAM)")
        backend = 'sasldb'
    out['users'] = _users(data.get('users'), enabled, backend, errors)
    if not enabled:
        return out
    if mode != 'server':
        errors.append('sendmail_auth: SMTP AUTH with submission on 587 is for mail servers (sendmail_mode: server); '
                      'a client authenticates to its smart host with sendmail_smart_host_auth')
    if not tls.get('server'):
        errors.append('sendmail_auth: SMTP AUTH needs STARTTLS (AUTH is offered only after STARTTLS, so no '
                      'password crosses the network in clear): set sendmail_tls_cert and sendmail_tls_key (or '
                      'sendmail_tls_cert_file and sendmail_tls_key_file), see docs/tls.md')
    mechanisms = _mechanisms(data, 'sendmail_auth_mechanisms', errors,
                             ' (sendmail hides these until STARTTLS; others would be offered on a plain connection)')
    mechanisms = mechanisms or list(MECHANISMS)
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
            out['msa'] = msa['name']
    conf_file = data.get('conf_file') or ''
    # saslauthd's settings file, where the platform has one the role writes (Debian's /etc/default/saslauthd).
    daemon_file = (data.get('saslauthd_defaults') or '') if backend == 'saslauthd' else ''
    words = ' '.join(mechanisms)
    out.update(enabled=True, mechanisms=words, realm=realm, trust=words, backend=backend,
               daemon_files=[{'path': daemon_file, 'mode': '0644'}] if daemon_file else [],
               # A: AUTH= on MAIL FROM only after a successful AUTH; p: no plain-text mechanism (so, with
               # PLAIN and LOGIN only, no AUTH at all) before STARTTLS.
               defines=[{'name': 'confAUTH_OPTIONS', 'value': 'A p'},
                        {'name': 'confAUTH_MECHANISMS', 'value': words}]
               + ([{'name': 'confAUTH_REALM', 'value': realm}] if realm else []),
               files=[{'path': conf_file, 'mode': '0644'}] if conf_file else [])
    return out


# The mailer whose arguments carry the smart host's port (cf/README: RELAY_MAILER_ARGS, ESMTP_MAILER_ARGS, ...).
_MAILER_ARGS = {'relay': 'RELAY_MAILER_ARGS', 'smtp': 'SMTP_MAILER_ARGS', 'esmtp': 'ESMTP_MAILER_ARGS',
                'smtp8': 'SMTP8_MAILER_ARGS'}


def smart_host_auth(data: Any, smart_host: str, tls: Mapping, access: list[dict], defines: list[dict],
                    errors: list[str]) -> dict:
    """The AuthInfo access entry and the mailer port for an authenticated smart host (sendmail_smart_host_auth_*,
    sendmail_smart_host_port). ``data``: user, password (read by the policy action), mechanisms, port.
    Returns {'access': [entry], 'defines': [...]}; no error quotes the password."""
    out: dict = {'access': [], 'defines': []}
    if not isinstance(data, Mapping):
        if data is not None:
            errors.append(f'sendmail smart host auth settings: must be a mapping, got {_kind(data)}')
        return out
    match = _SMART_HOST_RE.match(smart_host or '')
    mailer, host = (match.group('mailer') or 'relay'), match.group('host')
    if host.startswith('[') and host.endswith(']'):
        host = host[1:-1]
    port = data.get('port')
    if port not in (None, ''):
        if isinstance(port, str) and port.isascii() and port.isdigit():
            port = int(port)
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            errors.append(f'sendmail_smart_host_port ({port!r}): must be a port number 1-65535')
        elif not smart_host:
            errors.append('sendmail_smart_host_port: needs a smart host (sendmail_smart_host)')
        else:
            name = _MAILER_ARGS[mailer]
            if any(d['name'] == name for d in defines):
                errors.append(f'sendmail_defines: {name} is set by sendmail_smart_host_port; remove it from sendmail_defines')
            else:
                out['defines'].append({'name': name, 'value': f'TCP $h {port}'})
    user, password = data.get('user'), data.get('password')
    if user in (None, '') and password in (None, ''):
        return out
    if not smart_host:
        errors.append('sendmail_smart_host_auth_user: needs a smart host (sendmail_smart_host) to authenticate to')
        return out
    if not isinstance(user, str) or not user or any(ch in user for ch in '"\n\r\0'):
        errors.append(f'sendmail_smart_host_auth_user ({user!r}): must be a user name (one line, no double quote)')
        return out
    if not isinstance(password, str) or not password or any(ch in password for ch in '\n\r\0'):
        errors.append('sendmail_smart_host_auth_password: must be a non-empty one-line string (not shown here)')
        return out
    if not tls.get('ca_file'):
        errors.append('sendmail_smart_host_auth_user: the password goes only over STARTTLS, which sendmail uses as a '
                      'client only with a CA: set sendmail_tls_ca (or sendmail_tls_ca_file), see docs/tls.md')
    mechanisms = _mechanisms(data, 'sendmail_smart_host_auth_mechanisms', errors)
    if mechanisms is None:
        return out
    key = f'AuthInfo:{host}'
    if any(entry['key'].lower() == key.lower() for entry in access):
        errors.append(f'sendmail_access: an entry {key!r} is made by sendmail_smart_host_auth_user; remove it from the '
                      'access layers')
        return out
    # The password as base64 ("P=..."): any character of it stays data in the access map.
    secret = base64.b64encode(password.encode()).decode()
    words = ' '.join(dict.fromkeys(m.upper() for m in mechanisms))
    out['access'].append({'key': key, 'action': f'"U:{user}" "I:{user}" "P={secret}" "M:{words}"'})
    return out
