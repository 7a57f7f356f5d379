# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""STARTTLS settings (sendmail_tls_*): the files sendmail reads, the protocol and cipher options.

Only names, paths and options pass here (the PEM texts never do: the policy action checks them on
the controller, plugins/plugin_utils/_policy_action.py). The result is the ``tls`` entry of the
policy: the defines for sendmail.mc and the files the role writes from the inventory.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ansible_collections.mailops.sendmail.plugins.plugin_utils._grammar import _PATH_RE, _kind
from ._m4 import value_problem

# Where the role writes the PEMs from the inventory when no path is given (Debian's /etc/mail/tls,
# which its sendmail package makes root's, 0755).
DEFAULT_FILES = {'cert': '/etc/mail/tls/mailops.crt', 'key': '/etc/mail/tls/mailops.key',
                 'ca': '/etc/mail/tls/mailops-ca.crt'}
# The SSL_OP_* names sendmail 8.17 (bookworm, OpenSSL 3) knows for ServerSSLOptions/ClientSSLOptions
# (its readcf.c table, as the binary carries them).
SSL_OPTIONS = frozenset('''
    SSL_OP_ALL SSL_OP_ALLOW_NO_DHE_KEX SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION
    SSL_OP_CIPHER_SERVER_PREFERENCE SSL_OP_CISCO_ANYCONNECT SSL_OP_COOKIE_EXCHANGE SSL_OP_CRYPTOPRO_TLSEXT_BUG
    SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS SSL_OP_ENABLE_MIDDLEBOX_COMPAT SSL_OP_EPHEMERAL_RSA
    SSL_OP_LEGACY_SERVER_CONNECT SSL_OP_MICROSOFT_BIG_SSLV3_BUFFER SSL_OP_MICROSOFT_SESS_ID_BUG
    SSL_OP_MSIE_SSLV2_RSA_PADDING SSL_OP_NETSCAPE_CA_DN_BUG SSL_OP_NETSCAPE_CHALLENGE_BUG
    SSL_OP_NETSCAPE_DEMO_CIPHER_CHANGE_BUG SSL_OP_NETSCAPE_REUSE_CIPHER_CHANGE_BUG SSL_OP_NO_ANTI_REPLAY
    SSL_OP_NO_COMPRESSION SSL_OP_NO_ENCRYPT_THEN_MAC SSL_OP_NO_QUERY_MTU SSL_OP_NO_RENEGOTIATION
    SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION SSL_OP_NO_SSLv2 SSL_OP_NO_SSLv3 SSL_OP_NO_TICKET
    SSL_OP_NO_TLSv1 SSL_OP_NO_TLSv1_1 SSL_OP_NO_TLSv1_2 SSL_OP_NO_TLSv1_3 SSL_OP_PKCS1_CHECK_1
    SSL_OP_PKCS1_CHECK_2 SSL_OP_PRIORITIZE_CHACHA SSL_OP_SINGLE_DH_USE SSL_OP_SINGLE_ECDH_USE
    SSL_OP_SSLEAY_080_CLIENT_DH_BUG SSL_OP_SSLREF2_REUSE_CERT_TYPE_BUG SSL_OP_TLSEXT_PADDING
    SSL_OP_TLS_BLOCK_PADDING_BUG SSL_OP_TLS_D5_BUG SSL_OP_TLS_ROLLBACK_BUG
'''.split())
_SSL_TOKEN_RE = re.compile(r'([+-]?)(?:(SSL_OP_[A-Za-z0-9_]+)|(0[xX][0-9A-Fa-f]+|[0-9]+))\Z')
# An OpenSSL cipher string: names, ':' ',' and ' ' between them, '!' '-' '+' before, '@STRENGTH',
# '@SECLEVEL=n'.
_CIPHER_RE = re.compile(r'[A-Za-z0-9:!+@=_.,-]+(?: [A-Za-z0-9:!+@=_.,-]+)*\Z')
# The defines the tls settings make: set through sendmail_tls_*, not sendmail_defines as well.
TLS_DEFINES = ('confSERVER_CERT', 'confSERVER_KEY', 'confCLIENT_CERT', 'confCLIENT_KEY', 'confCACERT',
               'confCACERT_PATH', 'confSERVER_SSL_OPTIONS', 'confCLIENT_SSL_OPTIONS', 'confCIPHER_LIST')


def _path(value: Any, var: str, errors: list[str]) -> str:
    if value is None or value == '':
        return ''
    if not isinstance(value, str) or not _PATH_RE.match(value) or '/../' in value + '/' or value.endswith('/'):
        errors.append(f'{var} ({value!r}): must be an absolute path of letters, digits and . _ + @ = ~ / - '
                      'without ".." components')
        return ''
    problem = value_problem(value)
    if problem:
        errors.append(f'{var} ({value!r}): {problem}')
        return ''
    return value


def _ssl_options(value: Any, var: str, errors: list[str]) -> str:
    if value is None or value == '':
        return ''
    tokens = value.replace(',', ' ').split() if isinstance(value, str) else value
    if not isinstance(tokens, (list, tuple)) or not all(isinstance(t, str) for t in tokens):
        errors.append(f'{var}: must be a string such as "+SSL_OP_NO_SSLv3 +SSL_OP_NO_TLSv1" or a list of such '
                      f'words, got {_kind(value)}')
        return ''
    bad = []
    for token in tokens:
        match = _SSL_TOKEN_RE.match(token)
        if not match or (match.group(2) and match.group(2) not in SSL_OPTIONS):
            bad.append(token)
    if bad:
        errors.append(f'{var}: unknown SSL options {", ".join(map(repr, bad))}: sendmail takes words +NAME or -NAME '
                      'with an OpenSSL SSL_OP_* name it knows (SSL_OP_NO_SSLv3, SSL_OP_NO_TLSv1, SSL_OP_NO_TLSv1_1, '
                      'SSL_OP_CIPHER_SERVER_PREFERENCE, ...) or a number')
        return ''
    return ' '.join(tokens)


def _cipher_list(value: Any, errors: list[str]) -> str:
    if value is None or value == '':
        return ''
    if not isinstance(value, str) or not _CIPHER_RE.match(value) or value_problem(value):
        errors.append(f'sendmail_tls_cipher_list ({value!r}): must be an OpenSSL cipher string such as '
                      "'HIGH:!aNULL:!MD5' (letters, digits and : ! + @ = _ . , - and single spaces)")
        return ''
    return value


def _flag(value: Any, var: str, errors: list[str]) -> bool:
    if isinstance(value, bool):
        return value
    errors.append(f'{var}: must be true or false, got {value!r}')
    return False


def tls_settings(data: Any, defines: list[dict], errors: list[str]) -> dict:
    """The ``tls`` entry of the policy from the ``tls`` settings; problems go to ``errors``.

    ``data``: cert_file, key_file, ca_file, ca_dir (paths on the host, '' for none or the default of a PEM
    from the inventory), cert, key, ca (whether the inventory holds that PEM), client_cert, server_ssl_options,
    client_ssl_options, cipher_list.
    """
    out = {'server': False, 'cert_file': '', 'key_file': '', 'ca_file': '', 'ca_dir': '', 'defines': [],
           'files': [], 'host_files': {}}
    if data is None:
        return out
    if not isinstance(data, Mapping):
        errors.append(f'sendmail tls settings: must be a mapping, got {_kind(data)}')
        return out
    paths, managed = {}, {}
    for part in ('cert', 'key', 'ca'):
        managed[part] = _flag(data.get(part, False), f'sendmail_tls_{part} (given)', errors)
        paths[part] = _path(data.get(part + '_file'), f'sendmail_tls_{part}_file', errors) \
            or (DEFAULT_FILES[part] if managed[part] else '')
    ca_dir = _path(data.get('ca_dir'), 'sendmail_tls_ca_dir', errors)
    if bool(paths['cert']) != bool(paths['key']):
        given, missing = ('cert', 'key') if paths['cert'] else ('key', 'cert')
        errors.append(f'sendmail_tls_{given}: a {given} needs its {missing} (sendmail_tls_{missing} or '
                      f'sendmail_tls_{missing}_file)')
    elif paths['cert'] and managed['cert'] != managed['key']:
        errors.append('sendmail_tls_cert and sendmail_tls_key: give both PEMs in the inventory or name both '
                      'files on the host (sendmail_tls_cert_file, sendmail_tls_key_file), not one of each')
    if len({p for p in paths.values() if p}) < len([p for p in paths.values() if p]):
        errors.append(f'sendmail_tls_*_file: the certificate, key and CA files must be different files, got {paths}')
    client_cert = _flag(data.get('client_cert', True), 'sendmail_tls_client_cert', errors)
    server_options = _ssl_options(data.get('server_ssl_options'), 'sendmail_tls_server_ssl_options', errors)
    client_options = _ssl_options(data.get('client_ssl_options'), 'sendmail_tls_client_ssl_options', errors)
    ciphers = _cipher_list(data.get('cipher_list'), errors)
    taken = sorted(d['name'] for d in defines if d['name'] in TLS_DEFINES)
    if taken:
        errors.append(f'sendmail_defines: {", ".join(taken)} are set by the sendmail_tls_* variables; '
                      'remove them from sendmail_defines')
    server = bool(paths['cert'] and paths['key'])
    # sendmail 8.17 turns STARTTLS off (in and out, logging only above LogLevel 9) without both CACertFile
    # and CACertPath ("STARTTLS: CACertFile missing", "CACertPath missing").
    if server and not paths['ca']:
        errors.append('sendmail_tls_cert: sendmail offers STARTTLS only with a CA file as well: set sendmail_tls_ca '
                      '(the PEM of the CA that signs the certificate) or sendmail_tls_ca_file')
    if (server or paths['ca']) and not ca_dir:
        errors.append('sendmail_tls_ca_dir: sendmail uses STARTTLS only with a CA directory (confCACERT_PATH) '
                      'as well, such as /etc/ssl/certs')
    mc = []
    if server:
        mc += [('confSERVER_CERT', paths['cert']), ('confSERVER_KEY', paths['key'])]
        if client_cert:
            mc += [('confCLIENT_CERT', paths['cert']), ('confCLIENT_KEY', paths['key'])]
    if paths['ca']:
        mc.append(('confCACERT', paths['ca']))
    if ca_dir and (server or paths['ca']):
        mc.append(('confCACERT_PATH', ca_dir))
    mc += [(name, value) for name, value in (('confSERVER_SSL_OPTIONS', server_options),
                                             ('confCLIENT_SSL_OPTIONS', client_options),
                                             ('confCIPHER_LIST', ciphers)) if value and (server or paths['ca'])]
    out.update(server=server, cert_file=paths['cert'], key_file=paths['key'], ca_file=paths['ca'], ca_dir=ca_dir,
               defines=[{'name': name, 'value': value} for name, value in mc])
    # The PEMs the role writes (by the name of the variable that holds each), and the files it only reads.
    out['files'] = [{'var': 'sendmail_tls_' + part, 'path': paths[part], 'secret': part == 'key',
                     'mode': '0600' if part == 'key' else '0644'}
                    for part in ('cert', 'key', 'ca') if managed[part] and paths[part]]
    out['host_files'] = {part: paths[part] for part in ('cert', 'key', 'ca') if paths[part] and not managed[part]}
    return out
