"""STARTTLS: the PEM check (module_utils/_tls), host_state's check of host files, the sendmail_tls_* settings
of the policy, and install_files' secret entries, on real certificates made here with the cryptography
library (which comes with ansible-core)."""

import datetime
import json
import os

import pytest
from core_compat import patch_module_args
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.mailops.sendmail.plugins.module_utils._tls import check_files
from ansible_collections.mailops.sendmail.plugins.modules import host_state, install_files
from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import build_policy

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _pem(obj):
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.PEM)
    return obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _cert(name, key, issuer=None, issuer_key=None, ca=False, start=NOW - DAY, end=NOW + 10 * DAY):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer.subject if issuer else subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp('pki')
    ca_key, other_key, mid_key, mx_key, stray_key = (_key() for _count in range(5))
    ca = _cert('CA', ca_key, ca=True)
    other = _cert('other CA', other_key, ca=True)
    mid = _cert('intermediate', mid_key, ca, ca_key, ca=True)
    files = {
        'ca.crt': _pem(ca), 'other.crt': _pem(other), 'mx.key': _pem(mx_key), 'stray.key': _pem(stray_key),
        'mx.crt': _pem(_cert('mx1.example.test', mx_key, ca, ca_key)),
        'expired.crt': _pem(_cert('mx1.example.test', mx_key, ca, ca_key, start=NOW - 30 * DAY, end=NOW - DAY)),
        'future.crt': _pem(_cert('mx1.example.test', mx_key, ca, ca_key, start=NOW + DAY, end=NOW + 9 * DAY)),
        'leaf-only.crt': _pem(_cert('mx1.example.test', mx_key, mid, mid_key)),
    }
    files['chain.crt'] = files['leaf-only.crt'] + _pem(mid)
    for name, data in files.items():
        (d / name).write_bytes(data)
        (d / name).chmod(0o600)
    return d


@pytest.mark.parametrize('cert, key, ca, problem, words', [
    ('mx.crt', 'mx.key', 'ca.crt', None, 'TLSv1.'),
    ('mx.crt', 'mx.key', None, None, 'TLSv1.'),
    ('chain.crt', 'mx.key', 'ca.crt', None, 'TLSv1.'),
    ('mx.crt', 'stray.key', 'ca.crt', 'key', 'the key does not belong to the certificate'),
    ('expired.crt', 'mx.key', 'ca.crt', 'chain', 'the certificate has expired'),
    ('expired.crt', 'mx.key', None, 'chain', 'the certificate has expired'),
    ('future.crt', 'mx.key', 'ca.crt', 'chain', 'the certificate is not valid yet'),
    ('leaf-only.crt', 'mx.key', 'ca.crt', 'chain', 'an intermediate certificate is missing'),
    ('mx.crt', 'mx.key', 'other.crt', 'chain', 'the chain does not lead to the CA given'),
    ('mx.key', 'mx.key', 'ca.crt', 'cert', 'no certificate'),
    ('mx.crt', 'mx.crt', 'ca.crt', 'key', 'not a PEM file'),
    ('mx.crt', 'mx.key', 'missing.crt', 'ca', 'No such file'),
])
def test_check_files(pki, cert, key, ca, problem, words):
    found, detail = check_files(str(pki / cert), str(pki / key), str(pki / ca) if ca else None)
    assert found == problem, detail
    assert words.lower() in detail.lower(), detail


def test_host_state_checks_host_files_and_the_key_mode(pki):
    files = {'cert': str(pki / 'mx.crt'), 'key': str(pki / 'mx.key'), 'ca': str(pki / 'ca.crt')}
    assert host_state.tls_problem(files) is None
    assert host_state.tls_problem({'ca': files['ca']}) is None   # nothing to check without cert and key
    os.chmod(files['key'], 0o640)
    try:
        assert 'may be read by others than its owner (mode 0640)' in host_state.tls_problem(files)
    finally:
        os.chmod(files['key'], 0o600)
    assert 'no such file' in host_state.tls_problem(dict(files, cert=str(pki / 'gone.crt')))
    problem = host_state.tls_problem(dict(files, key=str(pki / 'stray.key')))
    assert problem.startswith(str(pki / 'stray.key')) and 'does not belong' in problem


# -- the policy's tls settings ------------------------------------------------------------------

LISTEN = [{'name': 'MTA', 'port': 25, 'addr': '127.0.0.1'}]


def tls(**settings):
    return build_policy({'listen': LISTEN, 'tls': settings})


def test_pems_from_the_inventory_go_to_the_default_files_with_the_defines():
    result = tls(cert=True, key=True, ca=True, ca_dir='/etc/ssl/certs', client_cert=True,
                 server_ssl_options='+SSL_OP_NO_SSLv3 +SSL_OP_NO_TLSv1', cipher_list='HIGH:!aNULL')
    assert result['errors'] == []
    out = result['tls']
    assert out['server'] is True and out['host_files'] == {}
    assert [(f['var'], f['path'], f['secret'], f['mode']) for f in out['files']] == [
        ('sendmail_tls_cert', '/etc/mail/tls/mailops.crt', False, '0644'),
        ('sendmail_tls_key', '/etc/mail/tls/mailops.key', True, '0600'),
        ('sendmail_tls_ca', '/etc/mail/tls/mailops-ca.crt', False, '0644')]
    assert {d['name']: d['value'] for d in out['defines']} == {
        'confSERVER_CERT': '/etc/mail/tls/mailops.crt', 'confSERVER_KEY': '/etc/mail/tls/mailops.key',
        'confCLIENT_CERT': '/etc/mail/tls/mailops.crt', 'confCLIENT_KEY': '/etc/mail/tls/mailops.key',
        'confCACERT': '/etc/mail/tls/mailops-ca.crt', 'confCACERT_PATH': '/etc/ssl/certs',
        'confSERVER_SSL_OPTIONS': '+SSL_OP_NO_SSLv3 +SSL_OP_NO_TLSv1', 'confCIPHER_LIST': 'HIGH:!aNULL'}


def test_host_files_and_a_client_without_certificate():
    result = tls(cert_file='/etc/ssl/mx.pem', key_file='/etc/ssl/private/mx.key', ca_file='/etc/ssl/ca.pem',
                 ca_dir='/etc/ssl/certs', client_cert=False)
    assert result['errors'] == [] and result['tls']['files'] == []
    assert result['tls']['host_files'] == {'cert': '/etc/ssl/mx.pem', 'key': '/etc/ssl/private/mx.key',
                                           'ca': '/etc/ssl/ca.pem'}
    assert 'confCLIENT_CERT' not in [d['name'] for d in result['tls']['defines']]
    client = tls(ca=True, ca_dir='/etc/ssl/certs', cipher_list='HIGH')
    assert client['errors'] == [] and client['tls']['server'] is False
    assert [d['name'] for d in client['tls']['defines']] == ['confCACERT', 'confCACERT_PATH', 'confCIPHER_LIST']
    # No TLS at all: no define, not even the protocol options (the mc stays as it was).
    assert tls(server_ssl_options='+SSL_OP_NO_SSLv3', ca_dir='/etc/ssl/certs')['tls']['defines'] == []


@pytest.mark.parametrize('settings, words', [
    ({'cert': True, 'ca': True}, 'sendmail_tls_cert: a cert needs its key'),
    ({'cert': True, 'key_file': '/etc/k.pem', 'ca': True}, 'give both PEMs in the inventory or name both files'),
    ({'cert': True, 'key': True}, 'sendmail offers STARTTLS only with a CA file'),
    ({'cert': True, 'key': True, 'ca': True, 'ca_dir': ''}, 'sendmail_tls_ca_dir: sendmail uses STARTTLS only'),
    ({'cert_file': 'relative.pem', 'key': True}, 'sendmail_tls_cert_file'),
    ({'cert_file': '/etc/../etc/x', 'key': True}, 'without ".." components'),
    ({'cert_file': '/etc/mail/tls/x.pem', 'key_file': '/etc/mail/tls/x.pem', 'ca': True}, 'must be different'),
    ({'server_ssl_options': '+SSL_OP_NO_TLSv9'}, "unknown SSL options '+SSL_OP_NO_TLSv9'"),
    ({'client_ssl_options': 'esyscmd(id)'}, 'sendmail_tls_client_ssl_options: unknown SSL options'),
    ({'cipher_list': "HIGH', `x"}, 'sendmail_tls_cipher_list'),
    ({'cipher_list': 'dnl'}, 'sendmail_tls_cipher_list'),
    ({'client_cert': 'yes'}, 'sendmail_tls_client_cert: must be true or false'),
])
def test_refused_tls_settings_name_the_variable(settings, words):
    errors = tls(**dict({'ca_dir': '/etc/ssl/certs'}, **settings))['errors']
    assert any(words in error for error in errors), errors


def test_tls_defines_are_not_taken_twice():
    errors = build_policy({'listen': LISTEN, 'defines': {'confSERVER_CERT': '/x'}, 'tls': {}})['errors']
    assert errors == ['sendmail_defines: confSERVER_CERT are set by the sendmail_tls_* variables; '
                      'remove them from sendmail_defines']


# -- install_files: a secret entry --------------------------------------------------------------

def test_a_secret_file_is_written_with_its_mode_and_never_shown(tmp_path, capsys):
    path = tmp_path / 'mailops.key'
    path.write_text('OLD SECRET\n')
    secret = '-----BEGIN PRIVATE KEY-----\nTOPSECRETKEYTEXT\n-----END PRIVATE KEY-----\n'
    with patch_module_args({'_ansible_diff': True, 'files': [
            {'path': str(path), 'secret_content': secret, 'secret': True, 'mode': '0600'}]}):
        with pytest.raises(SystemExit) as exc:
            install_files.main()
    out = capsys.readouterr().out
    result = json.loads(out)
    assert exc.value.code == 0, result
    assert path.read_text() == secret and (path.stat().st_mode & 0o777) == 0o600
    assert result['diff'][0]['before'] == result['diff'][0]['after'] == '(a secret file, not shown)\n'
    assert 'TOPSECRETKEYTEXT' not in out and 'OLD SECRET' not in out
