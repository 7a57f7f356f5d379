# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of the *_verify modules for what a real server cannot produce on demand:
dnspython missing on the target, a flaky nameserver in the middle of a batch, and the
argument spec matching DOCUMENTATION. Real-DNS behaviour is in tests/integration/dns."""

from __future__ import annotations

import json

import dns.exception
import dns.message
import dns.query
import dns.rrset
import pytest
import yaml
from core_compat import patch_module_args

from ansible_collections.mailops.sendmail.plugins.doc_fragments.dns import ModuleDocFragment
from ansible_collections.mailops.sendmail.plugins.module_utils import _dns, _mx_verify
from ansible_collections.mailops.sendmail.plugins.modules import (
    a_verify,
    dkim_verify,
    dmarc_verify,
    dnsbl_verify,
    mx_verify,
    ptr_verify,
    spf_verify,
)

MODULES = [a_verify, mx_verify, ptr_verify, spf_verify, dkim_verify, dmarc_verify, dnsbl_verify]


def run_module(module, args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exc:
            module.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


@pytest.mark.parametrize('module, args', [
    (a_verify, dict(name='mail.example.org', expected=['198.51.100.10'], nameservers=['127.0.0.1'])),
    (mx_verify, dict(domain='example.org', expected=['198.51.100.10'], nameservers=['127.0.0.1'])),
    (ptr_verify, dict(address='198.51.100.10', nameservers=['127.0.0.1'])),
    (spf_verify, dict(domain='example.org', addresses=['198.51.100.10'], nameservers=['127.0.0.1'])),
    (dkim_verify, dict(domain='example.org', selector='mail', nameservers=['127.0.0.1'])),
    (dmarc_verify, dict(domain='example.org', nameservers=['127.0.0.1'])),
    (dnsbl_verify, dict(addresses=['198.51.100.10'], zones=['bl.example'], nameservers=['127.0.0.1'])),
])
def test_missing_dnspython_is_reported(module, args, capsys, monkeypatch):
    monkeypatch.setattr(_dns, 'HAS_DNSPYTHON', False)
    monkeypatch.setattr(_dns, 'DNSPYTHON_IMPORT_ERROR', 'ImportError: No module named dns')
    rc, result = run_module(module, args, capsys)
    assert rc == 1
    assert result['failed'] is True
    assert result['msg'].startswith('Failed to import the required Python library (dnspython) on ')
    assert 'checks' not in result


@pytest.mark.parametrize('module, args, msg', [
    (a_verify, dict(name='x.test', expected=['198.51.100.10'], port=0), 'port must be between 1 and 65535, got 0'),
    (a_verify, dict(name='x.test', expected=['2001:db8::1']),
     'expected (2001:db8::1) has no address for the record types A'),
    (mx_verify, dict(domains=[], expected=['198.51.100.10']), 'domains is empty: give at least one domain'),
    (mx_verify, dict(domain='x.test', expected=['198.51.100.10'], timeout=0), 'timeout must be greater than 0, got 0.0'),
    (ptr_verify, dict(address='198.51.100.10', expected_name='a..b', workers=1),
     "expected_name: invalid DNS name 'a..b': A DNS label is empty."),
])
def test_parameter_errors(module, args, msg, capsys):
    rc, result = run_module(module, args, capsys)
    assert (rc, result['msg']) == (1, msg)


@pytest.mark.parametrize('module', MODULES, ids=lambda m: m.__name__.rsplit('.', 1)[-1])
def test_documentation_matches_argument_spec(module, monkeypatch):
    """Every option documented with the type, default, choices and elements of the argument spec."""
    captured = {}

    class Capture(Exception):
        pass

    def fake_init(self, argument_spec, **kwargs):
        captured.update(argument_spec)
        raise Capture()

    monkeypatch.setattr(_dns.AnsibleModule, '__init__', fake_init)
    with pytest.raises(Capture):
        module.main()
    module_doc = yaml.safe_load(module.DOCUMENTATION)
    assert module_doc['extends_documentation_fragment'] == ['mailops.sendmail.dns']
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']  # the shared options
    documented.update(module_doc['options'])  # as ansible-doc merges them: the module's own win
    assert sorted(documented) == sorted(captured)
    for name, spec in captured.items():
        doc = documented[name]
        assert doc['type'] == spec['type'], name
        assert doc.get('default') == spec.get('default'), name
        assert doc.get('choices') == spec.get('choices'), name
        assert doc.get('elements') == spec.get('elements'), name
        assert bool(doc.get('required')) == bool(spec.get('required')), name
    for text in (module.EXAMPLES, module.RETURN):
        assert yaml.safe_load(text)


def _response(request, *records):
    response = dns.message.make_response(request)
    for name, rdtype, text in records:
        response.answer.append(dns.rrset.from_text(name, 300, 'IN', rdtype, text))
    return dns.message.from_wire(response.to_wire())


def test_flaky_exchange_lookup_in_a_batch_is_retried_and_others_continue(monkeypatch):
    """One MX host times out once (then answers), another never answers: the batch goes on."""
    attempts = {}

    def udp(request, where, timeout=None, port=53, **kwargs):
        question = request.question[0]
        qname = question.name.to_text()
        attempts[qname] = attempts.get(qname, 0) + 1
        if question.rdtype == dns.rdatatype.MX:
            host = {'a.test.': 'flaky.mx.test.', 'b.test.': 'dead.mx.test.', 'c.test.': 'ok.mx.test.'}[qname]
            return _response(request, (qname, 'MX', '10 ' + host))
        if qname == 'dead.mx.test.' or (qname == 'flaky.mx.test.' and attempts[qname] == 1):
            raise dns.exception.Timeout()
        return _response(request, (qname, 'A', '198.51.100.10'))

    monkeypatch.setattr(dns.query, 'udp', udp)
    client = _dns.DnsClient(nameservers=['127.0.0.1'], port=5353, timeout=0.1, retries=1)
    checks, failures = _mx_verify.verify_domains(client, ['a.test', 'b.test', 'c.test'],
                                                 _dns.parse_addresses(['198.51.100.10']), workers=3)
    assert [(c['domain'], c['status']) for c in checks] == [('a.test', 'ok'), ('b.test', 'timeout'),
                                                            ('c.test', 'ok')]
    assert attempts['flaky.mx.test.'] == 2 and attempts['dead.mx.test.'] == 2
    assert failures == {'b.test': 'b.test MX: expected an MX host resolving to 198.51.100.10, found 10 dead.mx.test '
                                  'A lookup failed: timeout: no answer from 127.0.0.1#5353 after 2 tries of 0.1 s'}
    assert checks[1]['mx'][0]['status'] == 'timeout'
