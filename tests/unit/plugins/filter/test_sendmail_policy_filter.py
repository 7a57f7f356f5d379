"""Each filter plugin file maps its one name to its function."""

import subprocess
import sys

from ansible_collections.mailops.sendmail.plugins.filter import fqdn_errors, sendmail_listen_check, sendmail_policy
from ansible_collections.mailops.sendmail.plugins.plugin_utils import _fqdn, _listen

FILTERS = {}
for _module in (sendmail_policy, sendmail_listen_check, fqdn_errors):
    FILTERS.update(_module.FilterModule().filters())


def test_filter_names_map_to_the_policy_functions():
    assert sendmail_policy.FilterModule().filters() == {'sendmail_policy': sendmail_policy.sendmail_policy}
    assert sendmail_listen_check.FilterModule().filters() == {'sendmail_listen_check': _listen.check_listen}
    assert fqdn_errors.FilterModule().filters() == {'fqdn_errors': _fqdn.fqdn_errors}


def test_loading_the_filters_does_not_load_the_policy_validator():
    """Ansible loads every filter file of the collection when a task first uses one of its filters: the fqdn
    and dkim roles' checks (and platform_error) must not pay for importing the policy validator, which only
    the sendmail_policy filter (and the action) call. Its first call imports it."""
    code = ('import sys, importlib\n'
            'for name in ("sendmail_policy", "sendmail_listen_check", "fqdn_errors", "dkim_settings", "platform_error",\n'
            '             "mail_domains"):\n'
            '    importlib.import_module("ansible_collections.mailops.sendmail.plugins.filter." + name)\n'
            'print(sorted(m for m in sys.modules if "._policy" in m))\n'
            'from ansible_collections.mailops.sendmail.plugins.filter.sendmail_policy import sendmail_policy\n'
            'print(sendmail_policy({})["errors"], "._policy" in " ".join(sys.modules))\n')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True,
                         env={'PYTHONPATH': ':'.join(sys.path)}).stdout.splitlines()
    assert out == ['[]', "['sendmail_listen: must list at least one address for sendmail to listen on'] True"]


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
