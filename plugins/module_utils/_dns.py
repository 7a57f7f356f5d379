# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Shared DNS helpers of the mailops.sendmail ``*_verify`` modules.

This is the only place that imports dnspython. The modules check
``HAS_DNSPYTHON`` and report ``missing_required_lib('dnspython')`` themselves.

What lives here:

* ``dns_argument_spec()``: the options every module shares (nameservers, port,
  timeout, retries, workers; documented once, in the doc fragment
  ``mailops.sendmail.dns``) and ``check_dns_params()`` for their ranges;
* ``DnsClient``: queries one nameserver set over UDP (TCP when truncated),
  retries timeouts, classifies the outcome (ok, NODATA, NXDOMAIN, SERVFAIL,
  REFUSED, referral, timeout, network error), follows CNAME chains and caches
  answers so that many names sharing one MX host cost one lookup;
* ``run_concurrently()``: a bounded thread pool that answers for many names in
  one module call, in input order, without stopping at the first failure;
* small formatting helpers so that every message names the record and the
  expected versus found values.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

DNSPYTHON_IMPORT_ERROR = None
try:
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.query
    import dns.rcode
    import dns.rdatatype
    import dns.resolver
    import dns.reversename
except ImportError:
    HAS_DNSPYTHON = False
    DNSPYTHON_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_DNSPYTHON = True

DEFAULT_WORKERS = 16
_MAX_CNAME_HOPS = 8
_MAX_MSG_ITEMS = 10
_WAIT_BUDGET = 0.05  # seconds of network wait before run_concurrently() starts threads
_WAIT_SHARE = 0.25  # ... when also over this share of the elapsed time

# Outcome of one lookup (QueryResult.status).
STATUS_OK = 'ok'
STATUS_NODATA = 'nodata'
STATUS_NXDOMAIN = 'nxdomain'
STATUS_SERVFAIL = 'servfail'
STATUS_REFUSED = 'refused'
STATUS_TIMEOUT = 'timeout'
STATUS_ERROR = 'error'
LOOKUP_ERRORS = frozenset((STATUS_SERVFAIL, STATUS_REFUSED, STATUS_TIMEOUT, STATUS_ERROR))


def dns_argument_spec():
    """Options shared by all modules, to merge into each module's argument_spec.

    Documented in plugins/doc_fragments/dns.py (``extends_documentation_fragment:
    [mailops.sendmail.dns]``): keep the two in step. A new dict on every call.
    """
    return dict(
        nameservers=dict(type='list', elements='str'),
        port=dict(type='int', default=53),
        timeout=dict(type='float', default=3.0),
        retries=dict(type='int', default=2),
        workers=dict(type='int', default=DEFAULT_WORKERS),
    )


def check_dns_params(params):
    """Return an error message for out-of-range shared options, or None."""
    if not 1 <= params['port'] <= 65535:
        return 'port must be between 1 and 65535, got %s' % params['port']
    if params['timeout'] <= 0:
        return 'timeout must be greater than 0, got %s' % params['timeout']
    if params['retries'] < 0:
        return 'retries must be 0 or more, got %s' % params['retries']
    if params['workers'] < 1:
        return 'workers must be 1 or more, got %s' % params['workers']
    return None


def client_from_params(params):
    """Build a DnsClient from the shared module options (may raise DnsConfigError)."""
    return DnsClient(
        nameservers=params.get('nameservers'),
        port=params['port'],
        timeout=params['timeout'],
        retries=params['retries'],
    )


class DnsConfigError(Exception):
    """The nameservers could not be determined."""


# ---------------------------------------------------------------- addresses / names

def parse_addresses(values, what='expected'):
    """Parse a list of IP address strings; return ipaddress objects, deduplicated, in order.

    Raises ValueError naming the bad entry.
    """
    result = []
    seen = set()
    for value in values or []:
        text = str(value).strip()
        try:
            addr = ipaddress.ip_address(text)
        except ValueError:
            raise ValueError('%s: %r is not an IPv4 or IPv6 address' % (what, value))
        if addr not in seen:
            seen.add(addr)
            result.append(addr)
    return result


def sort_addresses(addresses):
    """Sort ipaddress objects: IPv4 first, then numerically."""
    return sorted(addresses, key=lambda a: (a.version, int(a)))


def addresses_text(addresses):
    """Sorted list of address strings (compressed IPv6 form)."""
    return [str(a) for a in sort_addresses(addresses)]


def join_or_none(items, none='nothing'):
    items = list(items)
    return ', '.join(str(i) for i in items) if items else none


# How the addresses found for a name are compared with the expected ones (a_verify's
# ``match``; an MX host in mx_verify is always matched with MATCH_SUBSET).
MATCH_EXACT = 'exact'    # the addresses found are exactly the expected ones
MATCH_SUBSET = 'subset'  # at least one address is found, and every one found is expected
MATCH_CHOICES = (MATCH_EXACT, MATCH_SUBSET)


def compare_addresses(found, expected, match=MATCH_EXACT):
    """Compare the addresses found for a name with the expected ones.

    Return ``(status, found, missing, unexpected)``, the three lists sorted ipaddress
    objects. ``status``: ``ok``; ``nodata`` (nothing found); ``mismatch`` (only
    unexpected addresses); ``partial`` (some unexpected addresses, or with
    MATCH_EXACT some expected address missing).
    """
    found = sort_addresses(set(found))
    wanted = sort_addresses(set(expected))
    unexpected = [a for a in found if a not in wanted]
    missing = [a for a in wanted if a not in found]
    if not found:
        status = 'nodata'
    elif unexpected:
        status = 'mismatch' if len(unexpected) == len(found) else 'partial'
    elif missing and match == MATCH_EXACT:
        status = 'partial'
    else:
        status = 'ok'
    return status, found, missing, unexpected


def expectation_text(expected, match=MATCH_EXACT):
    """What a name must resolve to, for messages: ``198.51.100.10, 198.51.100.11`` (exact),
    ``one or more of 198.51.100.10, 198.51.100.11 and no other address`` (subset of several)."""
    text = join_or_none(addresses_text(expected))
    if match == MATCH_SUBSET and len(expected) > 1:
        return 'one or more of %s and no other address' % text
    return text


def family_types(addresses):
    """Record types (A, AAAA) matching the address families present, A first."""
    types = []
    if any(a.version == 4 for a in addresses):
        types.append('A')
    if any(a.version == 6 for a in addresses):
        types.append('AAAA')
    return types


def addresses_of_type(addresses, rdtype):
    version = 6 if rdtype == 'AAAA' else 4
    return [a for a in addresses if a.version == version]


def normalize_name(text):
    """Parse a domain name given with or without trailing dot.

    Return ``(dns.name.Name, display)`` where display is lower case, without the
    trailing dot. Raise ValueError for an empty or malformed name.
    """
    raw = str(text).strip()
    if not raw or raw == '.':
        raise ValueError('invalid DNS name %r: empty' % (text,))
    try:
        name = dns.name.from_text(raw).canonicalize()
    except Exception as exc:  # dnspython raises several exception types here
        raise ValueError('invalid DNS name %r: %s' % (text, exc))
    return name, name_text(name)


def name_text(name):
    """Display form of a dns.name.Name: lower case, no trailing dot ('.' for the root)."""
    if name == dns.name.root:
        return '.'
    return name.to_text(omit_final_dot=True).lower()


def ip_literal(text):
    """Return the ipaddress object if a host name is really an IP literal, else None.

    Recognises ``198.51.100.10``, ``[198.51.100.10]`` and ``[IPv6:2001:db8::1]``
    (the address-literal forms of RFC 5321 section 4.1.3), with or without a
    trailing dot.
    """
    candidate = str(text).strip().rstrip('.')
    if candidate.startswith('[') and candidate.endswith(']'):
        candidate = candidate[1:-1]
        if candidate.lower().startswith('ipv6:'):
            candidate = candidate[5:]
    candidate = candidate.replace('\\', '')
    try:
        return ipaddress.ip_address(candidate)
    except ValueError:
        return None


def dedupe_names(values):
    """Normalize names; return ``[(display, dns.name.Name or None, error or None)]``, input order, unique."""
    result = []
    seen = set()
    for value in values or []:
        try:
            name, display = normalize_name(value)
            error = None
        except ValueError as exc:
            name, display, error = None, str(value).strip(), str(exc)
        if display in seen:
            continue
        seen.add(display)
        result.append((display, name, error))
    return result


# ---------------------------------------------------------------- queries

class QueryResult(object):
    """Outcome of one lookup of ``qname``/``rdtype`` (CNAMEs followed)."""

    __slots__ = ('qname', 'rdtype', 'status', 'records', 'cnames', 'detail')

    def __init__(self, qname, rdtype, status, records=None, cnames=None, detail=''):
        self.qname = qname
        self.rdtype = rdtype
        self.status = status
        self.records = records or []
        self.cnames = cnames or []
        self.detail = detail

    @property
    def failed_lookup(self):
        return self.status in LOOKUP_ERRORS

    @property
    def canonical(self):
        """Display name at the end of the CNAME chain (None without CNAME)."""
        return self.cnames[-1] if self.cnames else None

    def addresses(self):
        """ipaddress objects of A/AAAA records."""
        result = []
        for rdata in self.records:
            try:
                result.append(ipaddress.ip_address(rdata.address))
            except (AttributeError, ValueError):
                continue
        return result

    def texts(self):
        """TXT records as text: the character-strings of each record joined (RFC 7208 section
        3.3, RFC 6376 section 3.6.2.2), decoded as UTF-8 with bad bytes replaced; in answer order."""
        result = []
        for rdata in self.records:
            strings = getattr(rdata, 'strings', None)
            if strings is None:
                continue
            result.append(b''.join(strings).decode('utf-8', 'replace'))
        return result

    def describe(self):
        """Short text of what the lookup found when it found no records."""
        if self.status == STATUS_NXDOMAIN:
            if self.cnames:
                return 'the name is a CNAME to %s, which does not exist (NXDOMAIN)' % self.canonical
            return 'the name does not exist (NXDOMAIN)'
        if self.status == STATUS_NODATA:
            return 'no %s record (NODATA)' % self.rdtype
        if self.failed_lookup:
            return 'lookup failed: %s' % self.detail
        return 'ok'

    def __repr__(self):
        return 'QueryResult(%s %s %s %r)' % (name_text(self.qname), self.rdtype, self.status, self.detail)


def _server_text(address, port):
    """``address#port``, as BIND and dig write it (no brackets needed for IPv6)."""
    return '%s#%d' % (address, port)


def _system_nameservers(port):
    try:
        resolver = dns.resolver.Resolver(configure=True)
    except Exception as exc:
        raise DnsConfigError('cannot read the system resolver configuration: %s' % exc)
    servers = []
    for entry in resolver.nameservers:
        address = entry if isinstance(entry, str) else getattr(entry, 'address', None)
        if not address:
            continue
        try:
            ipaddress.ip_address(address.split('%', 1)[0])
        except ValueError:  # e.g. a DNS-over-HTTPS URL
            continue
        servers.append((address, port))
    if not servers:
        raise DnsConfigError('the system resolver has no usable nameserver')
    return servers


def _resolve_nameservers(nameservers, port):
    servers = []
    for entry in nameservers:
        text = str(entry).strip()
        try:
            ipaddress.ip_address(text.split('%', 1)[0])
            candidates = [text]
        except ValueError:
            try:
                infos = socket.getaddrinfo(text, port, 0, socket.SOCK_DGRAM)
            except (socket.gaierror, UnicodeError) as exc:
                raise DnsConfigError('nameserver %r is neither an IP address nor a resolvable host name: %s' % (entry, exc))
            candidates = [info[4][0] for info in infos]
        for address in candidates:
            if (address, port) not in servers:
                servers.append((address, port))
    return servers


class DnsClient(object):
    """Thread-safe DNS client on one nameserver set.

    ``nameservers``: IP addresses (or host names, resolved once) to query; empty or
    None means the system resolver's nameservers (/etc/resolv.conf). ``timeout``
    is the time allowed for one try at one nameserver; a try that times out is
    retried ``retries`` times (so ``retries + 1`` tries at most). SERVFAIL or
    REFUSED from one nameserver moves on to the next one, without retries.

    ``query()`` never raises: it returns a QueryResult whose ``status`` is one of
    ok, nodata, nxdomain, servfail, refused, timeout, error. Answers are cached
    for the client's lifetime (one module run), and concurrent lookups of the
    same name and type wait for one query.
    """

    def __init__(self, nameservers=None, port=53, timeout=3.0, retries=2):
        if nameservers:
            self.servers = _resolve_nameservers(nameservers, port)
        else:
            self.servers = _system_nameservers(port)
        self.timeout = float(timeout)
        self.retries = int(retries)
        self._lock = threading.Lock()
        self._cache = {}
        self.queries = 0  # wire queries sent (for tests and benchmarks)

    # -- public

    def query(self, qname, rdtype):
        """Look up ``qname`` (dns.name.Name or text) for ``rdtype`` ('A', 'MX', ...), cached."""
        if not isinstance(qname, dns.name.Name):
            qname = normalize_name(qname)[0]
        key = (qname, rdtype)
        with self._lock:
            entry = self._cache.get(key)
            owner = entry is None
            if owner:
                entry = self._cache[key] = [threading.Event(), None]
        if owner:
            try:
                entry[1] = self._lookup(qname, rdtype)
            except Exception as exc:  # never let one name break the batch
                entry[1] = QueryResult(qname, rdtype, STATUS_ERROR, detail='unexpected error: %s' % exc)
            finally:
                entry[0].set()
        else:
            entry[0].wait()
        return entry[1]

    # -- internals

    def _lookup(self, qname, rdtype):
        """Query and follow CNAMEs, also across answers (authoritative-only nameservers)."""
        rdtype_value = dns.rdatatype.from_text(rdtype)
        name = qname
        cnames = []
        for _hop in range(_MAX_CNAME_HOPS + 1):
            response, status, detail = self._exchange(name, rdtype_value)
            if response is None:
                return QueryResult(qname, rdtype, status, cnames=cnames, detail=detail)
            if len(response.answer) == 1 and response.rcode() == dns.rcode.NOERROR:
                # Fast path of the common answer: the records asked for, no CNAME.
                rrset = response.answer[0]
                if rrset.rdtype == rdtype_value and rrset.name == name and len(rrset):
                    return QueryResult(qname, rdtype, STATUS_OK, records=list(rrset), cnames=cnames)
            try:
                chain = response.resolve_chaining()
            except dns.exception.DNSException as exc:
                return QueryResult(qname, rdtype, STATUS_ERROR, cnames=cnames,
                                   detail='bad answer from %s: %s' % (detail, exc))
            for rrset in chain.cnames:
                for rdata in rrset:
                    cnames.append(name_text(rdata.target))
            if len(cnames) > _MAX_CNAME_HOPS:
                return QueryResult(qname, rdtype, STATUS_ERROR, cnames=cnames,
                                   detail='CNAME chain longer than %d' % _MAX_CNAME_HOPS)
            if response.rcode() == dns.rcode.NXDOMAIN:
                return QueryResult(qname, rdtype, STATUS_NXDOMAIN, cnames=cnames, detail='NXDOMAIN from %s' % detail)
            if chain.answer is not None and len(chain.answer):
                return QueryResult(qname, rdtype, STATUS_OK, records=list(chain.answer), cnames=cnames)
            if chain.canonical_name != name:
                # The server gave the alias but not its target's records: ask for the target.
                name = chain.canonical_name
                continue
            referral = _referral(response)
            if referral:
                return QueryResult(qname, rdtype, STATUS_ERROR, cnames=cnames,
                                   detail='%s sent a referral to %s instead of an answer '
                                          '(it is not authoritative for the name and does not recurse)'
                                          % (detail, referral))
            return QueryResult(qname, rdtype, STATUS_NODATA, cnames=cnames, detail='NODATA from %s' % detail)
        return QueryResult(qname, rdtype, STATUS_ERROR, cnames=cnames,
                           detail='CNAME chain longer than %d' % _MAX_CNAME_HOPS)

    def _send(self, request, address, port):
        """One try at one server: UDP, then TCP if the answer was truncated."""
        self.queries += 1
        try:
            response = dns.query.udp(request, address, timeout=self.timeout, port=port, ignore_unexpected=True)
        except dns.message.Truncated:
            response = None
        if response is None or response.flags & dns.flags.TC:
            response = dns.query.tcp(request, address, timeout=self.timeout, port=port)
        return response

    def _exchange(self, name, rdtype_value):
        """Send one question; return ``(response, status, server text)``.

        ``response`` is a NOERROR or NXDOMAIN message, else None with the status
        (timeout, servfail, refused, error) and a description in place of the server.
        """
        request = dns.message.make_query(name, rdtype_value)
        tries = self.retries + 1
        failure = None  # (status, detail) of the last non-timeout failure
        timed_out = []
        for attempt in range(tries):
            retry = False
            for address, port in self.servers:
                server = _server_text(address, port)
                try:
                    response = self._send(request, address, port)
                except dns.exception.Timeout:
                    retry = True
                    if server not in timed_out:
                        timed_out.append(server)
                    continue
                except (OSError, EOFError, dns.exception.DNSException) as exc:
                    retry = True
                    failure = (STATUS_ERROR, 'query to %s failed: %s' % (server, exc or type(exc).__name__))
                    continue
                rcode = response.rcode()
                if rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                    return response, None, server
                if rcode == dns.rcode.SERVFAIL:
                    failure = (STATUS_SERVFAIL, 'SERVFAIL from %s' % server)
                elif rcode == dns.rcode.REFUSED:
                    failure = (STATUS_REFUSED, 'REFUSED from %s' % server)
                else:
                    failure = (STATUS_ERROR, '%s from %s' % (dns.rcode.to_text(rcode), server))
            if not retry:
                break
        if failure is not None:
            return None, failure[0], failure[1]
        return None, STATUS_TIMEOUT, 'timeout: no answer from %s after %d %s of %g s' % (
            join_or_none(timed_out), tries, 'try' if tries == 1 else 'tries', self.timeout)


def _referral(response):
    """Name of the delegated zone if ``response`` is a referral, else None."""
    if response.answer or response.flags & dns.flags.AA:
        return None
    has_soa = any(rrset.rdtype == dns.rdatatype.SOA for rrset in response.authority)
    for rrset in response.authority:
        if rrset.rdtype == dns.rdatatype.NS and not has_soa:
            return name_text(rrset.name)
    return None


def reverse_name(address):
    """in-addr.arpa / ip6.arpa name (dns.name.Name) of an ipaddress object."""
    return dns.reversename.from_address(str(address))


def reversed_labels(address):
    """The labels of an address as a DNSBL is asked (RFC 5782 section 2.1 and 2.4): octets
    of IPv4 reversed (``10.100.51.198``), nibbles of IPv6 reversed, without the zone."""
    if address.version == 4:
        return '.'.join(reversed(str(address).split('.')))
    return '.'.join(reversed(address.exploded.replace(':', '')))


# ---------------------------------------------------------------- batches

def run_concurrently(func, items, workers=DEFAULT_WORKERS, on_error=None):
    """Apply ``func`` to every item with a bounded thread pool; results in input order.

    Threads only pay off while lookups wait on the network: with CPython's GIL they
    cost CPU (about 40% more per answer) when the nameserver answers faster than
    dnspython parses, as a server on the same machine does. So the items are taken one
    at a time until they are seen to wait (over ``_WAIT_BUDGET`` seconds in all and
    over ``_WAIT_SHARE`` of the elapsed time, e.g. after two lookups 20 ms away, or
    one timeout), and the rest then go to a pool of at most ``workers`` threads.

    An exception in ``func`` becomes ``on_error(item, exc)`` (or re-raises when
    no ``on_error`` is given), so one bad item does not stop the others.
    """
    items = list(items)

    def call(item):
        try:
            return func(item)
        except Exception as exc:
            if on_error is None:
                raise
            return on_error(item, exc)

    workers = max(1, min(int(workers), len(items)))
    if workers == 1:
        return [call(item) for item in items]
    results = []
    wall_start = time.perf_counter()
    cpu_start = time.thread_time()
    for item in items:
        results.append(call(item))
        wall = time.perf_counter() - wall_start
        waited = wall - (time.thread_time() - cpu_start)
        if waited > _WAIT_BUDGET and waited > wall * _WAIT_SHARE:
            break
    rest = items[len(results):]
    if rest:
        with ThreadPoolExecutor(max_workers=min(workers, len(rest))) as pool:
            results.extend(pool.map(call, rest))
    return results


def collect_failures(checks, key):
    """``{item: msg}`` of the failed checks, in input order."""
    return dict((check[key], check['msg']) for check in checks if check['failed'])


def summarize(checks, failures, noun):
    """One-line module message: the failure itself, or a count and the first few."""
    total = len(checks)
    if not failures:
        return 'all %d %s verified' % (total, noun) if total != 1 else checks[0]['msg']
    messages = list(failures.values())
    if len(messages) == 1:
        return messages[0]
    shown = '; '.join(messages[:_MAX_MSG_ITEMS])
    more = len(messages) - _MAX_MSG_ITEMS
    if more > 0:
        shown += '; and %d more (see failures)' % more
    return '%d of %d %s failed verification: %s' % (len(messages), total, noun, shown)


def run_module(argument_spec, mutually_exclusive, required_one_of, check):
    """The main() of a DNS verification module: parameters, the dnspython guard, then
    ``check(params) -> (result, failed)`` (also what the action plugins run in-process)."""
    module = AnsibleModule(
        argument_spec=argument_spec,
        mutually_exclusive=mutually_exclusive,
        required_one_of=required_one_of,
        supports_check_mode=True,
    )
    if not HAS_DNSPYTHON:
        module.fail_json(msg=missing_required_lib('dnspython'), exception=DNSPYTHON_IMPORT_ERROR)
    result, failed = check(module.params)
    if failed:
        module.fail_json(**result)
    module.exit_json(**result)
