# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""dmarc_verify and dkim_verify where their optional libraries are missing (publicsuffixlist,
cryptography), against the real NSD: only what needs the library fails, naming it."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.sendmail.plugins.module_utils import _dkim_verify, _dmarc_verify


def _params(module, nsd, **values):
    params = dict((k, v.get('default')) for k, v in module.ARGUMENT_SPEC.items())
    params.update(nameservers=['127.0.0.1'], port=nsd.port, timeout=2.0, retries=0)
    params.update(values)
    return params


def test_dmarc_without_publicsuffixlist(nsd, monkeypatch):
    monkeypatch.setattr(_dmarc_verify, 'HAS_PSL', False)
    result, failed = _dmarc_verify.run(_params(_dmarc_verify, nsd, domains=['auth.test', 'sub.auth.test']))
    assert failed
    own, fallback = result['checks']
    assert own['status'] == 'ok'  # a domain with its own record needs no organizational domain
    assert fallback['status'] == 'error'
    assert fallback['msg'].startswith('_dmarc.sub.auth.test TXT: no DMARC record; the organizational domain is not '
                                      'known: Failed to import the required Python library (publicsuffixlist)')


def test_dkim_without_cryptography(nsd, monkeypatch):
    monkeypatch.setattr(_dkim_verify, 'HAS_CRYPTOGRAPHY', False)
    keys = nsd.keys
    result, failed = _dkim_verify.run(_params(_dkim_verify, nsd, domain='auth.test', selector='sel1',
                                              private_key_path=keys['rsa_path']))
    assert failed and 'checks' not in result
    assert result['msg'].startswith('domains[0] (auth.test): Failed to import the required Python library '
                                    '(cryptography)')
    assert result['msg'].endswith('(to read private_key_path)')
    # the published encoding (SubjectPublicKeyInfo) and Ed25519 keys still compare without it
    for selector, key in (('sel1', keys['rsa_pem']), ('sel1', keys['rsa_p']), ('ed', keys['ed_pem'])):
        result, failed = _dkim_verify.run(_params(_dkim_verify, nsd, domain='auth.test', selector=selector,
                                                  public_key=key))
        assert not failed, result['msg']
        assert result['checks'][0]['key_bits'] == (0 if selector == 'sel1' else 256)


@pytest.mark.parametrize('has_cryptography, status', [(True, 'ok'), (False, 'mismatch')])
def test_dkim_pkcs1_key_needs_cryptography_to_match(nsd, monkeypatch, has_cryptography, status):
    """An RSA key given as PKCS#1 (BEGIN RSA PUBLIC KEY) is the published key in another encoding: only
    with cryptography are the two compared as keys."""
    monkeypatch.setattr(_dkim_verify, 'HAS_CRYPTOGRAPHY', has_cryptography)
    result, _failed = _dkim_verify.run(_params(_dkim_verify, nsd, domain='auth.test', selector='sel1',
                                               public_key=nsd.keys['rsa_pkcs1_pem']))
    assert result['checks'][0]['status'] == status
