# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""spf_verify's record parser (RFC 7208 sections 4.5, 4.6, 5, 6, 7.1): every syntax error is a permerror found
before anything is looked up. Evaluation is tested against NSD (tests/integration/dns/test_dns_auth_modules.py)."""

from __future__ import annotations

import pytest

from ansible_collections.mailops.sendmail.plugins.module_utils._spf_verify import SpfError, parse_record, select_record


def test_terms_qualifiers_prefixes_and_modifiers():
    mechanisms, modifiers = parse_record('v=spf1  +a -mx:%{d}/24//64 ~ip4:198.51.100.0/24 ?ip6:2001:db8::1 '
                                         'include:_spf.example.org exists:%{ir}.x.example ptr redirect=x exp=y foo=bar all')
    assert [(m['result'], m['name'], m['domain'], m['cidr4'], m['cidr6']) for m in mechanisms] == [
        ('pass', 'a', None, 32, 128), ('fail', 'mx', '%{d}', 24, 64), ('softfail', 'ip4', None, 32, 128),
        ('neutral', 'ip6', None, 32, 128), ('pass', 'include', '_spf.example.org', 32, 128),
        ('pass', 'exists', '%{ir}.x.example', 32, 128), ('pass', 'ptr', None, 32, 128), ('pass', 'all', None, 32, 128)]
    assert [str(m['network']) for m in mechanisms if m['network']] == ['198.51.100.0/24', '2001:db8::1/128']
    assert modifiers == {'redirect': 'x', 'exp': 'y'}  # unknown modifiers are ignored


@pytest.mark.parametrize('record, reason', [
    ('v=spf1 ip4:198.51.100.10/ -all', 'bad prefix length / in ip4:198.51.100.10/'),
    ('v=spf1 ip4:198.51.100.10/33', 'bad prefix length /33 in ip4:198.51.100.10/33'),
    ('v=spf1 ip6:2001:db8::/032', 'bad prefix length /032 in ip6:2001:db8::/032'),
    ('v=spf1 a//129', 'bad prefix length /129 in a//129'),
    ('v=spf1 ip4:2001:db8::1', 'bad address in ip4:2001:db8::1'),
    ('v=spf1 ip4', 'ip4 needs an address: ip4'),
    ('v=spf1 include', 'include needs a domain: include'),
    ('v=spf1 all:x', 'bad mechanism all:x'),
    ('v=spf1 a:', 'bad mechanism a:'),
    ('v=spf1 redirect:x', 'unknown mechanism redirect:x'),
    ('v=spf1 redirect=a redirect=b', 'redirect= given twice'),
    ('v=spf1 redirect=', 'redirect= without a domain'),
    ('v=spf1 exists:%{x}', 'bad macro in exists:%{x}'),
    ('v=spf1 exists:%', 'bad macro in exists:%'),
    ('v=spf1 exists:%{c}.example', 'macro %{c} is only allowed in exp= (exists:%{c}.example)'),
])
def test_syntax_errors_are_permerrors(record, reason):
    with pytest.raises(SpfError) as exc:
        parse_record(record)
    assert (exc.value.result, exc.value.reason) == ('permerror', reason)


def test_record_selection():
    assert select_record(['an unrelated TXT', 'V=SPF1 -all']) == 'V=SPF1 -all'
    assert select_record(['v=spf10 -all', 'v=spf1x']) is None  # v=spf1 must be followed by a space or the end
    assert select_record(['v=spf1']) == 'v=spf1'
    with pytest.raises(SpfError) as exc:
        select_record(['v=spf1 -all', 'v=spf1 +all'])
    assert exc.value.result == 'permerror'
