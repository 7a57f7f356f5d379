# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The check of mailops.sendmail.spf_verify: whether a server's addresses may send mail for
domains, by the domains' SPF records (RFC 7208 check_host()).

The evaluator is written here rather than taken from pyspf: pyspf looks every name up through
a module-global function on dnspython's default resolver (the system's), with no way to give it
a nameserver other than replacing process-wide globals, which would leak into every other task
of the controller's worker where this check runs in-process. Here every lookup goes through the
module's own DnsClient (the given nameservers, timeouts and retries, one cache per call).

``ARGUMENT_SPEC``, ``MUTUALLY_EXCLUSIVE``, ``REQUIRED_ONE_OF`` and ``run(params)`` serve both
the module and its action plugin, as for a_verify.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping

from ansible_collections.mailops.sendmail.plugins.module_utils._dns import (
    STATUS_NXDOMAIN,
    DnsConfigError,
    check_dns_params,
    client_from_params,
    collect_failures,
    dns_argument_spec,
    join_or_none,
    name_text,
    normalize_name,
    parse_addresses,
    reverse_name,
    run_concurrently,
    summarize,
)

RESULTS = ('pass', 'fail', 'softfail', 'neutral', 'none', 'permerror', 'temperror')
MAX_LOOKUPS = 10        # RFC 7208 section 4.6.4: include, a, mx, ptr, exists, redirect
MAX_VOID_LOOKUPS = 2    # ... and lookups that find nothing (NXDOMAIN or NODATA)
MAX_MX_NAMES = 10       # MX records (and PTR names) looked at per mechanism
_QUALIFIERS = {'+': 'pass', '-': 'fail', '~': 'softfail', '?': 'neutral'}
_MECHANISMS = ('all', 'include', 'a', 'mx', 'ptr', 'ip4', 'ip6', 'exists')
_MODIFIER = re.compile(r'^([A-Za-z][A-Za-z0-9_.-]*)=(.*)$')
_MECHANISM = re.compile(r'^([+\-~?]?)([A-Za-z][A-Za-z0-9_.-]*)(.*)$')
_CIDR = re.compile(r'^(.*?)(?:/(\d+))?(?://(\d+))?$')
_MACRO = re.compile(r'%(?:\{([slodiphcrtvSLODIPHCRTV])(\d*)([rR]?)([.\-+,/_=]*)\}|(%)|(_)|(-))')
_ENTRY_KEYS = ('domain', 'result')


class SpfError(Exception):
    """Ends the evaluation with a result (permerror or temperror) and why."""

    def __init__(self, result, reason):
        super(SpfError, self).__init__(reason)
        self.result = result
        self.reason = reason


def _permerror(reason):
    return SpfError('permerror', reason)


# ---------------------------------------------------------------- parsing

def select_record(texts):
    """The SPF record among a name's TXT records (RFC 7208 section 4.5): None when there is none;
    SpfError(permerror) when there are several."""
    records = [t for t in texts if t[:6].lower() == 'v=spf1' and (len(t) == 6 or t[6] == ' ')]
    if len(records) > 1:
        raise _permerror('%d SPF records (only one is allowed): %s' % (
            len(records), '; '.join('"%s"' % r for r in records)))
    return records[0] if records else None


def _check_macros(spec, term):
    """Refuse a malformed macro-string (RFC 7208 section 7.1) before anything is looked up."""
    rest = _MACRO.sub('', spec)
    if '%' in rest:
        raise _permerror('bad macro in %s' % term)
    for match in _MACRO.finditer(spec):
        if match.group(1) and match.group(1).lower() in 'crt':
            raise _permerror('macro %%{%s} is only allowed in exp= (%s)' % (match.group(1), term))


def _cidr(value, maximum, term):
    if value is None:
        return maximum
    if not value.isdigit():
        raise _permerror('bad prefix length /%s in %s' % (value, term))
    length = int(value)
    if length > maximum or (len(value) > 1 and value.startswith('0')):
        raise _permerror('bad prefix length /%s in %s' % (value, term))
    return length


def parse_record(record):
    """Parse an SPF record into ``(mechanisms, modifiers)``; every syntax error is a permerror
    (RFC 7208 section 4.6), found before any mechanism is evaluated.

    A mechanism is a dict ``{term, result, name, domain, cidr4, cidr6, network}``.
    """
    mechanisms = []
    modifiers = {}
    for term in record.split(' ')[1:]:
        if not term:
            continue
        modifier = _MODIFIER.match(term)
        if modifier:
            name, value = modifier.group(1).lower(), modifier.group(2)
            if name in ('redirect', 'exp'):
                if name in modifiers:
                    raise _permerror('%s= given twice' % name)
                if not value:
                    raise _permerror('%s= without a domain' % name)
                if name == 'redirect':
                    _check_macros(value, term)
                modifiers[name] = value
            continue  # unknown modifiers are ignored (section 6)
        match = _MECHANISM.match(term)
        if not match or match.group(2).lower() not in _MECHANISMS:
            raise _permerror('unknown mechanism %s' % term)
        qualifier, name, rest = match.group(1), match.group(2).lower(), match.group(3)
        mech = dict(term=term, result=_QUALIFIERS.get(qualifier, 'pass'), name=name, domain=None,
                    cidr4=32, cidr6=128, network=None)
        if name == 'all':
            if rest:
                raise _permerror('bad mechanism %s' % term)
        elif name in ('include', 'exists'):
            if not rest.startswith(':') or len(rest) < 2:
                raise _permerror('%s needs a domain: %s' % (name, term))
            mech['domain'] = rest[1:]
        elif name in ('a', 'mx'):
            parts = _CIDR.match(rest)
            domain, c4, c6 = parts.group(1), parts.group(2), parts.group(3)
            if domain and (not domain.startswith(':') or len(domain) < 2):
                raise _permerror('bad mechanism %s' % term)
            mech['domain'] = domain[1:] if domain else None
            mech['cidr4'], mech['cidr6'] = _cidr(c4, 32, term), _cidr(c6, 128, term)
        elif name == 'ptr':
            if rest and (not rest.startswith(':') or len(rest) < 2):
                raise _permerror('bad mechanism %s' % term)
            mech['domain'] = rest[1:] if rest else None
        else:  # ip4, ip6
            if not rest.startswith(':'):
                raise _permerror('%s needs an address: %s' % (name, term))
            address, _slash, length = rest[1:].partition('/')
            try:
                addr = ipaddress.ip_address(address)
            except ValueError:
                raise _permerror('bad address in %s' % term)
            if addr.version != (4 if name == 'ip4' else 6):
                raise _permerror('bad address in %s' % term)
            prefix = _cidr(length if _slash else None, addr.max_prefixlen, term)
            mech['network'] = ipaddress.ip_network('%s/%d' % (addr, prefix), strict=False)
        if mech['domain'] is not None:
            _check_macros(mech['domain'], term)
        mechanisms.append(mech)
    return mechanisms, modifiers


# ---------------------------------------------------------------- evaluation

class Evaluation(object):
    """One check_host() run for one address, with its shared lookup counters (RFC 7208 4.6.4)."""

    def __init__(self, client, address, sender, helo):
        self.client = client
        self.address = address
        self.sender = sender
        self.helo = helo
        self.lookups = 0
        self.voids = 0

    # -- DNS

    def _query(self, name, rdtype, what):
        """Records of a lookup for a mechanism: [] for NXDOMAIN/NODATA (a void lookup),
        SpfError(temperror) when the lookup failed."""
        answer = self.client.query(name, rdtype)
        if answer.failed_lookup:
            raise SpfError('temperror', '%s: %s %s lookup failed: %s' % (what, name, rdtype, answer.detail))
        if not answer.records:
            self.voids += 1
            if self.voids > MAX_VOID_LOOKUPS:
                raise _permerror('more than %d void lookups (the last: %s %s, %s)' % (
                    MAX_VOID_LOOKUPS, name, rdtype, answer.describe()))
        return answer

    def _count(self, term, domain):
        self.lookups += 1
        if self.lookups > MAX_LOOKUPS:
            raise _permerror('more than %d DNS lookups (the %dth is %s in %s)' % (
                MAX_LOOKUPS, self.lookups, term, domain))

    def _addresses(self, name, what):
        rdtype = 'AAAA' if self.address.version == 6 else 'A'
        return self._query(name, rdtype, what).addresses()

    # -- macros (RFC 7208 section 7)

    def expand(self, spec, domain):
        local, _at, sender_domain = self.sender.rpartition('@')
        if self.address.version == 4:
            ip_text = str(self.address)
        else:
            ip_text = '.'.join(self.address.exploded.replace(':', ''))
        values = dict(s=self.sender, l=local or 'postmaster', o=sender_domain or domain, d=domain, i=ip_text,
                      p='unknown', v='in-addr' if self.address.version == 4 else 'ip6', h=self.helo or domain)

        def one(match):
            if match.group(5):
                return '%'
            if match.group(6):
                return ' '
            if match.group(7):
                return '%20'
            letter, digits, reverse, delimiters = match.groups()[:4]
            parts = re.split('[%s]' % re.escape(delimiters or '.'), values[letter.lower()])
            if reverse:
                parts.reverse()
            if digits:
                if int(digits) == 0:
                    raise _permerror('macro %%{%s%s} keeps no label' % (letter, digits))
                parts = parts[-int(digits):]
            return '.'.join(parts)

        expanded = _MACRO.sub(one, spec)
        # Longer than a domain name may be: drop labels from the left (section 7.3).
        while len(expanded) > 253 and '.' in expanded:
            expanded = expanded.split('.', 1)[1]
        return expanded

    def target(self, mech_domain, domain, term):
        """The domain a mechanism looks at, parsed (its own domain-spec, or the current domain)."""
        text = self.expand(mech_domain, domain) if mech_domain else domain
        try:
            return normalize_name(text)[1]
        except ValueError:
            raise _permerror('%s names an invalid domain %r' % (term, text))

    # -- check_host (section 4)

    def check_host(self, domain, depth=0):
        """``(result, reason)`` for the address and ``domain``; raises SpfError."""
        answer = self.client.query(domain, 'TXT')
        if answer.status == STATUS_NXDOMAIN:
            return 'none', '%s does not exist (NXDOMAIN)' % domain
        if answer.failed_lookup:
            raise SpfError('temperror', 'TXT lookup of %s failed: %s' % (domain, answer.detail))
        try:
            record = select_record(answer.texts())
        except SpfError as exc:
            raise SpfError(exc.result, '%s: %s' % (domain, exc.reason))
        if record is None:
            return 'none', 'no "v=spf1" TXT record at %s' % domain
        try:
            mechanisms, modifiers = parse_record(record)
        except SpfError as exc:
            raise SpfError(exc.result, '%s in "%s" at %s' % (exc.reason, record, domain))
        for mech in mechanisms:
            if self._matches(mech, domain):
                return mech['result'], '%s matched in "%s" at %s' % (mech['term'], record, domain)
        redirect = modifiers.get('redirect')
        if redirect and not any(m['name'] == 'all' for m in mechanisms):
            self._count('redirect=%s' % redirect, domain)
            target = self.target(redirect, domain, 'redirect=%s' % redirect)
            result, reason = self.check_host(target, depth + 1)
            if result == 'none':
                raise _permerror('redirect=%s at %s names a domain without SPF record (%s)' % (
                    redirect, domain, reason))
            return result, reason
        return 'neutral', 'no mechanism matched in "%s" at %s (the default is neutral)' % (record, domain)

    def _matches(self, mech, domain):
        name, term = mech['name'], mech['term']
        address = self.address
        if name == 'all':
            return True
        if name in ('ip4', 'ip6'):
            return mech['network'].version == address.version and address in mech['network']
        self._count(term, domain)
        target = self.target(mech['domain'], domain, term)
        if name == 'include':
            result, reason = self.check_host(target)
            if result == 'pass':
                return True
            if result == 'none':
                raise _permerror('%s at %s: the included domain has no SPF record (%s)' % (term, domain, reason))
            return False  # fail, softfail, neutral: no match; errors were raised
        if name == 'exists':
            return bool(self._query(target, 'A', term).records)
        prefix = mech['cidr6'] if address.version == 6 else mech['cidr4']
        if name == 'a':
            return self._in_any(self._addresses(target, term), prefix)
        if name == 'mx':
            records = self._query(target, 'MX', term).records
            exchanges = [name_text(r.exchange) for r in records if name_text(r.exchange) != '.']
            if len(exchanges) > MAX_MX_NAMES:
                raise _permerror('%s at %s: %s has %d MX records (at most %d are allowed)' % (
                    term, domain, target, len(exchanges), MAX_MX_NAMES))
            return any(self._in_any(self._addresses(host, term), prefix) for host in exchanges)
        return self._ptr(target)

    def _in_any(self, addresses, prefix):
        for found in addresses:
            if found.version == self.address.version and \
                    self.address in ipaddress.ip_network('%s/%d' % (found, prefix), strict=False):
                return True
        return False

    def _ptr(self, target):
        """ptr (section 5.5): a validated name of the address equal to or under target. Its DNS
        errors mean no match, not temperror."""
        answer = self.client.query(reverse_name(self.address), 'PTR')
        names = [name_text(r.target) for r in answer.records][:MAX_MX_NAMES]
        rdtype = 'AAAA' if self.address.version == 6 else 'A'
        for name in names:
            if name == target or name.endswith('.' + target):
                if self.address in self.client.query(name, rdtype).addresses():
                    return True
        return False


def evaluate(client, address, domain, sender=None, helo=None):
    """check_host() of one address for one domain: ``(result, reason, lookups)``."""
    evaluation = Evaluation(client, address, sender or 'postmaster@%s' % domain, helo)
    try:
        result, reason = evaluation.check_host(domain)
    except SpfError as exc:
        result, reason = exc.result, exc.reason
    return result, reason, evaluation.lookups


# ---------------------------------------------------------------- the check

def _check_domain(client, display, error, required, addresses, sender, helo):
    result = dict(domain=display, failed=True, status='error', msg='', expected=required, result='',
                  results={}, reasons={}, lookups={}, record='')
    if error:
        result.update(status='invalid', msg='%s SPF: %s' % (display, error))
        return result
    record_answer = client.query(display, 'TXT')
    if not record_answer.failed_lookup:
        try:
            result['record'] = select_record(record_answer.texts()) or ''
        except SpfError:
            result['record'] = ''
    problems = []
    oks = []
    for address in addresses:
        found, reason, lookups = evaluate(client, address, display, sender and sender.replace('{domain}', display),
                                          helo)
        key = str(address)
        result['results'][key] = found
        result['reasons'][key] = reason
        result['lookups'][key] = lookups
        if found == required:
            oks.append('%s %s' % (key, found))
        else:
            problems.append('%s SPF for %s: expected %s, found %s (%s)' % (display, key, required, found, reason))
    results = list(dict.fromkeys(result['results'].values()))
    result['result'] = results[0] if len(results) == 1 else ', '.join(results)
    if problems:
        bad = [r for r in result['results'].values() if r != required]
        result.update(status=bad[0], msg='; '.join(problems))
    else:
        first = str(addresses[0])
        result.update(status=required, failed=False, msg='%s SPF: %s as expected (%s)' % (
            display, join_or_none(oks), result['reasons'][first]))
    return result


def _entries(domains, required):
    entries = []
    seen = {}
    for index, entry in enumerate(domains):
        where = 'domains[%d]' % index
        want = required
        if isinstance(entry, Mapping):
            unknown = sorted(str(k) for k in entry if k not in _ENTRY_KEYS)
            if unknown:
                raise ValueError('%s: unknown key %s (an entry has: domain, result)' % (where, ', '.join(unknown)))
            if not isinstance(entry.get('domain'), str):
                raise ValueError('%s: give the domain as domain: <name>, got %r' % (where, entry.get('domain')))
            value = entry['domain']
            if entry.get('result') is not None:
                want = str(entry['result'])
                if want not in RESULTS:
                    raise ValueError('%s (%s): result must be one of %s, got %s' % (
                        where, value, ', '.join(RESULTS), want))
        elif isinstance(entry, str):
            value = entry
        else:
            raise ValueError('%s: a domain or a mapping {domain, result}, got %r' % (where, entry))
        try:
            display, error = normalize_name(value)[1], None
        except ValueError as exc:
            display, error = value.strip(), str(exc)
        if display in seen:
            if seen[display] != want:
                raise ValueError('domains: %s is given twice with different results (%s; %s)' % (
                    display, seen[display], want))
            continue
        seen[display] = want
        entries.append((display, error, want))
    return entries


ARGUMENT_SPEC = dict(
    domain=dict(type='str'),
    domains=dict(type='list', elements='raw'),
    addresses=dict(type='list', elements='str', required=True),
    result=dict(type='str', choices=list(RESULTS), default='pass'),
    sender=dict(type='str'),
    helo=dict(type='str'),
)
ARGUMENT_SPEC.update(dns_argument_spec())
MUTUALLY_EXCLUSIVE = [('domain', 'domains')]
REQUIRED_ONE_OF = [('domain', 'domains')]


def run(params):
    """The check for validated params: ``(result, failed)``."""
    problem = check_dns_params(params)
    if problem:
        return dict(msg=problem), True
    try:
        addresses = parse_addresses(params['addresses'], 'addresses')
    except ValueError as exc:
        return dict(msg=str(exc)), True
    if not addresses:
        return dict(msg='addresses is empty: give the addresses the server sends from'), True
    domains = [params['domain']] if params['domain'] is not None else params['domains']
    if not domains:
        return dict(msg='domains is empty: give at least one domain'), True
    sender = params['sender']
    if sender is not None and '@' not in sender:
        sender = '%s@{domain}' % sender
    try:
        entries = _entries(domains, params['result'])
        client = client_from_params(params)
    except (ValueError, DnsConfigError) as exc:
        return dict(msg=str(exc)), True

    def work(entry):
        return _check_domain(client, entry[0], entry[1], entry[2], addresses, sender, params['helo'])

    def on_error(entry, exc):
        return dict(domain=entry[0], failed=True, status='error', msg='%s SPF: unexpected error: %s' % (entry[0], exc),
                    expected=entry[2], result='', results={}, reasons={}, lookups={}, record='')

    checks = run_concurrently(work, entries, params['workers'], on_error)
    failures = collect_failures(checks, 'domain')
    result = dict(changed=False, checks=checks, failures=failures, msg=summarize(checks, failures, 'domains'))
    if params['domain'] is not None:
        result['result'] = checks[0]['result']
    return result, bool(failures)
