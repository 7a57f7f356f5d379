"""mail_domains: the dns_check role's merge of the local host names layers."""

import pytest

from ansible_collections.mailops.sendmail.plugins.plugin_utils._mail_domains import mail_domains


@pytest.mark.parametrize('layers, expected', [
    (([], [], []), []),
    ((['example.com'], [], []), ['example.com']),
    # DNS compares names without case and without the root's dot: one domain, kept where it first appeared.
    ((['Example.COM.', 'example.net'], ['example.com'], []), ['example.com', 'example.net']),
    # A later layer drops a name of an earlier one, and a still later one brings it back.
    ((['a.example', 'b.example'], [{'name': 'a.example', 'state': 'absent'}], []), ['b.example']),
    ((['a.example'], [{'name': 'a.example', 'state': 'absent'}], [{'name': 'A.example'}]), ['a.example']),
    # A name only a later layer removes, and entries without a usable name, count for nothing.
    (([' c.example '], None, [{'name': 'gone.example', 'state': 'absent'}, {'state': 'present'}, '', None]),
     ['c.example']),
])
def test_mail_domains(layers, expected):
    assert mail_domains(*layers) == expected
