"""Unit tests of build_policy: masquerading (MASQUERADE_AS, MASQUERADE_DOMAIN, EXPOSED_USER, the masquerading
FEATUREs) and the genericstable with its class G (GENERICS_DOMAIN, generics_entire_domain), cf/README's grammar."""

import pytest

from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import build_policy

LISTEN = [{'name': 'MTA', 'port': 25, 'addr': '127.0.0.1'}]
G = ['client1.example.com']


def run(**data):
    return build_policy(dict(data, listen=LISTEN))


def only_error(**data):
    found = run(**data)['errors']
    assert len(found) == 1, found
    return found[0]


# --- masquerading -----------------------------------------------------------

def test_masquerade_settings_are_rendered_as_given():
    result = run(masquerade_as='example.com', masquerade_domains=['a.example.com', 'B.example.net.'],
                 exposed_users=['root', 'postmaster'], masquerade_envelope=True, allmasquerade=True,
                 masquerade_entire_domain=True, limited_masquerade=True, generics_domains=G,
                 generics_entire_domain=True)
    assert result['errors'] == []
    assert result['masquerade'] == {
        'as': 'example.com', 'domains': ['a.example.com', 'B.example.net.'], 'exposed_users': ['root', 'postmaster'],
        'generics_domains': G, 'features': ['masquerade_envelope', 'allmasquerade', 'masquerade_entire_domain',
                                            'limited_masquerade', 'generics_entire_domain']}
    # check-mc and build-cf prove each FEATURE in the built cf
    assert result['cf_requirements'][-5:] == ['feature:masquerade_envelope', 'feature:allmasquerade',
                                              'feature:masquerade_entire_domain', 'feature:limited_masquerade',
                                              'feature:generics_entire_domain']


def test_masquerade_envelope_alone_is_fine():
    """It also applies the genericstable to the envelope (cf/README), which is always on."""
    assert run(masquerade_envelope=True)['masquerade']['features'] == ['masquerade_envelope']
    assert run(masquerade_envelope=True)['errors'] == []


@pytest.mark.parametrize('data, error', [
    ({'masquerade_as': 'two words.example'}, "sendmail_masquerade_as ('two words.example'): not a valid host/domain "
     "name: bad characters ' ' (space)"),
    ({'masquerade_as': 'dnl.example.com'}, "sendmail_masquerade_as ('dnl.example.com'): contains the word 'dnl', an m4 "
     "builtin that m4 would run while it builds sendmail.cf"),
    ({'masquerade_as': "x.example')dnl"}, "sendmail_masquerade_as (\"x.example')dnl\"): not a valid host/domain name"),
    ({'masquerade_as': 42}, 'sendmail_masquerade_as (42): must be a string, got an integer'),
    ({'masquerade_as': 'example.com', 'masquerade_domains': ['ok.example', 'a..b']},
     "sendmail_masquerade_domains[1] ('a..b'): not a valid host/domain name: empty label"),
    ({'masquerade_as': 'example.com', 'masquerade_domains': ['a.example', 'A.example']},
     "sendmail_masquerade_domains[1] ('A.example'): duplicate (first at index 0)"),
    ({'masquerade_as': 'example.com', 'masquerade_domains': 'a.example'},
     'sendmail_masquerade_domains: must be a list, got a string'),
    ({'masquerade_as': 'example.com', 'exposed_users': ['root', 'bad user']},
     "sendmail_exposed_users[1] ('bad user'): not a user name"),
    ({'masquerade_as': 'example.com', 'exposed_users': ['include']},
     "sendmail_exposed_users[0] ('include'): contains the word 'include', an m4 builtin"),
    ({'masquerade_as': 'example.com', 'exposed_users': ['root@example.com']},
     "sendmail_exposed_users[0] ('root@example.com'): not a user name"),
    ({'generics_domains': ['SITE.example.com']}, "sendmail_generics_domains[0] ('SITE.example.com'): contains the "
     "word 'SITE', a macro of sendmail's cf"),
    ({'masquerade_envelope': 'yes'}, "sendmail_masquerade_envelope: must be true or false, got 'yes'"),
])
def test_masquerade_settings_refused(data, error):
    assert only_error(**data).startswith(error)


@pytest.mark.parametrize('name, value', [
    ('masquerade_domains', ['a.example']), ('exposed_users', ['root']), ('allmasquerade', True),
    ('masquerade_entire_domain', True), ('limited_masquerade', True),
])
def test_masquerade_settings_without_masquerade_as_are_refused(name, value):
    """sendmail builds them into the cf and ignores them: without MASQUERADE_AS nothing is masqueraded."""
    errors = run(**{name: value})['errors']
    assert f'sendmail_{name}: has no effect without sendmail_masquerade_as (cf/README: MASQUERADING AND RELAYING)' \
        in errors[0], errors


def test_entire_domain_features_need_their_domains():
    assert only_error(masquerade_as='example.com', masquerade_entire_domain=True) == (
        'sendmail_masquerade_entire_domain: has no effect without sendmail_masquerade_domains (it widens those '
        'domains to their subdomains)')
    assert only_error(generics_entire_domain=True).startswith(
        'sendmail_generics_entire_domain: has no effect without sendmail_generics_domains')


@pytest.mark.parametrize('name', ['masquerade_envelope', 'allmasquerade', 'masquerade_entire_domain',
                                  'limited_masquerade', 'generics_entire_domain'])
def test_masquerading_features_have_one_switch(name):
    """Declared in sendmail_features too they would be a second switch: refused, naming the variable."""
    assert only_error(features=[name]) == (f"sendmail_features[0] (name '{name}'): set sendmail_{name}: true instead "
                                           '(one switch for one FEATURE)')


def test_genericstable_is_always_on():
    assert only_error(features=['genericstable']).startswith(
        "sendmail_features[0] (name 'genericstable'): always on: the role declares FEATURE(`genericstable')")
    assert 'feature:genericstable' in run()['cf_requirements']


# --- genericstable: keys and targets ---------------------------------------

@pytest.mark.parametrize('address, target', [
    ('root', 'admin@example.com'),                         # the user name (tried last)
    ('Bob', 'robert.smith@example.com'),                   # keys are folded as makemap folds them
    ('bob@client1.example.com', 'bob.smith'),              # the full address; a user name is qualified by sendmail
    ('@client1.example.com', '%1@example.com'),            # the domain: %1 is the user name
    ('@Client1.Example.com', 'ops.%1@example.com'),
    ('old+*@client1.example.com', 'new+%1@example.com'),   # cf/README: the +detail as %1
    ('gen+*@client1.example.com', '%1@example.com'),
    ('list+*', 'list-%1'),
    ("o'brien", "o'brien@example.com"),
])
def test_genericstable_entries_accepted(address, target):
    result = run(genericstable=[{'address': address, 'target': target}], generics_domains=G)
    assert result['errors'] == []
    assert result['genericstable'] == [{'address': address.lower(), 'target': target}]


@pytest.mark.parametrize('address, target, why', [
    ('a b', 'x@example.com', "address 'a b' must be 'user', 'user@domain' or '@domain': the user part 'a b' is not "
     "an RFC 5322 dot-atom"),
    ('bob@', 'x@example.com', "address 'bob@' must be 'user', 'user@domain' or '@domain'"),
    ('', 'x@example.com', "address '' must be 'user', 'user@domain' or '@domain'"),
    ('bob@bad_host', 'x@example.com', "domain of 'bob@bad_host': not a valid host/domain name"),
    ('bob@client1.example.com.', 'x@example.com', "domain of 'bob@client1.example.com.' ends in a dot: sendmail "
     'looks the address up without it'),
    ('bob%x', 'x@example.com', "the user part 'bob%x' is not an RFC 5322 dot-atom"),
    ('bob', 'two words@example.com', "target 'two words@example.com' contains whitespace"),
    ('bob', '|/bin/prog', "target '|/bin/prog' must be an address, 'user' or 'user@domain'"),
    ('bob', '/var/mail/bob', "target '/var/mail/bob' must be an address"),
    ('bob', 'error:nouser No such user', "contains whitespace"),
    ('bob', 'error:nouser', "target 'error:nouser' must be an address"),
    ('bob', '@example.com', "target '@example.com' must be an address"),
    ('bob', 'x@example..com', "target 'x@example..com': domain: not a valid host/domain name: empty label"),
    ('bob', '%1@example.com', "'%1' only means something under an '@domain' key (the user name) or a 'user+*' key"),
    ('@client1.example.com', '%2@example.com', "%2: only %1 is passed to the genericstable lookup"),
    ('bob', ['x@example.com'], "'target' must be a string, got a list"),
])
def test_genericstable_entries_refused(address, target, why):
    error = only_error(genericstable=[{'address': address, 'target': target}], generics_domains=G)
    assert error.startswith(f'sendmail_genericstable[0] (address {address!r}): '), error
    assert why in error, error


def test_genericstable_layers_merge_by_folded_address_and_absent_removes():
    result = run(genericstable=[{'address': 'root', 'target': 'ops@example.com'},
                                {'address': 'bob', 'target': 'bob@example.com'}],
                 group_genericstable=[{'address': 'ROOT', 'target': 'admins@example.com'}],
                 host_genericstable=[{'address': 'bob', 'state': 'absent'},
                                     {'address': 'carol@client1.example.com', 'target': 'c@example.com'}],
                 generics_domains=G)
    assert result['errors'] == []
    assert result['genericstable'] == [{'address': 'root', 'target': 'admins@example.com'},
                                       {'address': 'carol@client1.example.com', 'target': 'c@example.com'}]


def test_genericstable_duplicates_in_one_layer_are_refused():
    errors = run(host_genericstable=[{'address': 'bob', 'target': 'a@example.com'},
                                     {'address': 'BOB', 'target': 'b@example.com'}], generics_domains=G)['errors']
    assert errors == ["sendmail_host_genericstable[1] (address 'BOB'): duplicate address in sendmail_host_genericstable "
                      '(first at index 0)']


# --- genericstable: class G ---------------------------------------------------

def test_genericstable_without_generics_domains_is_refused():
    """The MSP qualifies every sender it submits, and only class G domains are looked up (cf/README)."""
    error = only_error(genericstable=[{'address': 'root', 'target': 'admin@example.com'}])
    assert error.startswith('sendmail_genericstable: has entries but sendmail_generics_domains is empty'), error
    # an empty map needs no class G, and entries removed by a layer are no entries
    assert run(genericstable=[{'address': 'root', 'target': 'a@example.com'}],
               host_genericstable=[{'address': 'root', 'state': 'absent'}])['errors'] == []


def test_genericstable_keys_outside_class_g_are_refused():
    entries = [{'address': 'bob@other.example.com', 'target': 'b@example.com'},
               {'address': '@sub.client1.example.com', 'target': '%1@example.com'},
               {'address': 'carol@CLIENT1.example.com', 'target': 'c@example.com'}]
    errors = run(genericstable=entries, generics_domains=G)['errors']
    assert errors == [
        "sendmail_genericstable (address 'bob@other.example.com'): the domain 'other.example.com' is not in "
        'sendmail_generics_domains (class G; with sendmail_generics_entire_domain, their subdomains too): sendmail '
        'never looks this entry up',
        "sendmail_genericstable (address '@sub.client1.example.com'): the domain 'sub.client1.example.com' is not in "
        'sendmail_generics_domains (class G; with sendmail_generics_entire_domain, their subdomains too): sendmail '
        'never looks this entry up']
    # generics_entire_domain widens class G to the subdomains
    assert run(genericstable=entries[1:], generics_domains=G, generics_entire_domain=True)['errors'] == []
