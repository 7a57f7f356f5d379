"""policy_texts: the merged access, virtusertable and aliases maps as ready text; LAYERED_KEYS."""

import copy

from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import LAYERED_KEYS, build_policy, policy_texts

TEXT_MAPS = ('access', 'virtusertable', 'mailertable', 'genericstable', 'aliases')

INPUT = {
    'listen': [{'name': 'MTA', 'port': 25, 'addr': '127.0.0.1'}],
    'access': [{'key': 'example.com', 'action': 'OK'}, {'key': '10.1', 'action': 'RELAY'},
               {'key': 'From:spam@example.net', 'action': 'REJECT'}],
    'group_access': [{'key': 'EXAMPLE.com', 'action': 'REJECT'}, {'key': 'Connect:192.0.2', 'action': 'RELAY'}],
    'host_access': [{'key': '10.1', 'state': 'absent'}, {'key': 'To:example.org', 'action': 'RELAY'}],
    'mailertable': [{'domain': '.Example.net', 'route': 'esmtp:[mx.example.net]'}, {'domain': '.', 'route': 'relay:x.example'}],
    'virtusertable': [{'address': 'info@example.com', 'target': 'alice'},
                      {'address': '@example.com', 'target': 'error:nouser User unknown'}],
    'host_virtusertable': [{'address': 'sales@example.com', 'target': 'bob@example.org'},
                           {'address': 'INFO@example.com', 'target': 'carol'}],
    'aliases': [{'name': 'root', 'members': ['admin', 'ops@example.org']}, {'name': 'webmaster', 'members': 'root'}],
    'group_aliases': [{'name': 'Abuse', 'members': ['root']}],
    'host_aliases': [{'name': 'webmaster', 'state': 'absent'}],
    'genericstable': [{'address': 'Bob', 'target': 'Robert.Smith@example.com'},
                      {'address': 'gen+*@Client.example.com', 'target': '%1@example.com'}],
    'host_genericstable': [{'address': 'bob', 'state': 'absent'}, {'address': 'root', 'target': 'ops@example.com'}],
    'generics_domains': ['client.example.com'],
    'relay_domains': ['example.com'],
    'dnsbl': [{'zone': 'bl.example.net'}],
    'defines': {'confMAX_MESSAGE_SIZE': 1000},
}

ACCESS_TEXT = ('EXAMPLE.com\tREJECT\n'          # the group layer replaced example.com in place
               'From:spam@example.net\tREJECT\n'
               'Connect:192.0.2\tRELAY\n'
               'To:example.org\tRELAY\n')       # 10.1 removed by the host layer
VIRTUSERTABLE_TEXT = ('info@example.com\tcarol\n'
                      '@example.com\terror:nouser User unknown\n'
                      'sales@example.com\tbob@example.org\n')
ALIASES_TEXT = ('mailer-daemon: postmaster\n'   # added by build_policy
                'postmaster: root\n'            # added by build_policy
                'root: admin,ops@example.org\n'
                'abuse: root\n')                # webmaster removed by the host layer


def test_texts_are_the_merged_lines():
    """Each text is exactly one line per merged entry, in merge order, each ending in a newline."""
    policy = build_policy(INPUT)
    assert policy['errors'] == []
    texts = policy_texts(policy)
    assert texts['access_text'] == ACCESS_TEXT
    assert texts['virtusertable_text'] == VIRTUSERTABLE_TEXT
    assert texts['aliases_text'] == ALIASES_TEXT


def test_texts_match_the_lists_they_replace():
    """The texts are built from build_policy's own lists: key/action, address/target and the alias line."""
    policy = build_policy(INPUT)
    texts = policy_texts(policy)
    assert texts['access_text'] == ''.join(f"{e['key']}\t{e['action']}\n" for e in policy['access'])
    assert texts['virtusertable_text'] == ''.join(f"{e['address']}\t{e['target']}\n" for e in policy['virtusertable'])
    assert texts['aliases_text'] == ''.join(e['line'] + '\n' for e in policy['aliases'])
    assert texts['mailertable_text'] == '.example.net\tesmtp:[mx.example.net]\n.\trelay:x.example\n'
    # genericstable: keys folded as makemap folds them, bob removed by the host layer, targets as given
    assert texts['genericstable_text'] == 'gen+*@client.example.com\t%1@example.com\nroot\tops@example.com\n'


def test_counts_are_the_list_lengths():
    policy = build_policy(INPUT)
    texts = policy_texts(policy)
    assert (texts['access_count'], texts['virtusertable_count'], texts['aliases_count']) == (4, 3, 4)
    for name in TEXT_MAPS:
        assert texts[name + '_count'] == len(policy[name])


def test_lists_are_replaced_and_everything_else_is_kept():
    """access, virtusertable, mailertable and aliases are gone; every other key of build_policy's result is unchanged."""
    policy = build_policy(INPUT)
    original = copy.deepcopy(policy)
    texts = policy_texts(policy)
    assert policy == original                                  # the input is not modified
    others = {key: value for key, value in original.items() if key not in TEXT_MAPS}
    assert set(texts) == set(others) | {f'{name}_{part}' for name in TEXT_MAPS for part in ('text', 'count')}
    assert {key: texts[key] for key in others} == others
    assert texts['relay_domains'] == ['example.com'] and texts['dnsbl'][0]['zone'] == 'bl.example.net'
    assert texts['defines'] == [{'name': 'confMAX_MESSAGE_SIZE', 'value': '1000'}]


def test_empty_policy_gives_empty_texts():
    """Missing or empty lists give '' and 0; build_policy of nothing still has its two required aliases."""
    for policy in ({}, {'errors': [], 'access': [], 'virtusertable': None, 'aliases': []}):
        texts = policy_texts(policy)
        for name in TEXT_MAPS:
            assert (texts[name + '_text'], texts[name + '_count']) == ('', 0)
            assert name not in texts
    texts = policy_texts(build_policy({}))
    assert (texts['access_text'], texts['access_count']) == ('', 0)
    assert (texts['virtusertable_text'], texts['virtusertable_count']) == ('', 0)
    assert (texts['aliases_text'], texts['aliases_count']) == ('mailer-daemon: postmaster\npostmaster: root\n', 2)


def test_layered_keys():
    """Three layers (base, group_, host_) of each of the nine maps, all distinct."""
    assert len(LAYERED_KEYS) == 27 == len(set(LAYERED_KEYS))
    for key in ('access', 'group_access', 'host_access', 'virtusertable', 'group_aliases', 'host_dnsbl', 'host_mailertable',
                'relay_domains', 'host_local_host_names', 'group_alias_files'):
        assert key in LAYERED_KEYS
    maps = [key for key in LAYERED_KEYS if not key.startswith(('group_', 'host_'))]
    assert maps == ['access', 'relay_domains', 'local_host_names', 'virtusertable', 'mailertable', 'genericstable',
                    'aliases', 'alias_files', 'dnsbl']
    assert set(LAYERED_KEYS) == {layer + name for name in maps for layer in ('', 'group_', 'host_')}
    assert not {'listen', 'settings', 'mode', 'defines'} & set(LAYERED_KEYS)
