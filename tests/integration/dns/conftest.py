# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Session fixtures: one NSD for all DNS integration tests, one for the documented examples, and a port where
nothing answers."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from dnslab import BL_ZONE, EXAMPLE_ZONES, NODMARC_ZONE, NSD, ZONES, Nsd, auth_zone, free_port


@pytest.fixture(scope='session')
def nsd():
    if not os.path.exists(NSD):
        if os.environ.get('CI'):
            pytest.fail('nsd is not installed (apt-get install nsd)')
        pytest.skip('nsd is not installed (apt-get install nsd)')
    workdir = tempfile.mkdtemp(prefix='dnstest-nsd-')
    keys = dkim_keys(workdir)
    zones = dict(ZONES, **{'auth.test': auth_zone(keys['rsa_p'], keys['ed_p']), 'nodmarc.test': NODMARC_ZONE,
                           'bl.test': BL_ZONE})
    server = Nsd(workdir, zones)
    server.keys = keys
    yield server
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope='session')
def examples_nsd(nsd):
    """A second NSD serving the names of the documented examples (EXAMPLE_ZONES)."""
    workdir = tempfile.mkdtemp(prefix='dnstest-examples-')
    server = Nsd(workdir, EXAMPLE_ZONES)
    yield server
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope='session')
def dead_port():
    """A port on 127.0.0.1 where nothing answers: queries time out."""
    return free_port()


def dkim_keys(workdir):
    """Key pairs made for this session (no key is kept in the repository): the RSA key published at
    sel1._domainkey.auth.test, the Ed25519 key at ed._domainkey.auth.test, and another RSA key that
    is published nowhere. Their private halves are PEM files in workdir; the public ones are given as
    PEM text and as the base64 of a p= value."""
    from base64 import b64encode

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    def pem_files(name, key):
        path = os.path.join(workdir, name + '.key')
        with open(path, 'wb') as handle:
            handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        os.chmod(path, 0o600)
        public = key.public_key()
        return path, public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    ed_key = ed25519.Ed25519PrivateKey.generate()
    rsa_path, rsa_pem = pem_files('rsa', rsa_key)
    other_path, other_pem = pem_files('other', other_key)
    ed_path, ed_pem = pem_files('ed', ed_key)
    der = rsa_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    pkcs1 = rsa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    raw = ed_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return dict(rsa_path=rsa_path, rsa_pem=rsa_pem.decode(), rsa_pkcs1_pem=pkcs1.decode(),
                rsa_p=b64encode(der).decode(), other_path=other_path, other_pem=other_pem.decode(),
                ed_path=ed_path, ed_pem=ed_pem.decode(), ed_p=b64encode(raw).decode())
