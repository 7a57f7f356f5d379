"""Unit tests of build_policy: the grammar of each layered map's entries."""

import pytest

from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import build_policy

LISTEN = [{'name': 'MTA', 'port': 25, 'addr': '127.0.0.1'}]


def run(**data):
    return build_policy(dict(data, listen=LISTEN))


def only_error(**data):
    """The one error of a policy that must have exactly one."""
    found = run(**data)['errors']
    assert len(found) == 1, found
    return found[0]


# --- access: keys ----------------------------------------------------------

@pytest.mark.parametrize('key', [
    'example.com', 'mail.example.com', 'localhost', 'Connect:192.168.2', 'connect:10', '10', '192.168.1.1',
    '0.0.0.1', 'IPv6:2001:db8', 'IPv6:2001:db8::1', 'Connect:IPv6:2001:db8:0:1', 'From:user@example.com',
    'From:user@', 'To:example.org', 'To:user.name+tag@example.org', 'Connect:[127.0.0.3]',
    'Connect:[IPv6:1:2:3:4:5:6:7:8]', 'From:[1.2.4]',
])
def test_access_keys_accepted(key):
    result = run(access=[{'key': key, 'action': 'REJECT'}])
    assert result['errors'] == []
    assert result['access'] == [{'key': key, 'action': 'REJECT'}]


# Every tag sendmail 8.17 (and the features users may switch on) looks up, with a value of its kind.
@pytest.mark.parametrize('key, action', [
    ('Spam:abuse@', 'FRIEND'), ('Spam:example.com', 'FRIEND'),
    ('GreetPause:my.domain', '0'), ('GreetPause:10.1.2', 2000), ('GreetPause:127.0.0.1', '0'),
    ('ClientRate:10.1.2.3', '4'), ('ClientRate:', 10), ('ClientConn:127.0.0.1', '0'), ('ClientConn:', '10'),
    ('ClientRate:IPv6:2001:db8', '5'),
    ('Try_TLS:broken.server', 'NO'), ('Srv_Features:my.domain', 'v'), ('Srv_Features:', 'V'),
    ('Clt_Features:broken.sts', 'M'),
    ('TLS_Srv:secure.example.com', 'ENCR:112'), ('TLS_Clt:laptop.example.com', 'PERM+VERIFY:112'),
    ('TLS_Rcpt:darth@endmail.org', 'ENCR:112+CN:smtp.endmail.org'), ('TLS_Rcpt:', 'VERIFY'),
    ('TLS_Srv:safe.example.net', 'VERIFY+CN++CITag:MyCA'), ('TLS_Clt:', 'TEMP+ENCR:128'),
    ('TLS_Srv_Features:10.0.2.4', 'CipherList=MEDIUM+aRSA;'),
    ('TLS_Clt_Features:10.1.0.1', 'Options=SSL_OP_NO_TLSv1_2; CipherList=ALL:-EXPORT'),
    ('AuthInfo:other.dom', '"U:user" "I:user" "P:secret" "R:other.dom" "M:DIGEST-MD5"'),
    ('AuthInfo:host.more.dom', '"U:user" "P=c2VjcmV0"'), ('AuthInfo:127.0.0.1', '"U:smmsp" "P:secret" "M:DIGEST-MD5"'),
    ('CERTISSUER:/C=US/ST=CA/O=Example/CN=CA', 'RELAY'), ('CERTSUBJECT:/C=US/O=Example/CN=host', 'RELAY'),
    ('Compat:spammer@example.com<@>user@example.org', 'DISCARD'), ('QGRP:example.com', 'main'),
    ('Connect:suspicious.example.com', 'QUARANTINE:Mail from suspicious host'),
    ('From:cyberspammer.com', 'ERROR:"550 We don\'t accept mail from spammers"'),
    ('To:user@example.com', 'ERROR:4.2.2:450 mailbox full'), ('From:FREE.STEALTH.MAILER@', 'ERROR:550 Spam not accepted'),
    ('Connect:128.32.2', 'SKIP'), ('spammer.example', '"550 Go away"'), ('spammer2.example', '550 Go away'),
])
def test_access_tags_and_their_values_accepted(key, action):
    result = run(access=[{'key': key, 'action': action}])
    assert result['errors'] == []
    assert result['access'] == [{'key': key, 'action': str(action)}]


def test_authinfo_errors_never_show_the_password():
    for value in ['"U:user" "P:s3cret-pw"\nx RELAY', 'U:user P:s3cret-pw', '"U:a" "U:b" "P:s3cret-pw"']:
        error = only_error(access=[{'key': 'AuthInfo:relay.example.com', 'action': value}])
        assert 's3cret-pw' not in error and error.startswith("sendmail_access[0] (key 'AuthInfo:relay.example.com'): ")
    # under a mistyped tag or an untagged key the value is not shown either
    for key in ['AuthInf:relay.example.com', 'relay.example.com', 'Connect:relay.example.com', 'ClientRate:']:
        errors = run(access=[{'key': key, 'action': '"U:bob" "P:s3cret-pw"'}])['errors']
        assert errors and not any('s3cret-pw' in error for error in errors), errors
        assert any('made of AuthInfo tokens' in error for error in errors), errors


def test_citag_entries_need_a_tls_entry_that_names_them():
    tls = {'key': 'TLS_Srv:safe.example.net', 'action': 'VERIFY+CN++CITag:MyCA'}
    issuer = {'key': 'MyCA:/C=US/ST=CA/O=safe/CN=example.net/', 'action': 'OK'}
    assert run(access=[tls, issuer])['errors'] == []
    assert only_error(access=[issuer]).startswith(
        "sendmail_access[0] (key 'MyCA:/C=US/ST=CA/O=safe/CN=example.net/'): unknown tag 'MyCA:'")


@pytest.mark.parametrize('key, action, why', [
    ('Spam:abuse@', 'REJECT', "a Spam: entry takes FRIEND (FEATURE(`delay_checks', `friend')), got 'REJECT'"),
    ('Spam:abuse@', 'HATER', 'a HATER entry would be ignored'),
    ('ClientRate:10.1.2.3', 'many', "the value must be a whole number >= 0 (0 = no limit or no pause), got 'many'"),
    ('ClientConn:', '-1', 'the value must be a whole number >= 0'),
    ('GreetPause:', '5000', 'nothing after the tag (only these tags have a default entry:'),
    ('GreetPause:example.com', '5s', 'the value must be a whole number >= 0'),
    ('Try_TLS:broken.server', 'no', "a Try_TLS: entry turns STARTTLS off with NO, got 'no'"),
    ('TLS_Srv:secure.example.com', 'ENCR', 'a TLS requirement is [TEMP+|PERM+]VERIFY'),
    ('TLS_Srv:secure.example.com', 'ENCR:112+XX:y', "unknown TLS extension 'XX:y'"),
    ('TLS_Clt:', 'VERIFY:high', 'a TLS requirement is'),
    ('AuthInfo:other.dom', 'U:user P:secret', 'an AuthInfo: value is a list of "T:text" or "T=base64" tokens'),
    ('AuthInfo:other.dom', '"U:user" "R:x"', 'needs a user ("U:" or "I:") and a password ("P:")'),
    ('AuthInfo:other.dom', '"U:a" "U:b" "P:x"', 'names a token (U, I, P, R, M) twice'),
    ('From:user@example.com', 'SKIP', 'SKIP can only be used for host/domain names and IP networks'),
    ('CERTISSUER:C=US', 'RELAY', "is not a distinguished name as sendmail writes it"),
    ('Compat:a@b.example', 'DISCARD', "a Compat: key is 'sender<@>recipient'"),
    ('Srv_Features:my.domain', 'v!', 'the value is a list of feature letters'),
    ('Connect:[example.com]', 'OK', 'brackets hold an IPv4 or IPv6: address'),
    ('Connect:[1.2.3.4', 'OK', "opens a '[' it does not close"),
    ('example.com', 'OK\nexample.org RELAY', 'contains a line break or NUL, which would start another map line'),
    ('Connect:x.example', 'QUARANTINE:', 'QUARANTINE: needs a reason text'),
])
def test_access_values_refused_for_their_tag(key, action, why):
    error = only_error(access=[{'key': key, 'action': action}])
    assert error.startswith(f'sendmail_access[0] (key {key!r}): ') and why in error, error


@pytest.mark.parametrize('key, why', [
    ('', 'empty key'),
    ('bad key', "the key contains whitespace ' ' (space)"),
    ('bad\tkey', "the key contains whitespace '\\t' (tab)"),
    ('192.168.1.0/24', "CIDR is not supported by the access map; use the prefix '192.168.1'"),
    ('10.0.0.0/8', "CIDR is not supported by the access map; use the prefix '10'"),
    ('Connect:10.1.0.0/16', "CIDR is not supported by the access map; use the prefix 'Connect:10.1'"),
    ('192.168.0.0/23', "CIDR is not supported by the access map; use the prefixes '192.168.0', '192.168.1'"),
    ('10.0.0.0/12', 'CIDR is not supported by the access map; split the network into /16 prefixes and list each one'),
    ('IPv6:2001:db8::/32', "CIDR is not supported by the access map; use the prefix 'IPv6:2001:db8'"),
    ('example.com/24', "CIDR is not supported by the access map; '/' is not allowed in a key"),
    ('256.1', "octet 256 of '256.1' is greater than 255"),
    ('1.2.3.4.5', "'1.2.3.4.5' has too many octets (an IPv4 address or prefix has 1 to 4)"),
    ('10..1', "'10..1' has an empty octet"),
    ('010.1', "octet '010' of '010.1' has a leading zero and would never match"),
    ('exa$mple.com', "not a valid host/domain name: bad characters '$'"),
    ('-bad.example', "not a valid host/domain name: label '-bad' must be 1-63 letters, digits or hyphens, "
                     'not starting or ending with a hyphen'),
    ('Foo:bar', "unknown tag 'Foo:' (sendmail's tags: Connect:, From:, To:, Spam:, GreetPause:, ClientRate:, "
                "ClientConn:, Try_TLS:, Srv_Features:, Clt_Features:, TLS_Srv:, TLS_Clt:, TLS_Rcpt:, TLS_Srv_Features:, "
                'TLS_Clt_Features:, AuthInfo:, CERTISSUER:, CERTSUBJECT:, Compat:, QGRP:, bcc:)'),
    ('Connect:', 'nothing after the tag (only these tags have a default entry: ClientRate:, ClientConn:, Try_TLS:, '
                 'Srv_Features:, Clt_Features:, TLS_Srv:, TLS_Clt:, TLS_Rcpt:, TLS_Srv_Features:, TLS_Clt_Features:, '
                 'AuthInfo:)'),
    ('@example.com', "'@example.com' is not a valid key; to match a whole domain use 'example.com'"),
    ('a@b@example.com', "'a@b@example.com' has more than one @"),
    ('IPv6:2001:zz8', "'IPv6:2001:zz8' is not an IPv6 address or prefix"),
])
def test_access_keys_refused_with_a_reason(key, why):
    assert only_error(host_access=[{'key': key, 'action': 'REJECT'}]) == f'sendmail_host_access[0] (key {key!r}): {why}'


# --- access: actions -------------------------------------------------------

@pytest.mark.parametrize('action', [
    'OK', 'RELAY', 'REJECT', 'DISCARD', 'SKIP', 'ERROR:"550 Go away"', 'ERROR:5.7.1:550 Go away',
    'ERROR:450 Try later', 'ERROR:4.7.1:"451 Slow down"', 'ERROR:"550"',
])
def test_access_actions_accepted(action):
    assert run(access=[{'key': 'example.com', 'action': action}])['errors'] == []


@pytest.mark.parametrize('action', ['FRIEND', 'HATER'])
def test_spam_friend_and_hater_only_for_spam_keys(action):
    assert only_error(access=[{'key': 'abuse@', 'action': action}]).endswith(
        f"action {action} is only valid for 'Spam:' keys")


@pytest.mark.parametrize('action, why', [
    ('ACCEPT', "unknown action 'ACCEPT': the keyword is OK"),
    ('relay', "unknown action 'relay': keywords are upper case: RELAY"),
    ('Reject', "unknown action 'Reject': keywords are upper case: REJECT"),
    ('error:550 x', "unknown action 'error:550 x': keywords are upper case: ERROR:"),
    ('BLOCK', "unknown action 'BLOCK': use one of OK, RELAY, REJECT, DISCARD, SKIP, ERROR:\"5NN text\" or "
              'QUARANTINE:reason'),
    ('ERROR:"550 Go away', 'ERROR: reply has an unbalanced double quote'),
    ('ERROR:350 Go away', 'ERROR: needs a reply "NNN text" with a 4xx or 5xx code, e.g. ERROR:"550 Go away"'),
    ('ERROR:Go away', 'ERROR: needs a reply "NNN text" with a 4xx or 5xx code, e.g. ERROR:"550 Go away"'),
    ('ERROR:"550 Go\taway"', "ERROR: reply text must not contain '\\t' (tab)"),
    ('ERROR:550 say "hi"', "ERROR: reply text must not contain '\"'"),
    ('ERROR:5.7.1:450 Go away', 'ERROR: status 5.7.1 does not match reply code 450'),
])
def test_access_actions_refused_with_a_reason(action, why):
    assert only_error(access=[{'key': 'example.com', 'action': action}]) == \
        f"sendmail_access[0] (key 'example.com'): {why}"


def test_access_action_must_be_a_string():
    assert only_error(access=[{'key': 'example.com', 'action': ['OK']}]) == \
        "sendmail_access[0] (key 'example.com'): 'action' must be a string, got a list"


# --- access: the open-relay guard ------------------------------------------

# Every address form that relays for everyone, with the reason the guard gives.
OPEN_RELAY_KEYS = {
    '0': 'matches every client or destination', '0.0.0.0': 'matches every client or destination',
    'Connect:0': 'matches every client or destination', 'IPv6:::': 'matches every IPv6 client',
    'IPv6:': 'matches every IPv6 client',
    'IPv6:0': 'matches every IPv4 client on an IPv6 socket',
    'Connect:IPv6:::ffff': 'matches every IPv4 client on an IPv6 socket (sendmail writes them as IPv6:::ffff:a.b.c.d)',
    'Connect:IPv6:0:0:0:0:0:ffff': 'matches every IPv4 client on an IPv6 socket',
    'Connect:IPv6:0:0': 'matches every IPv4 client on an IPv6 socket',
    'com': "'com' is a single-label (top-level) name: relaying for it relays for every domain under it",
    'To:com': "'com' is a single-label (top-level) name", 'Connect:net': "'net' is a single-label (top-level) name",
    'To:mailhub': "'mailhub' is a single-label (top-level) name",
    'To:co.uk': "'co.uk' is a public suffix", 'Connect:github.io': "'github.io' is a public suffix",
    'To:CO.UK': "'co.uk' is a public suffix",
}


@pytest.mark.parametrize('key', OPEN_RELAY_KEYS)
def test_relay_for_everyone_is_refused(key):
    error = only_error(group_access=[{'key': key, 'action': 'RELAY'}])
    assert error.startswith(f'sendmail_group_access[0] (key {key!r}): RELAY for {key!r}: {OPEN_RELAY_KEYS[key]}')
    assert error.endswith(': it would make the server an open relay; set sendmail_allow_open_relay: true to accept')


@pytest.mark.parametrize('key', OPEN_RELAY_KEYS)
def test_relay_for_everyone_is_accepted_when_allowed(key):
    assert run(access=[{'key': key, 'action': 'RELAY'}], allow_open_relay=True)['errors'] == []


def test_relay_for_slash_zero_gets_both_reasons():
    found = run(access=[{'key': '0.0.0.0/0', 'action': 'RELAY'}])['errors']
    assert len(found) == 2
    assert 'CIDR is not supported by the access map; /0 would match every address' in found[0]
    assert 'would make the server an open relay' in found[1]


@pytest.mark.parametrize('key, action', [
    ('localhost', 'RELAY'), ('10', 'RELAY'), ('example.com', 'RELAY'), ('com', 'REJECT'),
    ('From:com', 'RELAY'), ('127.0.0.1', 'RELAY'), ('IPv6:::1', 'RELAY'), ('Connect:IPv6:::ffff:10', 'RELAY'),
    ('Connect:IPv6:2001:db8', 'RELAY'), ('To:example.co.uk', 'RELAY'), ('Connect:localhost.localdomain', 'RELAY'),
    ('Connect:[192.0.2.7]', 'RELAY'), ('To:postmaster@example.com', 'RELAY'), ('CERTISSUER:/C=US/O=Org/CN=CA', 'RELAY'),
])
def test_relay_guard_leaves_narrow_keys_alone(key, action):
    assert run(access=[{'key': key, 'action': action}])['errors'] == []


# --- relay_domains and local_host_names ------------------------------------

@pytest.mark.parametrize('name', ['relay_domains', 'local_host_names'])
def test_domain_names_are_lowercased_without_the_trailing_dot(name):
    result = run(**{name: ['Example.COM.', {'name': 'mail.Example.org'}, 'localhost']})
    assert result['errors'] == []
    assert result[name] == ['example.com', 'mail.example.org', 'localhost']


@pytest.mark.parametrize('value, why', [
    ('bad name.example', "not a valid host/domain name: bad characters ' ' (space)"),
    ('exa_mple.com', "not a valid host/domain name: bad characters '_'"),
    ('a..example', 'not a valid host/domain name: empty label (leading, trailing or double dot)'),
    ('x' * 64 + '.example', f"not a valid host/domain name: label {'x' * 64!r} must be 1-63 letters"),
    ('.'.join(['a' * 60] * 5), 'host/domain name longer than 253 characters'),
    ('', 'empty host/domain name'),
])
@pytest.mark.parametrize('name', ['relay_domains', 'local_host_names'])
def test_domain_names_refused_with_a_reason(name, value, why):
    assert only_error(**{name: ['example.com', value]}).startswith(f'sendmail_{name}[1] (name {value!r}): {why}')


@pytest.mark.parametrize('value, why', [
    ('com', "'com' is a single-label (top-level) name: relaying for it relays for every domain under it"),
    ('mail', "'mail' is a single-label (top-level) name"), ('co.uk', "'co.uk' is a public suffix (Public Suffix List)"),
    ('github.io', "'github.io' is a public suffix"), ('*', 'matches every client or destination'),
    ('.', 'matches every client or destination'),
])
def test_relay_domains_that_match_everything_are_refused(value, why):
    found = run(relay_domains=[value])['errors']
    assert found[-1].startswith(f'sendmail_relay_domains[0] (name {value!r}): relaying for {value!r}: {why}')
    assert found[-1].endswith(': it would make the server an open relay; set sendmail_allow_open_relay: true to accept')
    assert not any('open relay' in e for e in run(relay_domains=[value], allow_open_relay=True)['errors'])


def test_relay_domains_take_cf_readme_class_r_forms():
    """cf/README's class {R} example: domains, IPv4 and IPv6: networks, [UNIX:localhost]."""
    result = run(relay_domains=['sendmail.org', '128.32', 'IPv6:2002:c0a8:02c7', 'ipv6:2002:C0A8:51d2::23f4',
                                'host.mydomain.com', '[UNIX:localhost]'])
    assert result['errors'] == []
    assert result['relay_domains'] == ['sendmail.org', '128.32', 'IPv6:2002:c0a8:02c7', 'IPv6:2002:c0a8:51d2::23f4',
                                       'host.mydomain.com', '[UNIX:localhost]']
    assert only_error(relay_domains=['IPv6:zz']) == (
        "sendmail_relay_domains[0] (name 'IPv6:zz'): 'IPv6:zz' is not an IPv6 address or prefix after 'IPv6:'")
    assert 'matches every IPv4 client on an IPv6 socket' in only_error(relay_domains=['IPv6:::ffff'])


def test_relay_domains_accept_localhost_and_ip_prefixes():
    assert run(relay_domains=['localhost', '10', '192.168.1', 'example.co.uk', 'example.test'])['errors'] == []


def test_single_label_local_host_names_are_fine():
    assert run(local_host_names=['mail', 'localhost'])['errors'] == []


# --- virtusertable ---------------------------------------------------------

@pytest.mark.parametrize('address, target', [
    ('info@example.com', 'root'),
    ('Info@Example.COM', 'jane.doe'),
    ('@example.com', 'catchall'),
    ('sales@example.com', 'sales@example.org'),
    ('@example.net', '%1@example.org'),
    ('@example.net', '%1'),
    ('@example.net', 'owner+%1@example.org'),
    ('old@example.com', 'error:nouser User unknown'),
    ('old@example.com', 'error:5.1.1:550 User unknown'),
    ('old@example.com', 'error:550 Gone'),
    ('old@example.com', 'error:tempfail'),
])
def test_virtusertable_entries_accepted(address, target):
    result = run(virtusertable=[{'address': address, 'target': target}])
    assert result['errors'] == []
    assert result['virtusertable'] == [{'address': address.lower(), 'target': target}]


@pytest.mark.parametrize('address, why', [
    ('info', "address 'info' must be 'user@domain' or '@domain' (catch-all)"),
    ('in fo@example.com', "local part 'in fo' has characters that are not allowed"),
    ('info@', "domain of 'info@': empty host/domain name"),
    ('@bad_domain', "domain of '@bad_domain': not a valid host/domain name: bad characters '_'"),
])
def test_virtusertable_addresses_refused(address, why):
    assert only_error(virtusertable=[{'address': address, 'target': 'root'}]) == \
        f'sendmail_virtusertable[0] (address {address!r}): {why}'


@pytest.mark.parametrize('target, why', [
    ('john doe', "target 'john doe' contains whitespace"),
    ('|/usr/bin/procmail', "target '|/usr/bin/procmail': programs, files and :include: are not allowed"),
    ('/var/mail/x', "target '/var/mail/x': programs, files and :include: are not allowed"),
    (':include:/etc/x', "target ':include:/etc/x': programs, files and :include: are not allowed"),
    ('error:nosuch User unknown', "target 'error:nosuch User unknown': error: needs a sysexits name"),
    ('error:5.1.1 User unknown', "target 'error:5.1.1 User unknown': error: needs a sysexits name"),
    ('a@b@example.com', "target 'a@b@example.com': local part 'a@b' has characters that are not allowed"),
    ('-x', "target '-x' is not a local user, an address or error:..."),
])
def test_virtusertable_targets_refused(target, why):
    assert only_error(virtusertable=[{'address': 'a@example.com', 'target': target}]).startswith(
        f"sendmail_virtusertable[0] (address 'a@example.com'): {why}")


# --- mailertable (cf/README: FEATURES mailertable, USING MAILERTABLES) ------

@pytest.mark.parametrize('domain, route', [
    ('.my.domain', 'smtp:%1.my.domain'),            # the wildcarded part of the name
    ('my.domain', 'esmtp:host.my.domain'),
    ('.domain', 'smtp:[gateway.domain]'),           # brackets: no MX lookup
    ('.', 'relay:[smarthost.example.net]'),         # every domain no other key covers
    ('vangogh.CS.Berkeley.EDU', 'smtp8:[192.0.2.25]'),
    ('v6.example', 'dsmtp:[IPv6:2001:db8::25]'),
    ('local.example', 'local:'),                    # the recipient's own name, delivered locally
    ('users.example', 'local:bob'),
    ('gone.example', 'error:5.7.1:550 No mail for this domain'),
    ('gone2.example', 'error:550 Gone'),
    ('gone3.example', 'error:421'),
])
def test_mailertable_entries_accepted(domain, route):
    result = run(mailertable=[{'domain': domain, 'route': route}])
    assert result['errors'] == []
    assert result['mailertable'] == [{'domain': domain.lower(), 'route': route}]


def test_mailertable_keys_merge_by_domain_across_layers():
    result = run(mailertable=[{'domain': '.example.net', 'route': 'smtp:a.example.net'},
                              {'domain': 'old.example', 'route': 'smtp:b.example.net'}],
                 host_mailertable=[{'domain': '.EXAMPLE.net', 'route': 'esmtp:[c.example.net]'},
                                   {'domain': 'old.example', 'state': 'absent'}])
    assert result['errors'] == []
    assert result['mailertable'] == [{'domain': '.example.net', 'route': 'esmtp:[c.example.net]'}]


@pytest.mark.parametrize('domain, route, why', [
    ('bad_name.example', 'smtp:x.example', "'bad_name.example' must be a host name, a domain with a leading dot "
     "for its subdomains, or '.' for every other domain: not a valid host/domain name: bad characters '_'"),
    ('..example', 'smtp:x.example', "'..example' must be a host name"),
    ('a.example', 'x.example', "route 'x.example' must be 'mailer:host'"),
    ('a.example', 'smtp:', "route 'smtp:' names no host after 'smtp:'"),
    ('a.example', 'smtp:host.example:2525', "a port is not part of a mailertable entry"),
    ('a.example', 'smtp:%1.example', "'%1' (the wildcarded part of the name) only means something in a key with a "
     "leading dot"),
    ('a.example', 'smtp:[300.1.1.1]', "route 'smtp:[300.1.1.1]': '300.1.1.1' is not an IPv4 address"),
    ('a.example', 'smtp:[bad_host]', "route 'smtp:[bad_host]': not a valid host/domain name"),
    ('a.example', 'esmtp:two words', "route 'esmtp:two words' contains whitespace"),
    ('a.example', 'local:no body', "route 'local:no body' contains whitespace"),
    ('a.example', 'local:|/bin/sh', "'local:' takes a local user name or nothing"),
    ('a.example', 'prog:/usr/bin/procmail', "the prog mailer runs programs"),
    ('a.example', 'error:nouser User unknown', "error: needs an SMTP reply code"),
    ('a.example', 'error:5.1.1 User unknown', "error: needs an SMTP reply code"),
])
def test_mailertable_entries_refused(domain, route, why):
    error = only_error(mailertable=[{'domain': domain, 'route': route}])
    assert error.startswith(f'sendmail_mailertable[0] (domain {domain!r}): '), error
    assert why in error, error


def test_mailertable_mailers_must_be_defined_by_the_mc():
    """A route through a mailer the cf has no M line for bounces as an unknown mailer: refused, unless a
    MAILER() line of sendmail_mc_extra_lines defines it."""
    entries = [{'domain': 'uuhost1.my.domain', 'route': 'uucp-new:uuhost1'},
               {'domain': 'host.com', 'route': 'procmail:/etc/procmailrcs/host.com'}]
    errors = run(mailertable=entries)['errors']
    assert [e.split(':')[0] for e in errors] == ["sendmail_mailertable (domain 'uuhost1.my.domain')",
                                                 "sendmail_mailertable (domain 'host.com')"]
    assert "the mailer 'uucp-new' is not defined in the mc (its mailers: dsmtp, error, esmtp, local, relay, smtp, " \
        "smtp8); add its MAILER() to sendmail_mc_extra_lines" in errors[0]
    assert run(mailertable=entries, mc_extra_lines=["MAILER(`uucp')dnl", "MAILER(`procmail')dnl"])['errors'] == []


def test_mailertable_keys_that_are_local_host_names_are_refused():
    """sendmail delivers mail for class w locally and never looks them up (cf/README)."""
    errors = run(mailertable=[{'domain': 'mail.example.com', 'route': 'smtp:[relay.example.net]'}],
                 local_host_names=['mail.example.com'])['errors']
    assert errors == ["sendmail_mailertable (domain 'mail.example.com'): a local host name "
                      "(sendmail_local_host_names): sendmail delivers its mail locally and never reads this entry"]


# --- aliases ---------------------------------------------------------------

def aliases(**data):
    """The aliases of a valid policy, without the two added by default."""
    result = run(**data)
    assert result['errors'] == []
    return [a for a in result['aliases'] if a['name'] not in ('mailer-daemon', 'postmaster')]


def test_alias_members_are_flattened_and_rendered():
    assert aliases(aliases=[
        {'name': 'Staff', 'members': ['jane', ['joe@example.org', [' bob ', ['\\root']]]]},
        {'name': 'ops', 'members': 'alice, bob,carol@example.com'},
        {'name': 'lists', 'members': [':include:/etc/mail-lists/staff']},
    ], alias_files=[{'path': '/etc/mail-lists/staff', 'members': 'jane'}]) == [
        {'name': 'staff', 'members': ['jane', 'joe@example.org', 'bob', '\\root'],
         'line': 'staff: jane,joe@example.org,bob,\\root'},
        {'name': 'ops', 'members': ['alice', 'bob', 'carol@example.com'], 'line': 'ops: alice,bob,carol@example.com'},
        {'name': 'lists', 'members': [':include:/etc/mail-lists/staff'],
         'line': 'lists: :include:/etc/mail-lists/staff'},
    ]


def test_required_aliases_are_added_first():
    result = run(aliases=[{'name': 'root', 'members': 'admin'}])
    assert [a['name'] for a in result['aliases']] == ['mailer-daemon', 'postmaster', 'root']


def test_required_aliases_given_are_kept_where_they_are():
    result = run(aliases=[{'name': 'root', 'members': 'admin'}, {'name': 'PostMaster', 'members': 'hostmaster'}])
    assert result['aliases'] == [
        {'name': 'mailer-daemon', 'members': ['postmaster'], 'line': 'mailer-daemon: postmaster'},
        {'name': 'root', 'members': ['admin'], 'line': 'root: admin'},
        {'name': 'postmaster', 'members': ['hostmaster'], 'line': 'postmaster: hostmaster'},
    ]


@pytest.mark.parametrize('name', ['postmaster', 'MAILER-DAEMON'])
def test_required_aliases_cannot_be_absent(name):
    assert only_error(host_aliases=[{'name': name, 'state': 'absent'}]) == (
        f'sendmail_host_aliases[0] (name {name!r}): {name.lower()!r} is required by RFC 5321 / sendmail '
        'and cannot be absent')


def test_quoted_include_members_as_the_setup_guide_writes_them():
    result = run(aliases=[{'name': 'admins', 'members': ['":include:/srv/lists/admins"']}],
                 alias_files=[{'path': '/srv/lists/admins', 'members': 'jane'}])
    assert result['errors'] == []
    assert result['aliases'][-1]['members'] == [':include:/srv/lists/admins']


def test_program_and_file_members_when_allowed():
    assert aliases(aliases=[{'name': 'bot', 'members': ['|/usr/bin/handler --in mail', '"|/usr/bin/x a"',
                                                        '/var/spool/archive']}],
                   aliases_allow_programs=True, aliases_allow_files=True) == [
        {'name': 'bot', 'members': ['"|/usr/bin/handler --in mail"', '"|/usr/bin/x a"', '/var/spool/archive'],
         'line': 'bot: "|/usr/bin/handler --in mail","|/usr/bin/x a",/var/spool/archive'}]


@pytest.mark.parametrize('member, why', [
    ('|/usr/bin/handler', 'program members are refused unless sendmail_aliases_allow_programs: true'),
    ('/var/spool/archive', 'file members are refused unless sendmail_aliases_allow_files: true'),
    ('john doe', 'contains whitespace (only program members may)'),
    ('a:b', "contains a colon (only ':include:/path' members may)"),
    ('a\nb', 'contains a newline'),
    ('', 'empty member'),
    (':include:relative/path', "'relative/path' is not an absolute path"),
    (':include:/etc/my list', "path '/etc/my list' contains whitespace"),
    (':include:/etc/../x', "path '/etc/../x' must not contain '..'"),
    ('-x', 'not a valid local user or alias name'),
    ('x@bad_domain', "domain of 'x@bad_domain': not a valid host/domain name: bad characters '_'"),
])
def test_alias_members_refused_with_a_reason(member, why):
    assert only_error(aliases=[{'name': 'staff', 'members': ['root', member]}]) == \
        f"sendmail_aliases[0] (name 'staff'): member {member!r}: {why}"


def test_comma_inside_a_listed_member_is_refused():
    assert only_error(aliases=[{'name': 'staff', 'members': [['a,b']]}]).endswith(
        "member 'a,b': contains a comma; commas separate members, list each member separately")


def test_programs_may_not_hold_double_quotes():
    assert only_error(aliases=[{'name': 'bot', 'members': ['|/bin/echo "hi"']}],
                      aliases_allow_programs=True).endswith(
        'a program member needs a command without double quotes, tabs or newlines')


@pytest.mark.parametrize('members, why', [
    ([], 'needs at least one member'),
    ([[]], 'needs at least one member'),
    ({'a': 1}, "'members' must be a list or a comma-separated string, got a mapping"),
    (['a', 7], 'member 7 must be a string, got an integer'),
])
def test_alias_member_lists_refused(members, why):
    assert only_error(aliases=[{'name': 'staff', 'members': members}]) == f"sendmail_aliases[0] (name 'staff'): {why}"


@pytest.mark.parametrize('name', ['my list', 'a:b', 'a\nb', '-x', 'été'])
def test_alias_names_refused(name):
    assert 'not a valid alias name' in only_error(aliases=[{'name': name, 'members': 'root'}])


# --- alias_files -----------------------------------------------------------

def test_alias_files_defaults_and_absent_paths():
    result = run(alias_files=[{'path': '/etc/mail-lists/staff', 'members': ['jane', 'joe@example.org']},
                              {'path': '/srv/lists/old', 'members': 'x'}],
                 host_alias_files=[{'path': '/srv/lists/old', 'state': 'absent'},
                                   {'path': '/srv/lists/gone', 'state': 'absent'},
                                   {'path': '/srv/lists/ops', 'members': 'y', 'owner': 'list',
                                    'group': 'mail', 'mode': '0640'}])
    assert result['errors'] == []
    assert result['alias_files'] == [
        {'path': '/etc/mail-lists/staff', 'members': ['jane', 'joe@example.org'], 'owner': 'root', 'group': 'root',
         'mode': '0644'},
        {'path': '/srv/lists/ops', 'members': ['y'], 'owner': 'list', 'group': 'mail', 'mode': '0640'},
    ]
    assert result['alias_files_absent'] == ['/srv/lists/old', '/srv/lists/gone']


def test_alias_file_present_again_is_not_absent():
    result = run(alias_files=[{'path': '/srv/l', 'state': 'absent'}],
                 host_alias_files=[{'path': '/srv/l', 'members': 'x'}])
    assert result['alias_files_absent'] == []
    assert [f['path'] for f in result['alias_files']] == ['/srv/l']


@pytest.mark.parametrize('path', [
    '/etc/mail/lists/staff', '/etc/mail/staff-list', '/etc/mail-lists/staff', '/srv/mail-lists/everyone',
    '/var/lib/mailman/lists/x', '/usr/local/etc/mail/lists/x', '/opt/lists/ops',
])
def test_alias_file_paths_where_lists_live(path):
    result = run(alias_files=[{'path': path, 'members': 'x'}])
    assert result['errors'] == []
    assert result['alias_files'][0]['path'] == path


def test_alias_file_paths_are_normalised():
    result = run(alias_files=[{'path': '/srv//lists/./staff', 'members': 'x'}])
    assert result['errors'] == [] and result['alias_files'][0]['path'] == '/srv/lists/staff'
    # another spelling of the same file in a later layer replaces the entry
    result = run(alias_files=[{'path': '/srv/lists/staff', 'members': 'x'}],
                 host_alias_files=[{'path': '/srv//lists/staff', 'members': 'y'}])
    assert result['errors'] == [] and [(f['path'], f['members']) for f in result['alias_files']] == [
        ('/srv/lists/staff', ['y'])]


@pytest.mark.parametrize('path, why', [
    ('lists/staff', "'lists/staff' is not an absolute path"),
    ('/srv/my lists', "path '/srv/my lists' contains whitespace"),
    ('/srv/../etc/passwd', "path '/srv/../etc/passwd' must not contain '..'"),
    ('/srv/lists/', "path '/srv/lists/' names a directory, not a file"),
    ('/srv/a,b', "path '/srv/a,b' has bad characters ','"),
    ('/etc/passwd', "path '/etc/passwd' would sit directly in /etc among other programs' files"),
    ('/etc/shadow', "path '/etc/shadow' would sit directly in /etc"),
    ('/etc/aliases', "path '/etc/aliases' is a file the role manages itself"),
    ('/etc//aliases', "path '/etc/aliases' is a file the role manages itself"),
    ('/etc/mail/access', "path '/etc/mail/access' is a file sendmail builds or reads (/etc/mail/access)"),
    ('/etc/mail//./access', "path '/etc/mail/access' is a file sendmail builds or reads"),
    ('/etc/mail/sendmail.cf', "path '/etc/mail/sendmail.cf' is a file sendmail builds or reads"),
    ('/etc/mail/lists.db', "path '/etc/mail/lists.db' is a file sendmail builds or reads"),
    ('/etc/mail/tls/list', "path '/etc/mail/tls/list' is in /etc/mail/tls, which sendmail or its packaging owns"),
    ('/home/jane/list', "path '/home/jane/list' is under /home, which belongs to other programs or users"),
    ('/root/list', "path '/root/list' is under /root"),
    ('/srv/jane/.ssh/authorized_keys', "has a hidden component"),
    ('/usr/local/sbin/mailops-sendmail', "path '/usr/local/sbin/mailops-sendmail' is a file the role manages itself"),
    ('/usr/lib/x', "path '/usr/lib/x' is under /usr"),
    ('/var/spool/cron/crontabs/root', "is under /var/spool"),
    ('/etc/ssh/list', "path '/etc/ssh/list' is under /etc/ssh"),
    # Red Hat's: the script its sendmail.service runs before each start, and the package database
    ('/etc/mail/make', "path '/etc/mail/make' is a file sendmail builds or reads"),
    ('/var/lib/rpm/list', "path '/var/lib/rpm/list' is under /var/lib/rpm"),
    ('/tmp/list', "path '/tmp/list' is under /tmp"),
])
def test_alias_file_paths_refused(path, why):
    error = only_error(alias_files=[{'path': path, 'members': 'x'}])
    assert error.startswith(f'sendmail_alias_files[0] (path {path!r}): ') and why in error, error


@pytest.mark.parametrize('member', [':include:/srv/other', '/var/spool/x', '|/usr/bin/x'])
def test_alias_files_hold_only_users_and_addresses(member):
    assert only_error(alias_files=[{'path': '/srv/l', 'members': ['x', member]}],
                      aliases_allow_files=True, aliases_allow_programs=True).endswith(
        f'member {member!r}: only local users and addresses are allowed in an :include: list file')


@pytest.mark.parametrize('field, value, why', [
    ('mode', 420, "mode must be a quoted string such as '0644' (YAML reads 0644 as the number 420), got 420"),
    ('mode', '644x', "mode '644x' must be 3 or 4 octal digits, e.g. '0644'"),
    ('mode', '0844', "mode '0844' must be 3 or 4 octal digits, e.g. '0644'"),
    ('owner', 'bad user', "owner 'bad user' is not a user/group name"),
    ('mode', '4755', "mode '4755' sets the setuid, setgid or sticky bit, which a list file never needs"),
    ('mode', '2644', "mode '2644' sets the setuid, setgid or sticky bit, which a list file never needs"),
    ('mode', '0666', "mode '0666' lets every user write the list (and so add recipients to it)"),
    ('mode', '646', "mode '646' lets every user write the list (and so add recipients to it)"),
    ('group', ['mail'], "group ['mail'] is not a user/group name"),
])
def test_alias_file_attributes_refused(field, value, why):
    assert only_error(alias_files=[{'path': '/srv/l', 'members': 'x', field: value}]) == \
        f"sendmail_alias_files[0] (path '/srv/l'): {why}"


def test_alias_including_an_undeclared_file_needs_files_allowed():
    data = {'aliases': [{'name': 'staff', 'members': ':include:/srv/lists/staff'}]}
    assert only_error(**data) == (
        "sendmail_aliases[0] (name 'staff'): member ':include:/srv/lists/staff' includes a file that "
        'sendmail_alias_files does not declare; declare the list there, or set sendmail_aliases_allow_files: '
        'true for a file you keep yourself')
    assert run(**data, aliases_allow_files=True)['errors'] == []
    assert run(**data, alias_files=[{'path': '/srv//lists/staff', 'members': 'x'}])['errors'] == []


def test_alias_including_a_removed_list_file_is_an_error():
    assert only_error(aliases=[{'name': 'staff', 'members': ':include:/srv/lists/staff'}],
                      host_alias_files=[{'path': '/srv/lists/staff', 'state': 'absent'}]) == (
        "sendmail_aliases[0] (name 'staff'): member ':include:/srv/lists/staff' includes a file that "
        'sendmail_alias_files removes (state: absent)')


# --- dnsbl -----------------------------------------------------------------

def test_dnsbl_default_message():
    result = run(dnsbl=[{'zone': 'Zen.Example.NET.'}])
    assert result['dnsbl'] == [{
        'zone': 'zen.example.net',
        'message': '550 5.7.1 Rejected: $&{client_addr} listed at zen.example.net',
        'mc': '``"550 5.7.1 Rejected: " $&{client_addr} " listed at zen.example.net"\'\'',
    }]


# Quoted twice for m4 (dnsbl.m4 expands the message once), as sendmail strings around the macros.
@pytest.mark.parametrize('message, mc', [
    ('550 Rejected $&{client_addr} listed', '"550 Rejected " $&{client_addr} " listed"'),
    ('554 Go away', '"554 Go away"'),
    ('451 Try later, $&{client_name} [$&{client_addr}]',
     '"451 Try later, " $&{client_name} " [" $&{client_addr} "]"'),
    ('550 listed: $&{client_addr}', '"550 listed: " $&{client_addr}'),
    ('Rejected (see our policy, section 2)', '"Rejected (see our policy, section 2)"'),
    ('550 5.7.1 include(/etc/passwd) esyscmd(id)', '"550 5.7.1 include(/etc/passwd) esyscmd(id)"'),
    ('550', '"550"'), ('Listed at #1 list', '"Listed at #1 list"'),
])
def test_dnsbl_message_quoted_for_the_feature(message, mc):
    result = run(dnsbl=[{'zone': 'bl.example.net', 'message': message}])
    assert result['errors'] == []
    assert result['dnsbl'] == [{'zone': 'bl.example.net', 'message': message, 'mc': f"``{mc}''"}]


@pytest.mark.parametrize('action', ['discard', 'quarantine'])
def test_dnsbl_discard_and_quarantine_operations(action):
    result = run(dnsbl=[{'zone': 'bl.example.net', 'message': action}])
    assert result['errors'] == []
    assert result['dnsbl'][0]['mc'] == f"`{action}'"


@pytest.mark.parametrize('message, why', [
    ("550 it's bad", "contains a single quote ('), which would end the m4 quoting in sendmail.mc"),
    ('550 `x`', 'contains a backquote (`), which would end the m4 quoting in sendmail.mc'),
    ('550 "x"', "contains '\"': sendmail writes the text as its own quoted string, which cannot hold these"),
    ('550 a\\ b', "contains '\\\\': sendmail writes the text as its own quoted string"),
    ('550 a\nb', 'contains a newline, which would end the m4 quoting in sendmail.mc'),
    ('550 a\tb', "contains '\\t' (tab): sendmail writes the text"),
    ('550 caf\u00e9', "contains 'é': sendmail writes the text"),
    ('550 $x listed', "has a '$' that is not part of a macro such as $&{client_addr} or $&{client_name}"),
    ('550 ${client_addr}', "has a '$' that is not part of a macro"),
    ('250 ok', 'starts with the reply code 250; a rejection has a 4xx or 5xx code (or none)'),
    ('550 4.7.1 listed', 'has the status 4.7.1, which does not match its reply code 550'),
])
def test_dnsbl_messages_refused(message, why):
    error = only_error(dnsbl=[{'zone': 'bl.example.net', 'message': message}])
    assert error.startswith(f"sendmail_dnsbl[0] (zone 'bl.example.net'): message {message!r} ") and why in error, error


def test_dnsbl_backslash_escapes_a_character_as_in_sendmail():
    message = '550 Email rejected - see\\#why_rejected'
    result = run(dnsbl=[{'zone': 'bl.example.net', 'message': message}])
    assert result['errors'] == [] and result['dnsbl'][0]['mc'] == f'``"{message}"\'\''
    assert "contains '\\\\'" in only_error(dnsbl=[{'zone': 'bl.example.net', 'message': '550 trailing\\'}])


def test_dnsbl_words_containing_dnl_are_fine():
    assert run(dnsbl=[{'zone': 'bl.example.net', 'message': '550 dnlookup failed, dnl'}])['errors'] == []


@pytest.mark.parametrize('zone, why', [
    ('localbl', 'needs at least 2 labels (a fully qualified name)'),
    ('bl example.net', "not a valid host/domain name: bad characters ' ' (space)"),
    ('lower.example.net', "the zone has the word 'lower', an m4 macro that would run while sendmail.cf is built"),
    ('index.example.net', "the zone has the word 'index', an m4 macro"),
])
def test_dnsbl_zones_refused(zone, why):
    assert only_error(dnsbl=[{'zone': zone}]).startswith(f'sendmail_dnsbl[0] (zone {zone!r}): {why}')
