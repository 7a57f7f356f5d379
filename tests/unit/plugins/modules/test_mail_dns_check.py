# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of mail_dns_check for what needs no nameserver: its parameters and documentation, the summary
rows and table, skipped checks, a check's own parameter error as a row, and the summary file. Every check
against a real NSD is in tests/integration/dns/test_dns_mail_check.py."""

from __future__ import annotations

import json
import os
import stat

import pytest
import yaml
from core_compat import patch_module_args

from ansible_collections.mailops.sendmail.plugins.action.mail_dns_check import write_summary
from ansible_collections.mailops.sendmail.plugins.doc_fragments.dns import ModuleDocFragment
from ansible_collections.mailops.sendmail.plugins.module_utils import _dns, _mail_dns_check
from ansible_collections.mailops.sendmail.plugins.modules import mail_dns_check

SERVER = dict(name='mail.example.org', addresses=['198.51.100.10'], nameservers=['127.0.0.1'])


def run_module(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            mail_dns_check.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def _compare(documented, spec, where):
    assert sorted(documented) == sorted(spec), where
    for name, option in spec.items():
        doc = documented[name]
        for key in ('type', 'default', 'choices', 'elements'):
            assert doc.get(key) == option.get(key), (where, name, key)
        assert bool(doc.get('required')) == bool(option.get('required')), (where, name)
        if 'options' in option:
            _compare(doc['suboptions'], option['options'], '%s.%s' % (where, name))


def test_documentation_matches_argument_spec():
    """Every option and suboption documented with the type, default, choices and elements of the spec."""
    doc = yaml.safe_load(mail_dns_check.DOCUMENTATION)
    assert doc['extends_documentation_fragment'] == ['mailops.sendmail.dns']
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']
    documented.update(doc['options'])
    _compare(documented, _mail_dns_check.ARGUMENT_SPEC, 'options')
    for text in (mail_dns_check.EXAMPLES, mail_dns_check.RETURN):
        assert yaml.safe_load(text)


def test_missing_dnspython_is_reported(capsys, monkeypatch):
    monkeypatch.setattr(_dns, 'HAS_DNSPYTHON', False)
    monkeypatch.setattr(_dns, 'DNSPYTHON_IMPORT_ERROR', 'ImportError: No module named dns')
    rc, result = run_module(dict(SERVER, a={}), capsys)
    assert rc == 1
    assert result['msg'].startswith('Failed to import the required Python library (dnspython) on ')
    assert 'summary' not in result


@pytest.mark.parametrize('args, msg', [
    (dict(SERVER, port=0), 'port must be between 1 and 65535, got 0'),
    (dict(SERVER, addresses=['mail.example.org']), "addresses: 'mail.example.org' is not an IPv4 or IPv6 address"),
    (dict(SERVER, addresses=[]), 'addresses is empty: give the addresses of this mail server'),
])
def test_parameter_errors_fail_without_a_summary(args, msg, capsys):
    rc, result = run_module(args, capsys)
    assert (rc, result['msg']) == (1, msg)
    assert 'summary' not in result


def test_an_unknown_suboption_is_refused(capsys):
    rc, result = run_module(dict(SERVER, spf=dict(domian=['example.org'])), capsys)
    assert rc == 1
    assert 'domian' in result['msg'] and 'spf' in result['msg']


def test_every_check_skipped_says_why_and_asks_nothing(capsys, monkeypatch):
    def no_query(self, *args, **kwargs):
        raise AssertionError('a skipped check looked something up')

    monkeypatch.setattr(_dns.DnsClient, 'query', no_query)
    rc, result = run_module(dict(SERVER, host='mx1', a=dict(skip='checked by the monitoring'), mx=dict(domains=[]),
                                 spf=dict(domains=['example.org'], skip='dns_check_spf is false'),
                                 dkim=dict(keys=[]), dmarc=dict(), dnsbl=dict(zones=[])), capsys)
    assert rc == 0
    assert result['changed'] is False and result['failures'] == []
    assert result['summary'] == dict(host='mx1', name='mail.example.org', addresses=['198.51.100.10'], passed=0,
                                     failed=0, skipped=7, checks=[
                                         dict(check='A', item='-', result='skipped', reason='checked by the monitoring'),
                                         dict(check='MX', item='-', result='skipped', reason='no domains'),
                                         dict(check='PTR', item='-', result='skipped', reason='ptr not given'),
                                         dict(check='SPF', item='-', result='skipped', reason='dns_check_spf is false'),
                                         dict(check='DKIM', item='-', result='skipped', reason='no keys'),
                                         dict(check='DMARC', item='-', result='skipped', reason='no domains'),
                                         dict(check='DNSBL', item='-', result='skipped', reason='no zones')])
    assert result['msg'] == 'DNS of mail.example.org (198.51.100.10): 0 passed, 0 failed, 7 skipped'
    assert result['check_results']['ptr'] == dict(skipped=True, msg='ptr not given')


def test_a_bad_entry_of_one_check_is_a_failed_row_naming_it(capsys):
    """A check's own parameter error (found before any lookup) fails that check's row, not the call."""
    rc, result = run_module(dict(SERVER, spf=dict(domains=[{'domain': 'example.org', 'reslt': 'pass'}]),
                                 dkim=dict(keys=[{'domain': 'example.org'}])), capsys)
    assert rc == 1
    rows = dict((r['check'], r) for r in result['summary']['checks'])
    assert rows['SPF'] == dict(check='SPF', item='-', result='fail',
                               reason='domains[0]: unknown key reslt (an entry has: domain, result)')
    assert rows['DKIM']['result'] == 'fail' and rows['DKIM']['item'] == '-'
    assert result['failures'] == [rows['SPF']['reason'], rows['DKIM']['reason']]
    assert (result['summary']['failed'], result['summary']['skipped']) == (2, 5)
    assert result['msg'] == 'DNS of mail.example.org (198.51.100.10): 0 passed, 2 failed, 5 skipped: %s; %s' % (
        rows['SPF']['reason'], rows['DKIM']['reason'])


def test_the_table_aligns_its_columns_to_the_longest_item():
    summary = dict(name='mail.example.org', addresses=['198.51.100.10', '2001:db8::10'], passed=1, failed=1,
                   skipped=1, checks=[
                       dict(check='A', item='mail.example.org', result='pass', reason='ok'),
                       dict(check='DNSBL', item='10.100.51.198.bl.example', result='fail', reason='listed'),
                       dict(check='DKIM', item='-', result='skipped', reason='no keys')])
    assert _mail_dns_check.table_of(summary) == [
        'DNS of mail.example.org (198.51.100.10, 2001:db8::10): 1 passed, 1 failed, 1 skipped',
        'check  item                     result  reason',
        'A      mail.example.org         pass    ok',
        'DNSBL  10.100.51.198.bl.example fail    listed',
        'DKIM   -                        skipped no keys']
    # short items: the item column is never narrower than its name
    assert _mail_dns_check.table_of(dict(summary, checks=[dict(check='A', item='-', result='pass', reason='')]))[1] == (
        'check  item result  reason')


def test_the_rows_of_a_check_with_several_items():
    check = _mail_dns_check.CHECKS[1]
    assert _mail_dns_check.rows_of(check, dict(failed=True, checks=[
        dict(domain='a.example', failed=False, msg='fine'), dict(domain='b.example', failed=True, msg='null MX')])) == [
        dict(check='MX', item='a.example', result='pass', reason='fine'),
        dict(check='MX', item='b.example', result='fail', reason='null MX')]


def test_the_summary_file_is_written_only_when_it_differs(tmp_path):
    path = str(tmp_path / 'dns-mx1.json')
    summary = dict(host='mx1', checks=[dict(check='A', result='pass')])
    assert write_summary(path, summary) is True
    assert json.loads(open(path).read()) == summary
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    before = os.stat(path).st_mtime_ns
    assert write_summary(path, summary) is False
    assert os.stat(path).st_mtime_ns == before
    assert write_summary(path, dict(summary, host='mx2')) is True
    assert json.loads(open(path).read())['host'] == 'mx2'
    assert os.listdir(str(tmp_path)) == ['dns-mx1.json']  # no temporary file left
    with pytest.raises(OSError):
        write_summary(str(tmp_path / 'missing' / 'dns.json'), summary)
