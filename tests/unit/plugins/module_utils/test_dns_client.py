# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests of plugins/module_utils/_dns.py for what a real server cannot do on demand:
a timeout that goes away on retry, a nameserver that fails over, a truncated answer,
a network error, the cache under concurrency and the bound on worker threads.
The wire is faked by replacing dns.query.udp/tcp; everything above it is real."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rrset
import pytest

from ansible_collections.mailops.sendmail.plugins.module_utils import _dns


class Thunk:
    """An action computed when the query arrives (to sleep, or to raise a fresh exception)."""

    def __init__(self, func):
        self.func = func


class FakeWire:
    """Answers queries from a script: a list of actions per (server, qname, rdtype)."""

    def __init__(self, script=None, default=None):
        self.script = script or {}
        self.default = default
        self.calls = []
        self.lock = threading.Lock()

    def _next(self, proto, request, where, port):
        question = request.question[0]
        key = (where, question.name.to_text().lower(), question.rdtype)
        with self.lock:
            self.calls.append((proto,) + key)
            actions = self.script.get(key)
            action = actions.pop(0) if actions else self.default
        if isinstance(action, Thunk):
            action = action.func()
        if isinstance(action, BaseException):
            raise action
        return action(request)

    def udp(self, request, where, timeout=None, port=53, **kwargs):
        return self._next('udp', request, where, port)

    def tcp(self, request, where, timeout=None, port=53, **kwargs):
        return self._next('tcp', request, where, port)


def answer(*records, rcode=dns.rcode.NOERROR, tc=False):
    """An action building a response with the given (name, type, text) records."""
    def build(request):
        response = dns.message.make_response(request)
        response.set_rcode(rcode)
        for name, rdtype, text in records:
            response.answer.append(dns.rrset.from_text(name, 300, 'IN', rdtype, text))
        if tc:
            response.flags |= dns.flags.TC
        return dns.message.from_wire(response.to_wire())  # as if it came over the wire
    return build


A_MAIL = answer(('mail.test.', 'A', '198.51.100.10'))
TIMEOUT = dns.exception.Timeout
A = dns.rdatatype.A


@pytest.fixture
def wire(monkeypatch):
    fake = FakeWire()
    monkeypatch.setattr(dns.query, 'udp', fake.udp)
    monkeypatch.setattr(dns.query, 'tcp', fake.tcp)
    return fake


def client(servers=('127.0.0.1',), retries=2, timeout=0.5):
    return _dns.DnsClient(nameservers=list(servers), port=5353, timeout=timeout, retries=retries)


def test_flaky_timeout_is_retried_until_an_answer(wire):
    wire.script[('127.0.0.1', 'mail.test.', A)] = [TIMEOUT(), TIMEOUT(), A_MAIL]
    result = client(retries=2).query('mail.test', 'A')
    assert result.status == 'ok'
    assert [str(a) for a in result.addresses()] == ['198.51.100.10']
    assert len(wire.calls) == 3


def test_timeout_after_all_retries_names_server_and_tries(wire):
    wire.default = TIMEOUT()
    c = client(retries=3, timeout=0.25)
    result = c.query('mail.test.', 'A')
    assert result.status == 'timeout'
    assert result.detail == 'timeout: no answer from 127.0.0.1#5353 after 4 tries of 0.25 s'
    assert len(wire.calls) == 4 and c.queries == 4


def test_retries_zero_means_one_try(wire):
    wire.default = TIMEOUT()
    result = client(retries=0, timeout=1).query('mail.test', 'A')
    assert result.detail == 'timeout: no answer from 127.0.0.1#5353 after 1 try of 1 s'
    assert len(wire.calls) == 1


def test_servfail_fails_over_to_the_next_nameserver_without_retry(wire):
    wire.script[('127.0.0.1', 'mail.test.', A)] = [answer(rcode=dns.rcode.SERVFAIL)]
    wire.script[('127.0.0.2', 'mail.test.', A)] = [A_MAIL]
    result = client(servers=('127.0.0.1', '127.0.0.2')).query('mail.test', 'A')
    assert result.status == 'ok'
    assert [c[1] for c in wire.calls] == ['127.0.0.1', '127.0.0.2']


def test_servfail_everywhere_is_not_retried(wire):
    wire.default = answer(rcode=dns.rcode.SERVFAIL)
    result = client(servers=('127.0.0.1', '127.0.0.2'), retries=5).query('mail.test', 'A')
    assert (result.status, result.detail) == ('servfail', 'SERVFAIL from 127.0.0.2#5353')
    assert len(wire.calls) == 2


def test_timeout_on_first_server_then_refused_reports_refused(wire):
    wire.script[('127.0.0.1', 'mail.test.', A)] = [TIMEOUT(), TIMEOUT()]
    wire.script[('127.0.0.2', 'mail.test.', A)] = [answer(rcode=dns.rcode.REFUSED), answer(rcode=dns.rcode.REFUSED)]
    result = client(servers=('127.0.0.1', '127.0.0.2'), retries=1).query('mail.test', 'A')
    assert (result.status, result.detail) == ('refused', 'REFUSED from 127.0.0.2#5353')
    assert len(wire.calls) == 4  # the timeout made the round repeat once


def test_network_error_is_retried_and_reported(wire):
    wire.script[('127.0.0.1', 'mail.test.', A)] = [OSError(101, 'Network is unreachable'), A_MAIL]
    assert client(retries=1).query('mail.test', 'A').status == 'ok'
    wire.calls.clear()
    wire.default = OSError(101, 'Network is unreachable')
    result = client(retries=1).query('other.test', 'A')
    assert result.status == 'error'
    assert result.detail == 'query to 127.0.0.1#5353 failed: [Errno 101] Network is unreachable'
    assert len(wire.calls) == 2


def test_truncated_udp_answer_is_asked_again_over_tcp(wire):
    wire.script[('127.0.0.1', 'mail.test.', A)] = [answer(tc=True), A_MAIL]
    result = client().query('mail.test', 'A')
    assert result.status == 'ok'
    assert [c[0] for c in wire.calls] == ['udp', 'tcp']


def test_cname_to_a_name_outside_the_answer_is_followed(wire):
    # An authoritative-only server gives the alias but not the target's records.
    wire.script[('127.0.0.1', 'alias.test.', A)] = [answer(('alias.test.', 'CNAME', 'mail.test.'))]
    wire.script[('127.0.0.1', 'mail.test.', A)] = [A_MAIL]
    result = client().query('alias.test', 'A')
    assert (result.status, result.cnames) == ('ok', ['mail.test'])
    assert [str(a) for a in result.addresses()] == ['198.51.100.10']


def test_cname_loop_is_an_error(wire):
    wire.script[('127.0.0.1', 'a.test.', A)] = [answer(('a.test.', 'CNAME', 'b.test.'))] * 20
    wire.script[('127.0.0.1', 'b.test.', A)] = [answer(('b.test.', 'CNAME', 'a.test.'))] * 20
    result = client().query('a.test', 'A')
    assert result.status == 'error'
    assert result.detail == 'CNAME chain longer than 8'


def test_concurrent_lookups_of_one_name_send_one_query(wire):
    def slow():
        time.sleep(0.2)
        return A_MAIL
    wire.default = Thunk(slow)
    c = client()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _i: c.query('mail.test', 'A'), range(8)))
    assert {r.status for r in results} == {'ok'}
    assert len(wire.calls) == 1


def test_an_exception_in_the_lookup_becomes_an_error_result(wire):
    wire.default = Thunk(lambda: ValueError('boom'))
    result = client().query('mail.test', 'A')
    assert (result.status, result.detail) == ('error', 'unexpected error: boom')


def test_run_concurrently_keeps_order_bounds_workers_and_isolates_errors():
    lock = threading.Lock()
    state = {'now': 0, 'peak': 0}

    def work(item):
        with lock:
            state['now'] += 1
            state['peak'] = max(state['peak'], state['now'])
        time.sleep(0.01)
        with lock:
            state['now'] -= 1
        if item == 5:
            raise RuntimeError('item 5 broke')
        return item * 10

    results = _dns.run_concurrently(work, range(40), workers=4, on_error=lambda item, exc: str(exc))
    assert results == [i * 10 if i != 5 else 'item 5 broke' for i in range(40)]
    assert 2 <= state['peak'] <= 4


def test_run_concurrently_stays_in_one_thread_while_nothing_waits(monkeypatch):
    """CPU-bound items (a nameserver on the same machine): no thread pool, no GIL contention.

    The wall clock is made to advance with this thread's CPU time only: on a
    loaded machine time spent descheduled would otherwise count as waiting."""
    monkeypatch.setattr(_dns.time, "perf_counter", time.thread_time)
    idents = _dns.run_concurrently(lambda _i: sum(range(20000)) and threading.get_ident(), range(200), workers=16)
    assert set(idents) == {threading.get_ident()}


def test_run_concurrently_starts_threads_once_items_wait():
    """Items that wait (a nameserver 30 ms away): after about 50 ms of waiting the rest go to threads."""
    def work(_item):
        time.sleep(0.03)
        return threading.get_ident()

    start = time.perf_counter()
    idents = _dns.run_concurrently(work, range(40), workers=8)
    elapsed = time.perf_counter() - start
    caller = threading.get_ident()
    # The first ran in the caller's thread (on a loaded machine one 30 ms sleep may already exceed the
    # budget, so one or two did); from the third on, every item ran in the pool.
    assert idents[0] == caller
    assert caller not in idents[2:]
    assert len(set(idents[2:])) > 1
    # sequentially it would take at least 1.2 s, however loaded the machine: eight threads take a fraction
    assert elapsed < 40 * 0.03 * 0.75


def test_run_concurrently_without_on_error_raises():
    def work(item):
        if item == 1:
            raise RuntimeError('item 1 broke')
        return item

    with pytest.raises(RuntimeError, match='item 1 broke'):
        _dns.run_concurrently(work, [0, 1, 2], workers=2)


def test_system_resolver_nameservers_are_used_when_none_given(monkeypatch):
    class FakeResolver:
        def __init__(self, configure=True):
            self.nameservers = ['198.51.100.53', 'https://dns.example/dns-query', '2001:db8::53']
    monkeypatch.setattr(_dns.dns.resolver, 'Resolver', FakeResolver)
    c = _dns.DnsClient(nameservers=[], port=53)
    assert c.servers == [('198.51.100.53', 53), ('2001:db8::53', 53)]


def test_bad_nameserver_name_is_a_config_error(monkeypatch):
    def no_dns(*args, **kwargs):  # never ask the real resolver from a unit test
        raise _dns.socket.gaierror(-2, 'Name or service not known')
    monkeypatch.setattr(_dns.socket, 'getaddrinfo', no_dns)
    with pytest.raises(_dns.DnsConfigError, match="nameserver 'no such host.invalid' is neither an IP address"):
        _dns.DnsClient(nameservers=['no such host.invalid'])


@pytest.mark.parametrize('text, expected', [
    ('198.51.100.10', '198.51.100.10'), ('198.51.100.10.', '198.51.100.10'), ('[198.51.100.10]', '198.51.100.10'),
    ('[IPv6:2001:db8::1]', '2001:db8::1'), ('mail.example.org', None), ('10.example', None),
])
def test_ip_literal(text, expected):
    found = _dns.ip_literal(text)
    assert (str(found) if found else None) == expected


def test_normalize_and_dedupe_names():
    entries = _dns.dedupe_names(['Mail.Example.ORG.', 'mail.example.org', 'a..b', ' x.test '])
    assert [(d, e is not None) for d, _n, e in entries] == [
        ('mail.example.org', False), ('a..b', True), ('x.test', False)]


def test_parse_addresses_rejects_garbage_and_dedupes():
    assert [str(a) for a in _dns.parse_addresses(['2001:DB8::1', '198.51.100.1', '2001:db8:0::1'])] == [
        '2001:db8::1', '198.51.100.1']
    with pytest.raises(ValueError, match="expected: 'mail' is not an IPv4 or IPv6 address"):
        _dns.parse_addresses(['mail'])


def test_summarize_lists_the_first_failures_and_counts_the_rest():
    checks = [dict(name='n%d' % i, failed=True, msg='n%d bad' % i) for i in range(12)]
    failures = _dns.collect_failures(checks, 'name')
    assert len(failures) == 12
    msg = _dns.summarize(checks, failures, 'names')
    assert msg.startswith('12 of 12 names failed verification: n0 bad; n1 bad;')
    assert msg.endswith('n9 bad; and 2 more (see failures)')


@pytest.mark.parametrize('found, expected, match, status, missing, unexpected', [
    ([], ['198.51.100.10'], 'exact', 'nodata', ['198.51.100.10'], []),
    ([], ['198.51.100.10'], 'subset', 'nodata', ['198.51.100.10'], []),
    (['198.51.100.10'], ['198.51.100.10'], 'exact', 'ok', [], []),
    (['198.51.100.10'], ['198.51.100.10', '198.51.100.11'], 'exact', 'partial', ['198.51.100.11'], []),
    (['198.51.100.10'], ['198.51.100.10', '198.51.100.11'], 'subset', 'ok', ['198.51.100.11'], []),
    (['198.51.100.11', '198.51.100.10'], ['198.51.100.10', '198.51.100.11'], 'subset', 'ok', [], []),
    (['198.51.100.10', '198.51.100.99'], ['198.51.100.10', '198.51.100.11'], 'subset', 'partial',
     ['198.51.100.11'], ['198.51.100.99']),
    (['198.51.100.99'], ['198.51.100.10'], 'subset', 'mismatch', ['198.51.100.10'], ['198.51.100.99']),
    (['2001:db8::10', '198.51.100.10', '198.51.100.10'], ['198.51.100.10', '2001:db8::10'], 'exact', 'ok', [], []),
])
def test_compare_addresses(found, expected, match, status, missing, unexpected):
    """exact: the addresses found are the expected ones; subset: some are found and none is unexpected."""
    got = _dns.compare_addresses(_dns.parse_addresses(found), _dns.parse_addresses(expected), match)
    assert (got[0], _dns.addresses_text(got[2]), _dns.addresses_text(got[3])) == (status, missing, unexpected)
    found_text = set(_dns.addresses_text(_dns.parse_addresses(found)))
    assert _dns.addresses_text(got[1]) == sorted(found_text, key=lambda a: (':' in a, a))


@pytest.mark.parametrize('expected, match, text', [
    (['198.51.100.11', '198.51.100.10'], 'exact', '198.51.100.10, 198.51.100.11'),
    (['198.51.100.11', '198.51.100.10'], 'subset', 'one or more of 198.51.100.10, 198.51.100.11 and no other address'),
    (['198.51.100.10'], 'subset', '198.51.100.10'),
])
def test_expectation_text(expected, match, text):
    assert _dns.expectation_text(_dns.parse_addresses(expected), match) == text
