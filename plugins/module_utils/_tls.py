# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whether a certificate, its key and its CA make a working STARTTLS set, as sendmail's OpenSSL sees it.

sendmail turns STARTTLS off without failing when the key does not match the certificate (it only logs
one line), and a peer refuses a certificate that is expired or whose chain it cannot complete. This
check runs the TLS handshake sendmail's peers would run, in memory, with Python's ``ssl`` (the same
OpenSSL library on a Debian host; no ``openssl`` binary, no third-party library): a server context
loads the certificate file (the certificate, then its intermediates) and the key, a client context
trusts only the CA file and verifies the chain and the dates. Without a CA file the certificate is
trusted as itself, so only its dates are checked (where OpenSSL allows a partial chain).

Used on the controller for PEMs from the inventory (mailops.sendmail.sendmail_policy) and on the host
for files already there (mailops.sendmail.host_state).
"""

from __future__ import annotations

import ssl

# Words OpenSSL uses for what went wrong, and what they mean for an administrator.
_HINTS = (
    ('KEY_VALUES_MISMATCH', 'the key does not belong to the certificate'),
    ('certificate has expired', 'the certificate has expired'),
    ('certificate is not yet valid', 'the certificate is not valid yet'),
    ('unable to get local issuer certificate', 'the chain does not lead to the CA given: an intermediate '
     'certificate is missing after the certificate, or the CA is another one'),
    ('unable to get issuer certificate', 'the chain does not lead to the CA given: an intermediate '
     'certificate is missing after the certificate, or the CA is another one'),
    ('self-signed certificate in certificate chain', 'the chain ends in a CA other than the one given'),
    ('self signed certificate in certificate chain', 'the chain ends in a CA other than the one given'),
    ('self-signed certificate', 'the certificate is self-signed and not the CA given'),
    ('self signed certificate', 'the certificate is self-signed and not the CA given'),
    ('unsupported certificate purpose', 'the certificate is not for TLS servers (extendedKeyUsage)'),
    ('BAD_DECRYPT', 'the key is encrypted (sendmail cannot read an encrypted key)'),
    ('bad decrypt', 'the key is encrypted (sendmail cannot read an encrypted key)'),
    ('NO_START_LINE', 'not a PEM file'),
    ('PEM lib', 'not a PEM file, or an encrypted key'),
)


def _hint(text):
    for word, hint in _HINTS:
        if word in text:
            return hint
    return None


def _no_password():
    # An encrypted key would otherwise make OpenSSL ask on the terminal.
    return b''


def check_files(cert, key, ca=None):
    """(problem, details): None when the set works, else which part fails and OpenSSL's words.

    ``problem`` is one of 'cert' (unreadable), 'key' (unreadable, encrypted or not the certificate's),
    'ca' (unreadable), 'chain' (the handshake's verification failed: the chain, the dates, the purpose).
    """
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        server.load_cert_chain(cert, key, password=_no_password)
    except (ssl.SSLError, OSError, ValueError, TypeError) as exc:
        text = str(exc)
        which = 'key' if ('KEY_VALUES_MISMATCH' in text or 'decrypt' in text.lower()) else None
        if which is None:
            try:   # the certificate file alone: is it the key that fails?
                ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=cert)
            except (ssl.SSLError, OSError, ValueError, TypeError) as inner:
                text, which = str(inner), 'cert'
            else:
                which = 'key'
        return which, (_hint(text) or 'unreadable') + ' (' + text + ')'
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    try:
        if ca:
            client.load_verify_locations(cafile=ca)
        else:
            # Only the dates (and purpose): the certificate trusts itself.
            client.load_verify_locations(cafile=cert)
            partial = getattr(ssl, 'VERIFY_X509_PARTIAL_CHAIN', None)
            if partial is None:
                return None, 'no CA given: key match checked, dates not checked (Python < 3.10)'
            client.verify_flags |= partial
    except (ssl.SSLError, OSError, ValueError) as exc:
        return ('ca' if ca else 'cert'), (_hint(str(exc)) or 'unreadable') + ' (' + str(exc) + ')'
    return _handshake(server, client)


def _handshake(server, client):
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    tls_client = client.wrap_bio(c_in, c_out, server_side=False)
    tls_server = server.wrap_bio(s_in, s_out, server_side=True)
    done = {'client': False, 'server': False}
    for _round in range(20):
        for name, side, out, peer_in in (('client', tls_client, c_out, s_in), ('server', tls_server, s_out, c_in)):
            if not done[name]:
                try:
                    side.do_handshake()
                    done[name] = True
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    pass
                except ssl.SSLCertVerificationError as exc:
                    reason = exc.verify_message or str(exc)
                    return 'chain', (_hint(reason) or reason) + ' (' + reason + ')'
                except ssl.SSLError as exc:
                    if name == 'server':   # the client's alert after its verification failed
                        continue
                    return 'chain', (_hint(str(exc)) or str(exc))
            data = out.read()
            if data:
                peer_in.write(data)
        if done['client'] and done['server']:
            return None, tls_client.version()
    return 'chain', 'the handshake did not finish'
