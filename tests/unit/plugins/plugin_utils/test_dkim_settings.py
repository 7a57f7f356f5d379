"""Unit tests of the dkim role's settings check (plugins/plugin_utils/_dkim.py, filter dkim_settings)."""

import subprocess

import pytest

from ansible_collections.mailops.sendmail.plugins.plugin_utils._dkim import dkim_settings


@pytest.fixture(scope='module')
def pem():
    return subprocess.run(['openssl', 'genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'],
                          capture_output=True, text=True, check=True).stdout


def run(keys, internal_hosts=None, **kwargs):
    return dkim_settings(keys, kwargs.pop('key_dir', '/etc/dkimkeys'), internal_hosts, **kwargs)


def test_keys_files_records_and_the_milter_socket(pem):
    result = run([{'domain': 'Example.com', 'selector': 's2026', 'private_key': pem},
                  {'domain': 'example.net', 'selector': 'mail.a', 'bits': 4096, 'signers': ['*@*.example.net', 'x@y.org']}],
                 ['192.0.2.0/24', '.clients.example.com'])
    assert result['errors'] == []
    assert result['keys'] == [
        {'domain': 'example.com', 'selector': 's2026', 'managed': True, 'bits': 2048, 'signers': ['*@example.com'],
         'dir': '/etc/dkimkeys/example.com', 'file': '/etc/dkimkeys/example.com/s2026.private',
         'record': 's2026._domainkey.example.com'},
        {'domain': 'example.net', 'selector': 'mail.a', 'managed': False, 'bits': 4096,
         'signers': ['*@*.example.net', 'x@y.org'], 'dir': '/etc/dkimkeys/example.net',
         'file': '/etc/dkimkeys/example.net/mail.a.private', 'record': 'mail.a._domainkey.example.net'}]
    # Only the key the inventory holds is written by the role, its text taken from that entry of dkim_keys.
    assert result['key_files'] == [{'path': '/etc/dkimkeys/example.com/s2026.private', 'index': 0}]
    assert result['internal_hosts'] == ['127.0.0.1', '::1', 'localhost', '192.0.2.0/24', '.clients.example.com']
    assert result['socket'] == 'inet:8891@127.0.0.1'
    assert pem.split('\n')[1] not in repr(result)
    assert run([], port=10025, address='::1')['socket'] == 'inet6:10025@::1'


def test_key_files_point_at_the_entry_that_holds_the_text(pem):
    result = run([{'domain': 'a.example', 'selector': 's1'}, {'domain': 'b.example', 'selector': 's1', 'private_key': pem},
                  {'domain': 'c.example', 'selector': 's1', 'private_key': pem}])
    assert result['key_files'] == [{'path': '/etc/dkimkeys/b.example/s1.private', 'index': 1},
                                   {'path': '/etc/dkimkeys/c.example/s1.private', 'index': 2}]
    assert all('index' not in key for key in result['keys'])


def test_relay_clients_of_the_sendmail_policy_are_signed_for():
    access = ('Connect:localhost\tRELAY\nConnect:192.0.2.10\tRELAY\nConnect:198.51.100\tRELAY\n'
              'Connect:IPv6:2001:db8::/32\tRELAY\nConnect:client.example.com\tRELAY\n'
              'Connect:203.0.113.9\tREJECT\nFrom:a@b.example\tRELAY\n')
    result = run([], None, access=access, relay_domains=['relay.example.org'])
    assert result['internal_hosts'] == ['127.0.0.1', '::1', 'localhost', '.localhost', '192.0.2.10/32',
                                        '198.51.100.0/24', '2001:db8::/32', 'client.example.com',
                                        '.client.example.com', 'relay.example.org', '.relay.example.org']
    # dkim_internal_hosts replaces them.
    assert run([], ['10.0.0.1'], access=access)['internal_hosts'] == ['127.0.0.1', '::1', 'localhost', '10.0.0.1']


@pytest.mark.parametrize('key, why', [
    ({'domain': 'example.com'}, "selector None must be one or more DNS labels"),
    ({'domain': 'example.com', 'selector': 'a b'}, "selector 'a b' must be one or more DNS labels"),
    ({'domain': 'example.com', 'selector': 'a:b'}, "selector 'a:b' must be one or more DNS labels"),
    ({'domain': 'example.com', 'selector': 's#1'}, 'must be one or more DNS labels'),
    ({'domain': 'example', 'selector': 's'}, "domain 'example': needs at least 2 labels"),
    ({'domain': 'exa mple.com', 'selector': 's'}, "bad characters"),
    ({'domain': 'example.com:/etc/shadow', 'selector': 's'}, 'bad characters'),
    ({'domain': 'example.com', 'selector': 's', 'private_key': 'secret-text'}, 'its text is not shown'),
    ({'domain': 'example.com', 'selector': 's', 'bits': 512}, 'bits 512 must be a whole number from 1024 to 4096'),
    ({'domain': 'example.com', 'selector': 's', 'signers': ['a b@example.com']}, "signer 'a b@example.com'"),
    ({'domain': 'example.com', 'selector': 's', 'signers': ['*@example.com\tother']}, 'signer'),
    ({'domain': 'example.com', 'selector': 's', 'signers': []}, 'signers must be a non-empty list'),
    ({'domain': 'example.com', 'selector': 's', 'key': 'x'}, "unknown field 'key'"),
])
def test_keys_refused(key, why):
    errors = run([key])['errors']
    assert len(errors) == 1 and errors[0].startswith('dkim_keys[0]') and why in errors[0], errors
    assert 'secret-text' not in errors[0]


def test_duplicates_paths_hosts_and_socket_refused():
    result = run([{'domain': 'example.com', 'selector': 's'}, {'domain': 'EXAMPLE.com', 'selector': 'S'}],
                 ['192.0.2.1 # x'], key_dir='keys', port=0, address='localhost')
    assert result['errors'] == [
        'dkim_keys[1] (example.com/S): duplicate domain and selector (first at index 0)',
        "dkim_key_dir: 'keys' is not an absolute path",
        "dkim_internal_hosts[0] ('192.0.2.1 # x'): must be an IP address, a network (CIDR), a host name or a "
        '.domain (no spaces, no #)',
        'dkim_port: must be 1-65535, got 0',
        "dkim_listen_address: must be an IP address (the milter listens there), got 'localhost'"]
    assert run({'domain': 'x'})['errors'] == ['dkim_keys: must be a list, got a mapping']
