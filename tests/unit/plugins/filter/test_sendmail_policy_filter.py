"""The filter plugin maps its names to the policy functions."""

from ansible_collections.mailops.sendmail.plugins.filter.sendmail_policy import FilterModule
from ansible_collections.mailops.sendmail.plugins.plugin_utils import _policy

FILTERS = FilterModule().filters()


def test_filter_names_map_to_the_policy_functions():
    assert FILTERS == {
        'sendmail_policy': _policy.build_policy,
        'sendmail_listen_check': _policy.check_listen,
        'fqdn_errors': _policy.fqdn_errors,
    }


def test_sendmail_policy_filter_call():
    result = FILTERS['sendmail_policy']({
        'listen': [{'name': 'MTA', 'port': 'smtp', 'addr': '127.0.0.1'}],
        'access': [{'key': '192.168.1', 'action': 'RELAY'}],
        'host_access': [{'key': '192.168.1.0/24', 'action': 'RELAY'}],
    })
    assert result['access'] == [{'key': '192.168.1', 'action': 'RELAY'}]
    assert result['errors'] == ["sendmail_host_access[0] (key '192.168.1.0/24'): CIDR is not supported by the "
                                "access map; use the prefix '192.168.1'"]


def test_sendmail_listen_check_filter_call():
    listen = [{'name': 'MTA', 'port': 25, 'addr': '127.0.0.1', 'family': 'inet'}]
    line = 'LISTEN 0 4096 0.0.0.0:25 0.0.0.0:* users:(("sendmail-mta",pid=12,fd=4))'
    assert FILTERS['sendmail_listen_check'](listen, [line]) == [
        'sendmail does not listen on 127.0.0.1:25 (configured in sendmail_listen)',
        'sendmail listens on 0.0.0.0:25, which sendmail_listen does not configure',
    ]


def test_fqdn_errors_filter_call():
    assert FILTERS['fqdn_errors']('mail.example.com', '192.0.2.25') == []
    assert FILTERS['fqdn_errors']('mail', '192.0.2.25', ['smtp']) == [
        "fqdn_name ('mail'): needs at least 2 labels (a fully qualified name)"]
