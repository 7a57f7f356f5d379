"""Unit tests of check_listen (ss -ltnpH against sendmail_listen) and fqdn_errors."""

import pytest

from ansible_collections.mailops.sendmail.plugins.plugin_utils._fqdn import fqdn_errors
from ansible_collections.mailops.sendmail.plugins.plugin_utils._listen import check_listen
from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import build_policy


def ss_line(local, process='("sendmail-mta",pid=812,fd=4)', peer='0.0.0.0:*'):
    """One line of `ss -ltnpH` as iproute2 6.1 (Debian 12) prints it."""
    return f'LISTEN 0      4096   {local:>20}   {peer:>12}    users:({process})'


def listen(*endpoints):
    """The validated listen list for ('addr', port) pairs."""
    result = build_policy({'listen': [{'name': f'd{i}', 'addr': addr, 'port': port}
                                      for i, (addr, port) in enumerate(endpoints)]})
    assert result['errors'] == []
    return result['listen']


def test_exact_match_has_no_errors():
    lines = [ss_line('127.0.0.1:25'), ss_line('[::1]:25', peer='[::]:*'), ss_line('0.0.0.0:587')]
    assert check_listen(listen(('127.0.0.1', 25), ('::1', 25), ('0.0.0.0', 587)), lines) == []


def test_missing_and_unexpected_addresses():
    lines = [ss_line('0.0.0.0:587'), ss_line('[::1]:25', peer='[::]:*')]
    assert check_listen(listen(('127.0.0.1', 25), ('::1', 25)), lines) == [
        'sendmail does not listen on 127.0.0.1:25 (configured in sendmail_listen)',
        'sendmail listens on 0.0.0.0:587, which sendmail_listen does not configure',
    ]


def test_optional_listeners_may_be_missing():
    """M=O: sendmail ignores a socket it cannot open, so the check does too; a present one still counts."""
    policy = build_policy({'listen': [{'name': 'MTA', 'addr': '127.0.0.1'},
                                      {'name': 'alt', 'port': 2525, 'addr': '127.0.0.1', 'modifiers': 'O'}]})
    assert policy['errors'] == []
    assert check_listen(policy['listen'], [ss_line('127.0.0.1:25')]) == []
    assert check_listen(policy['listen'], [ss_line('127.0.0.1:25'), ss_line('127.0.0.1:2525')]) == []
    assert check_listen(policy['listen'], [ss_line('127.0.0.1:2525')]) == [
        'sendmail does not listen on 127.0.0.1:25 (configured in sendmail_listen)']


def test_listeners_of_raw_mc_lines_are_expected():
    """A 587 MSA added as a raw DAEMON_OPTIONS line is neither unexpected nor allowed to be missing."""
    policy = build_policy({'listen': [{'name': 'MTA', 'addr': '0.0.0.0'}],
                           'mc_extra_lines': ["DAEMON_OPTIONS(`Port=submission, Name=MSA, M=Ea')dnl"]})
    assert policy['errors'] == []
    assert check_listen(policy['listen'], [ss_line('0.0.0.0:25'), ss_line('0.0.0.0:587')]) == []
    assert check_listen(policy['listen'], [ss_line('0.0.0.0:25')]) == [
        'sendmail does not listen on 0.0.0.0:587 (configured in sendmail_mc_extra_lines)']


def test_ipv6_endpoints_are_printed_in_brackets():
    assert check_listen(listen(('2001:db8::25', 25)), [ss_line('[::]:25', peer='[::]:*')]) == [
        'sendmail does not listen on [2001:db8::25]:25 (configured in sendmail_listen)',
        'sendmail listens on [::]:25, which sendmail_listen does not configure',
    ]


def test_other_processes_are_ignored():
    lines = [
        ss_line('127.0.0.1:25'),
        ss_line('0.0.0.0:22', process='("sshd",pid=500,fd=3)'),
        ss_line('127.0.0.1:53', process='("nsd",pid=600,fd=5),("nsd",pid=601,fd=5)'),
        'LISTEN 0      128          0.0.0.0:8080        0.0.0.0:*',
        '',
        'State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process',
    ]
    assert check_listen(listen(('127.0.0.1', 25)), lines) == []


@pytest.mark.parametrize('process', [
    '("sendmail",pid=9,fd=4)',
    '("sendmail-mta",pid=9,fd=4),("sendmail-mta",pid=10,fd=4)',
    '("sendmail-msp",pid=9,fd=4)',
])
def test_any_sendmail_process_name_counts(process):
    assert check_listen(listen(('127.0.0.1', 25)), [ss_line('127.0.0.1:25', process=process)]) == []


def test_star_is_the_wildcard():
    assert check_listen(listen(('::', 25)), [ss_line('*:25', peer='*:*')]) == []
    assert check_listen(listen(('0.0.0.0', 25)), [ss_line('*:25', peer='*:*')]) == []
    assert check_listen(listen(('127.0.0.1', 25)), [ss_line('*:25', peer='*:*')]) == [
        'sendmail does not listen on 127.0.0.1:25 (configured in sendmail_listen)',
        'sendmail listens on [::]:25, which sendmail_listen does not configure',
    ]


def test_interface_suffixes_and_service_names_are_normalised():
    lines = [ss_line('127.0.0.1%lo:smtp'), ss_line('[::1]%lo:submission', peer='[::]:*')]
    assert check_listen(listen(('127.0.0.1', 25), ('::1', 587)), lines) == []


def test_ss_output_as_one_string_and_raw_listen_entries():
    raw_listen = [{'name': 'MTA', 'addr': '127.0.0.1', 'port': 'smtp'}]
    stdout = '\n'.join([ss_line('127.0.0.1:25'), ss_line('127.0.0.1:25')])
    assert check_listen(raw_listen, stdout) == []


def test_sockets_without_owner_count_on_mail_ports_only():
    """ss cannot always read the owner (some containers): no users: column."""
    lines = ['LISTEN 0      100        127.0.0.1:25        0.0.0.0:*',
             'LISTEN 0      100          0.0.0.0:2525      0.0.0.0:*',
             'LISTEN 0      100          0.0.0.0:8080      0.0.0.0:*',
             'LISTEN 0      100          0.0.0.0:465       0.0.0.0:*']
    assert check_listen(listen(('127.0.0.1', 25), ('0.0.0.0', 2525)), lines) == [
        'sendmail listens on 0.0.0.0:465, which sendmail_listen does not configure']


def test_malformed_listen_items_are_reported():
    assert check_listen([{'name': 'MTA', 'addr': '127.0.0.1'}, 'x'], [ss_line('127.0.0.1:25')]) == [
        "sendmail_listen[0]: not a validated listen entry (name, port, addr): {'name': 'MTA', 'addr': '127.0.0.1'}",
        "sendmail_listen[1]: not a validated listen entry (name, port, addr): 'x'",
        'sendmail listens on 127.0.0.1:25, which sendmail_listen does not configure',
    ]


def test_nothing_listening():
    assert check_listen(listen(('127.0.0.1', 25)), []) == [
        'sendmail does not listen on 127.0.0.1:25 (configured in sendmail_listen)']
    assert check_listen([], None) == []


# --- fqdn_errors -----------------------------------------------------------

@pytest.mark.parametrize('name, ip, aliases', [
    ('mail.example.com', '192.0.2.25', ['mail', 'smtp.example.com']),
    ('MX1.Example.org', '2001:db8::25', None),
    ('a.b', '10.0.0.1', []),
])
def test_fqdn_accepted(name, ip, aliases):
    assert fqdn_errors(name, ip, aliases) == []


@pytest.mark.parametrize('name, why', [
    ('mail', 'needs at least 2 labels (a fully qualified name)'),
    ('mail.example.com.', 'not a valid host/domain name: empty label (leading, trailing or double dot)'),
    ('mail_1.example.com', "not a valid host/domain name: bad characters '_'"),
    ('192.0.2.25', 'looks like an IP address, not a host name'),
    ('a' * 250 + '.com', 'host/domain name longer than 253 characters'),
    ('', 'empty host/domain name'),
])
def test_fqdn_names_refused(name, why):
    assert fqdn_errors(name, '192.0.2.25', []) == [f'fqdn_name ({name!r}): {why}']


def test_fqdn_name_must_be_a_string():
    assert fqdn_errors(None, '192.0.2.25', []) == ['fqdn_name: must be a string, got null']


@pytest.mark.parametrize('ip', ['mail.example.com', '192.0.2.256', '', None, '[::1]'])
def test_fqdn_ip_refused(ip):
    assert fqdn_errors('mail.example.com', ip, []) == [f'fqdn_ip ({ip!r}): must be a literal IPv4 or IPv6 address']


def test_fqdn_aliases_refused():
    assert fqdn_errors('mail.example.com', '192.0.2.25', ['ok', 'bad name', 7]) == [
        "fqdn_aliases[1] ('bad name'): not a valid host/domain name: bad characters ' ' (space)",
        'fqdn_aliases[2] (7): must be a string, got an integer',
    ]
    assert fqdn_errors('mail.example.com', '192.0.2.25', 'mail') == ['fqdn_aliases: must be a list, got a string']


def test_fqdn_all_errors_at_once():
    assert len(fqdn_errors('mail', 'x', ['-bad'])) == 3
