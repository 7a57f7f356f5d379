"""build_policy at scale: 20,000 entries per map are merged correctly.

Count-based only; the time it takes is measured by hand, not asserted.
"""

from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import build_policy

N = 20_000


def scale_input():
    return {
        'listen': [{'name': 'MTA', 'port': 25, 'addr': '0.0.0.0'}],
        'access': [{'key': f'Connect:10.{i // 256 % 256}.{i % 256}' if i % 4 == 0 else f'host{i}.example.com',
                    'action': 'REJECT' if i % 2 else 'OK'} for i in range(N)],
        # every fourth host entry replaces a base entry, then 100 new ones
        'host_access': [{'key': f'HOST{i}.example.com', 'action': 'DISCARD'} for i in range(1, N, 4)]
        + [{'key': f'new{i}.example.net', 'action': 'ERROR:"550 No"'} for i in range(100)],
        'virtusertable': [{'address': f'user{i}@example.com', 'target': f'local{i}'} for i in range(N)],
        'group_virtusertable': [{'address': f'user{i}@example.com', 'state': 'absent'} for i in range(0, N, 2)],
        'aliases': [{'name': f'alias{i}', 'members': [f'u{i}', [f'u{i}@example.org']]} for i in range(N)],
        'relay_domains': [f'd{i}.example.com' for i in range(N)],
        'local_host_names': [f'Host{i}.Example.com.' for i in range(N)],
        'dnsbl': [{'zone': f'bl{i}.example.net'} for i in range(N)],
    }


def test_twenty_thousand_entries_per_map():
    result = build_policy(scale_input())
    assert result['errors'] == []
    assert len(result['access']) == N + 100
    assert result['access'][1] == {'key': 'HOST1.example.com', 'action': 'DISCARD'}
    assert result['access'][2] == {'key': 'host2.example.com', 'action': 'OK'}
    assert sum(1 for entry in result['access'] if entry['action'] == 'DISCARD') == len(range(1, N, 4))
    assert result['access'][-1] == {'key': 'new99.example.net', 'action': 'ERROR:"550 No"'}
    assert len(result['virtusertable']) == N // 2
    assert result['virtusertable'][0] == {'address': 'user1@example.com', 'target': 'local1'}
    assert len(result['aliases']) == N + 2
    assert result['aliases'][-1]['line'] == f'alias{N - 1}: u{N - 1},u{N - 1}@example.org'
    assert len(result['relay_domains']) == N
    assert len(set(result['local_host_names'])) == N
    assert result['local_host_names'][5] == 'host5.example.com'
    assert len(result['dnsbl']) == N


def test_errors_at_scale_are_all_reported():
    data = scale_input()
    data['access'][7] = {'key': '192.168.7.0/24', 'action': 'REJECT'}
    data['access'][N - 1] = {'key': 'last.example.com', 'action': 'ACCEPT'}
    data['aliases'].append({'name': 'alias5', 'members': 'dup'})
    result = build_policy(data)
    assert result['errors'] == [
        "sendmail_access[7] (key '192.168.7.0/24'): CIDR is not supported by the access map; "
        "use the prefix '192.168.7'",
        f"sendmail_access[{N - 1}] (key 'last.example.com'): unknown action 'ACCEPT': the keyword is OK",
        f"sendmail_aliases[{N}] (name 'alias5'): duplicate name in sendmail_aliases (first at index 5)",
    ]
    assert len(result['access']) == N + 100 - 2
