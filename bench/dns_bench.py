#!/usr/bin/env python
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of mailops.sendmail.mx_verify, spf_verify and dmarc_verify against bare dnspython loops.

Starts its own NSD on 127.0.0.1 (random free port, rrl-ratelimit: 0) serving a zone
with N mail domains (default 2,000), each with an MX to its own host that has an A
record, an SPF record (v=spf1 mx -all) and a DMARC record, then measures, side by side
(median of --runs runs each):

  loop      a bare sequential dnspython loop: Resolver.resolve(domain, MX), then
            Resolver.resolve(exchange, A), per domain
  loop-raw  the same loop with dns.query.udp (what the module uses underneath)
  ansible   `ansible localhost -m mailops.sendmail.mx_verify` verifying all N domains
            in one call (includes Ansible's own start-up, measured alone as 'startup')
  function  the module's verify_domains() called directly, without Ansible
  startup   `ansible localhost -m ansible.builtin.ping`: Ansible's fixed cost
  spf-loop  the same queries as spf_verify, in a bare loop: TXT, MX, then A, per domain
  spf       `ansible localhost -m mailops.sendmail.spf_verify`, all N domains in one call
  dmarc-loop  the TXT record of _dmarc.<domain> in a bare loop, per domain
  dmarc     `ansible localhost -m mailops.sendmail.dmarc_verify`, all N domains in one call

Usage: .venv/bin/python bench/dns_bench.py [--domains 2000] [--runs 3] [--json]
Only loopback is queried. Needs nsd (apt-get install nsd) and the collection linked
at .cache/collections (scripts/setup.sh).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / 'tests' / 'integration' / 'dns'))
import dnslab  # noqa: E402  (the NSD of the DNS integration tests)

COLLECTIONS = REPO / '.cache' / 'collections'
BIN = Path(sys.executable).parent
ADDRESS = '198.51.100.10'
ZONE = 'bench.test'
SPF = 'v=spf1 mx -all'
DMARC = 'v=DMARC1; p=reject; rua=mailto:dmarc@bench.test'


def domain_names(count):
    return ['d%05d.%s' % (i, ZONE) for i in range(count)]


def zone_text(count):
    lines = ['$ORIGIN %s.' % ZONE, '$TTL 300',
             '@ SOA ns hostmaster 1 3600 600 86400 300', '@ NS ns', 'ns A 127.0.0.1']
    for i in range(count):
        lines.append('d%05d MX 10 mx%05d' % (i, i))
        lines.append('mx%05d A %s' % (i, ADDRESS))
        lines.append('d%05d TXT "%s"' % (i, SPF))
        lines.append('_dmarc.d%05d TXT "%s"' % (i, DMARC))
    return '\n'.join(lines) + '\n'


def start_nsd(count):
    """NSD serving the bench zone: the one of the DNS integration tests (dnslab.Nsd)."""
    workdir = tempfile.mkdtemp(prefix='dns-bench-nsd-')
    try:
        return dnslab.Nsd(workdir, {ZONE: zone_text(count)}, ready_timeout=30)
    except RuntimeError as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        raise SystemExit(str(exc))


def bench_loop(port, domains):
    """The bare sequential loop a user would write with dnspython's stub resolver."""
    import dns.resolver
    resolver = dns.resolver.Resolver(configure=False)
    resolver.port = port
    resolver.nameservers = ['127.0.0.1']
    resolver.lifetime = 5
    ok = 0
    for domain in domains:
        for mx in resolver.resolve(domain + '.', 'MX'):
            addresses = [a.address for a in resolver.resolve(mx.exchange, 'A')]
            ok += ADDRESS in addresses
    assert ok == len(domains), ok


def _resolver(port):
    import dns.resolver
    resolver = dns.resolver.Resolver(configure=False)
    resolver.port = port
    resolver.nameservers = ['127.0.0.1']
    resolver.lifetime = 5
    return resolver


def _texts(answer):
    return [b''.join(r.strings).decode() for r in answer]


def bench_spf_loop(port, domains):
    """What spf_verify asks for `v=spf1 mx -all`, in a bare loop: the TXT record, the MX, the exchange's A."""
    resolver = _resolver(port)
    ok = 0
    for domain in domains:
        records = [t for t in _texts(resolver.resolve(domain + '.', 'TXT')) if t.startswith('v=spf1 ')]
        assert records == [SPF], records
        hosts = [mx.exchange for mx in resolver.resolve(domain + '.', 'MX')]
        ok += any(ADDRESS in [a.address for a in resolver.resolve(host, 'A')] for host in hosts)
    assert ok == len(domains), ok


def bench_dmarc_loop(port, domains):
    """What dmarc_verify asks, in a bare loop: the TXT record of _dmarc.<domain>."""
    resolver = _resolver(port)
    ok = 0
    for domain in domains:
        records = [t for t in _texts(resolver.resolve('_dmarc.%s.' % domain, 'TXT')) if t.startswith('v=DMARC1')]
        ok += records == [DMARC] and 'p=reject' in records[0]
    assert ok == len(domains), ok


def bench_loop_raw(port, domains):
    """The same loop on dns.query.udp, without the stub resolver's bookkeeping."""
    import dns.message
    import dns.query
    ok = 0
    for domain in domains:
        response = dns.query.udp(dns.message.make_query(domain + '.', 'MX'), '127.0.0.1', timeout=5, port=port)
        for mx in response.answer[0]:
            answer = dns.query.udp(dns.message.make_query(mx.exchange, 'A'), '127.0.0.1', timeout=5, port=port)
            ok += ADDRESS in [a.address for a in answer.answer[0]]
    assert ok == len(domains), ok


def _ansible_env():
    env = dict(os.environ)
    env.update(ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'), ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
               ANSIBLE_NOCOLOR='1', PATH='%s:%s' % (BIN, env.get('PATH', '')))
    return env


def _ansible(module, args, inventory):
    proc = subprocess.run([str(BIN / 'ansible'), 'localhost', '-i', inventory, '-o', '-m', module, '-a', args],
                          env=_ansible_env(), capture_output=True, text=True, cwd=str(REPO), check=False)
    if proc.returncode != 0:
        raise SystemExit('ansible failed (rc %d): %s %s' % (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:]))
    return proc.stdout


def bench_ansible(port, domains, inventory, workers):
    args = json.dumps(dict(domains=domains, expected=[ADDRESS], nameservers=['127.0.0.1'], port=port,
                           timeout=5, retries=1, workers=workers))
    out = _ansible('mailops.sendmail.mx_verify', args, inventory)
    result = json.loads(out.partition(' => ')[2])
    assert result['msg'] == 'all %d domains verified' % len(domains), result['msg']


def bench_auth_ansible(module, port, domains, inventory, workers, **extra):
    args = dict(domains=domains, nameservers=['127.0.0.1'], port=port, timeout=5, retries=1, workers=workers)
    args.update(extra)
    out = _ansible('mailops.sendmail.' + module, json.dumps(args), inventory)
    result = json.loads(out.partition(' => ')[2])
    assert result['msg'] == 'all %d domains verified' % len(domains), result['msg']


def bench_startup(inventory):
    _ansible('ansible.builtin.ping', '', inventory)


def bench_function(port, domains, workers):
    if str(COLLECTIONS) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS))
    from ansible_collections.mailops.sendmail.plugins.module_utils import _dns
    from ansible_collections.mailops.sendmail.plugins.module_utils import _mx_verify as mx_verify
    client = _dns.DnsClient(nameservers=['127.0.0.1'], port=port, timeout=5, retries=1)
    checks, failures = mx_verify.verify_domains(client, domains, _dns.parse_addresses([ADDRESS]), workers=workers)
    assert not failures and len(checks) == len(domains), list(failures.items())[:3]


def measure(func):
    """Wall-clock seconds and CPU seconds (this process and its finished children) of one run."""
    import resource
    before = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    func()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(a.ru_utime - b.ru_utime + a.ru_stime - b.ru_stime for a, b in zip(after, before))
    return wall, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--domains', type=int, default=2000)
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--workers', type=int, default=16, help='workers option of mx_verify (default 16)')
    parser.add_argument('--json', action='store_true', help='print the results as JSON')
    opts = parser.parse_args()
    if opts.runs < 3:
        parser.error('--runs must be 3 or more (the medians need it)')

    domains = domain_names(opts.domains)
    server = start_nsd(opts.domains)
    workdir = Path(tempfile.mkdtemp(prefix='dns-bench-'))
    inventory = workdir / 'inventory'
    inventory.write_text('localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
    try:
        bench_function(server.port, domains[:10], opts.workers)  # warm-up: imports, page cache
        rows = [
            ('loop', 'sequential dnspython Resolver loop (MX, then A)',
             lambda: bench_loop(server.port, domains)),
            ('loop-raw', 'sequential dns.query.udp loop (MX, then A)',
             lambda: bench_loop_raw(server.port, domains)),
            ('ansible', 'ansible localhost -m mailops.sendmail.mx_verify, one call',
             lambda: bench_ansible(server.port, domains, str(inventory), opts.workers)),
            ('function', 'mx_verify.verify_domains() directly, no Ansible',
             lambda: bench_function(server.port, domains, opts.workers)),
            ('startup', 'ansible localhost -m ansible.builtin.ping (fixed cost)',
             lambda: bench_startup(str(inventory))),
            ('spf-loop', 'sequential dnspython Resolver loop (TXT, MX, then A)',
             lambda: bench_spf_loop(server.port, domains)),
            ('spf', 'ansible localhost -m mailops.sendmail.spf_verify, one call',
             lambda: bench_auth_ansible('spf_verify', server.port, domains, str(inventory), opts.workers,
                                        addresses=[ADDRESS])),
            ('dmarc-loop', 'sequential dnspython Resolver loop (TXT of _dmarc)',
             lambda: bench_dmarc_loop(server.port, domains)),
            ('dmarc', 'ansible localhost -m mailops.sendmail.dmarc_verify, one call',
             lambda: bench_auth_ansible('dmarc_verify', server.port, domains, str(inventory), opts.workers,
                                        min_policy='reject')),
        ]
        # Interleave the runs so that a busy machine slows every row alike.
        times = dict((key, []) for key, _label, _func in rows)
        cpu = dict((key, []) for key, _label, _func in rows)
        for _run in range(opts.runs):
            for key, _label, func in rows:
                wall, used = measure(func)
                times[key].append(wall)
                cpu[key].append(used)
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)
        shutil.rmtree(workdir, ignore_errors=True)

    median = dict((key, statistics.median(values)) for key, values in times.items())
    median_cpu = dict((key, statistics.median(values)) for key, values in cpu.items())
    result = dict(
        domains=opts.domains, queries_per_run=2 * opts.domains, runs=opts.runs, workers=opts.workers,
        seconds=dict((key, round(value, 3)) for key, value in median.items()),
        cpu_seconds=dict((key, round(value, 3)) for key, value in median_cpu.items()),
        all_runs=dict((key, [round(v, 3) for v in values]) for key, values in times.items()),
        load_average=[round(v, 2) for v in os.getloadavg()],
        ratio_ansible_to_loop=round(median['ansible'] / median['loop'], 2),
        ratio_function_to_loop=round(median['function'] / median['loop'], 2),
        ratio_ansible_minus_startup_to_loop=round((median['ansible'] - median['startup']) / median['loop'], 2),
        cpu_ratio_ansible_to_loop=round(median_cpu['ansible'] / median_cpu['loop'], 2),
        ratio_spf_to_loop=round(median['spf'] / median['spf-loop'], 2),
        ratio_dmarc_to_loop=round(median['dmarc'] / median['dmarc-loop'], 2),
        target='ansible / loop <= 2.0',
    )
    if opts.json:
        print(json.dumps(result, indent=2))
        return
    print('mx_verify benchmark: %d domains (%d queries per run: MX + A each), NSD on 127.0.0.1, '
          'median of %d runs, workers=%d' % (opts.domains, 2 * opts.domains, opts.runs, opts.workers))
    print('%-10s %8s %8s  %s' % ('what', 'seconds', 'cpu s', ''))
    for key, label, _func in rows:
        print('%-10s %8.3f %8.3f  %s' % (key, median[key], median_cpu[key], label))
    print()
    print('ratio ansible/loop  = %.2f  (target <= 2.0; includes Ansible\'s own start-up, %.2f s here)' % (
        result['ratio_ansible_to_loop'], median['startup']))
    print('ratio function/loop = %.2f  (the module\'s work alone)' % result['ratio_function_to_loop'])
    print('ratio spf/spf-loop = %.2f, dmarc/dmarc-loop = %.2f  (each with Ansible\'s start-up)' % (
        result['ratio_spf_to_loop'], result['ratio_dmarc_to_loop']))
    print('cpu ratio ansible/loop = %.2f; load average %s (the machine is shared: wall times vary with it)' % (
        result['cpu_ratio_ansible_to_loop'], ' '.join('%.2f' % v for v in result['load_average'])))


if __name__ == '__main__':
    main()
