#!/usr/bin/env python
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmarks of mailops.sendmail against the podman lab, side by side in one run.

Run through bench/run.sh, which sets up the machine, brings up the lab
($MAILOPS_LAB, default "bench", at 198.51.100.$MAILOPS_LAB_BASE/27, default 96)
with ns1, mx1, outsider, fleet01..fleet20 and bigmx, and removes it on exit.

Cases (each repeated BENCH_RUNS times, interleaved so that a busy machine slows
every case of one round alike; the table shows medians and ratios of medians):

  1  no-op     playbooks/site.yml re-run on the configured mx1 (0 changed) / a
               playbook that only gathers facts on mx1                 target <= 3x
  2  fleet     site.yml converge (fresh containers) and re-converge on 1, 5
               and 20 hosts at forks 25: seconds per host, 20/1 ratio   target <= 4x
  2r ratio     a no-op site.yml on the 20 converged fleet hosts / a facts-only
               play on the same 20 hosts, in wall time and in controller CPU
               per host (the machine's CPU less the lab hosts' own)  targets <= 3x
               with the tasks per host; the same for the no-op of BENCH_BEFORE
               (default 3830005, the last commit before the one-pass roles and
               the lab on ssh) from a git worktree, run in the same rounds; and,
               with no target, bench/floor.yml (the least any converge does:
               facts, 2 host calls, the outsider, 1 local task) and
               bench/floor-roles.yml (the fewest tasks one role per concern
               allows: facts, 1 validation, 3 role calls, the outsider, the DNS
               check) against the same facts-only play
  3  maps      20,000 entries each in access, virtusertable, aliases on bigmx:
               (a) the role applying one changed entry, (b) its no-op re-run,
               (c) the raw path: podman cp of the three files + makemap/newaliases
               with podman exec, (d) a per-entry lineinfile loop (1,000 entries)
               targets: a <= 1.3 b, a <= 15 c, per entry a >= 300x faster than d
  4  memory    peak RSS of the controller (ansible-playbook, its workers and the
               ssh clients they run) during case 3, and of sendmail on bigmx
  5  dns       bench/dns_bench.py --json: mx_verify on 2,000 domains / a bare
               sequential dnspython loop against the same NSD        target <= 2x;
               spf_verify and dmarc_verify / loops asking the same queries (reported)

Then one extra run of the costly cases with ansible.posix.profile_tasks, whose
slowest tasks are printed under the table and stored in the JSON.

Environment: BENCH_RUNS (default 3), BENCH_QUICK=1 (smoke run: 1 and 5 hosts,
500-entry maps, 20 lineinfile entries, 200 DNS domains), BENCH_MAP_ENTRIES,
BENCH_LINEINFILE_ENTRIES, BENCH_DNS_DOMAINS, BENCH_PROFILE=0 (skip the profiles),
BENCH_CASES=fleet,dns (run only these of noop, maps, lineinfile, fleet, ratio, transport, memory, dns,
profiles; transport re-runs the 1- and 20-host re-converge with an ssh connection per command).
The fleet rows also show the CPU the whole machine spent per run: spread over its
CPUs, that is the least time the 20 hosts can take ("floor"), whatever Ansible does.
Results: a table on stdout, JSON and every command's log under bench/results/.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / 'bench'
RESULTS = BENCH / 'results'
LAB = os.environ.get('MAILOPS_LAB', 'bench')
BASE = int(os.environ.get('MAILOPS_LAB_BASE', '96'))
LAB_DOMAIN = 'example.test'
PREFIX = '198.51.100'
INVENTORY = ['-i', 'lab/inventory', '-i', 'bench/inventory']
FORKS = '25'
QUICK = os.environ.get('BENCH_QUICK', '') not in ('', '0')
RUNS = int(os.environ.get('BENCH_RUNS', '3'))
MAP_ENTRIES = int(os.environ.get('BENCH_MAP_ENTRIES', '500' if QUICK else '20000'))
LINEINFILE_ENTRIES = int(os.environ.get('BENCH_LINEINFILE_ENTRIES', '20' if QUICK else '1000'))
DNS_DOMAINS = int(os.environ.get('BENCH_DNS_DOMAINS', '200' if QUICK else '2000'))
PROFILE = os.environ.get('BENCH_PROFILE', '1') not in ('', '0')
FLEET = ['fleet%02d' % i for i in range(1, 21)]
FLEET_OFFSET = dict((name, 8 + i) for i, name in enumerate(FLEET, 1))
FLEET_SIZES = (1, 5) if QUICK else (1, 5, 20)
ALL_CASES = ('noop', 'maps', 'lineinfile', 'fleet', 'ratio', 'transport', 'memory', 'dns', 'profiles')
# Case 2r compares this checkout's no-op on the 20 fleet hosts with the same playbook of another commit
# (a git worktree of it, made under bench/results/), side by side in each round. Empty: this checkout only.
BEFORE = os.environ.get('BENCH_BEFORE', '3830005')
CASES = set(c.strip() for c in os.environ.get('BENCH_CASES', ','.join(ALL_CASES)).split(',') if c.strip())
BIG = 'bigmx'
RAW_DIR = '/var/lib/mailops-bench-raw'     # root-only: sendmail refuses world-writable paths
LINEINFILE_PATH = '/var/tmp/mailops-bench-lineinfile'
PAGE_KB = os.sysconf('SC_PAGE_SIZE') // 1024

LOADS = []          # [playbook label, 1-minute load average when it ended]
STAMP = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
LOGS = RESULTS / ('logs-' + STAMP)
DATA = RESULTS / 'data'
MAPS_INVENTORY = DATA / 'maps-inventory'   # an extra inventory source: host_vars/bigmx.json with the maps


class BenchError(Exception):
    pass


# --------------------------------------------------------------------------
# running commands: wall time, CPU time, peak memory
# --------------------------------------------------------------------------

def _proc_table():
    """{pid: (ppid, comm)} of every process on the machine."""
    table = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry, 'rb') as handle:
                stat = handle.read().decode('utf-8', 'replace')
        except OSError:
            continue
        comm = stat[stat.find('(') + 1:stat.rfind(')')]
        table[int(entry)] = (int(stat[stat.rfind(')') + 2:].split()[1]), comm)
    return table


def _tree_rss(root):
    """(KB of RSS summed over root and its descendants, the same without podman/conmon)."""
    table = _proc_table()
    children = {}
    for pid, (ppid, _comm) in table.items():
        children.setdefault(ppid, []).append(pid)
    total = ansible = 0
    todo = [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            with open('/proc/%d/statm' % pid) as handle:
                rss = int(handle.read().split()[1]) * PAGE_KB
        except (OSError, IndexError, ValueError):
            continue
        total += rss
        if table.get(pid, (0, ''))[1] not in ('podman', 'conmon', 'runc'):
            ansible += rss
    return total, ansible


def machine_cpu_seconds():
    """CPU seconds used by the whole machine so far (every process: controller, podman, containers)."""
    with open('/proc/stat') as stat:
        fields = stat.readline().split()[1:]
    busy = sum(int(v) for i, v in enumerate(fields[:8]) if i not in (3, 4))     # all but idle and iowait
    return busy / os.sysconf('SC_CLK_TCK')


def lab_cgroups():
    """The CPU accounting files of the lab's running containers (cgroup v1 cpuacct or v2 cpu.stat)."""
    ids = subprocess.run(['podman', 'ps', '-q', '--no-trunc', '--filter', 'label=mailops.lab=%s' % LAB],
                         capture_output=True, text=True, check=False).stdout.split()
    paths = []
    for cid in ids:
        for candidate in ('/sys/fs/cgroup/cpuacct/libpod_parent/libpod-%s/cpuacct.usage' % cid,
                          '/sys/fs/cgroup/cpu,cpuacct/libpod_parent/libpod-%s/cpuacct.usage' % cid,
                          '/sys/fs/cgroup/libpod_parent/libpod-%s/cpu.stat' % cid,
                          '/sys/fs/cgroup/machine.slice/libpod-%s.scope/cpu.stat' % cid):
            if os.path.exists(candidate):
                paths.append(candidate)
                break
    return paths


def cgroups_cpu_seconds(paths):
    """CPU seconds the processes of these cgroups used so far (a container removed since counts 0)."""
    total = 0.0
    for path in paths:
        try:
            text = Path(path).read_text()
        except OSError:
            continue
        if path.endswith('cpuacct.usage'):
            total += int(text) / 1e9
        else:
            total += int(re.search(r'usage_usec (\d+)', text).group(1)) / 1e6
    return total


class Result:
    def __init__(self, label, cmd, wall, cpu, maxrss_kb, tree_peak_kb, ansible_peak_kb, log, machine_cpu=0.0,
                 hosts_cpu=None):
        self.label, self.cmd, self.wall, self.cpu = label, cmd, wall, cpu
        self.machine_cpu, self.hosts_cpu = machine_cpu, hosts_cpu
        self.maxrss_kb, self.tree_peak_kb, self.ansible_peak_kb, self.log = maxrss_kb, tree_peak_kb, ansible_peak_kb, log
        self.text = log.read_text(errors='replace')
        self.recap = parse_recap(self.text)

    def changed(self):
        return sum(counts.get('changed', 0) for counts in self.recap.values())


def run(label, cmd, env=None, sample=False, stdin=None, check=True, cgroups=None):
    """Run cmd (a list), log its output to LOGS/<label>.log, time it.
    sample=True samples the RSS of its process tree every 0.1 s; cgroups (lab_cgroups()) adds the
    CPU those containers used meanwhile."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log = LOGS / (re.sub(r'[^A-Za-z0-9_.-]+', '_', label) + '.log')
    full_env = dict(os.environ)
    full_env.update(env or {})
    tree_peak = ansible_peak = 0
    with open(log, 'w') as out:
        out.write('$ %s\n' % ' '.join(cmd))
        out.flush()
        start, start_cpu = time.perf_counter(), machine_cpu_seconds()
        start_hosts = cgroups_cpu_seconds(cgroups) if cgroups else None
        proc = subprocess.Popen(cmd, cwd=str(REPO), env=full_env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=stdin if stdin is not None else subprocess.DEVNULL)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if sample:
                total, ansible = _tree_rss(proc.pid)
                tree_peak, ansible_peak = max(tree_peak, total), max(ansible_peak, ansible)
            time.sleep(0.1 if sample else 0.02)
        wall, machine_cpu = time.perf_counter() - start, machine_cpu_seconds() - start_cpu
        hosts_cpu = cgroups_cpu_seconds(cgroups) - start_hosts if cgroups else None
        proc.returncode = os.waitstatus_to_exitcode(status)
    result = Result(label, cmd, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss,
                    tree_peak, ansible_peak, log, machine_cpu, hosts_cpu)
    if check and proc.returncode != 0:
        tail = result.text.splitlines()[-40:]
        print('\nFAILED (rc %d): %s\n--- last lines of %s:\n%s\n---' % (
            proc.returncode, ' '.join(cmd), log, '\n'.join(tail)), file=sys.stderr)
        if 'does not listen on' in result.text:
            print('HINT: the load average is %.0f; sendmail closes its listening sockets while it exceeds '
                  'RefuseLA (bench/inventory/group_vars/mail_servers.yml raises it for the bench hosts)'
                  % os.getloadavg()[0], file=sys.stderr)
        raise BenchError('%s failed (log %s)' % (label, log.relative_to(REPO)))
    result.rc = proc.returncode
    return result


def parse_recap(text):
    recap = {}
    for line in text.split('PLAY RECAP', 1)[-1].splitlines() if 'PLAY RECAP' in text else []:
        match = re.match(r'^(\S+)\s+:\s+(ok=.*)$', line)
        if match:
            recap[match.group(1)] = dict((k, int(v)) for k, v in re.findall(r'(\w+)=(\d+)', match.group(2)))
    return recap


def playbook(label, path, limit, extra=(), sample=False, profile=False, forks=FORKS, env_extra=None, cgroups=None):
    env = {'ANSIBLE_NOCOLOR': '1', 'ANSIBLE_STDOUT_CALLBACK': 'ansible.builtin.default'}
    env.update(env_extra or {})
    if profile:
        env.update(ANSIBLE_CALLBACKS_ENABLED='ansible.posix.profile_tasks', PROFILE_TASKS_TASK_OUTPUT_LIMIT='all')
    cmd = ['ansible-playbook'] + INVENTORY + [path, '-l', limit, '-f', forks] + list(extra)
    try:
        result = run(label, cmd, env=env, sample=sample, cgroups=cgroups)
    finally:
        LOADS.append([label, round(os.getloadavg()[0], 1)])
    failed = dict((h, c) for h, c in result.recap.items() if c.get('failed') or c.get('unreachable'))
    if failed or not result.recap:
        raise BenchError('%s: failed hosts %s (log %s)' % (label, failed, result.log))
    return result


def podman(*args, check=True, label=None):
    return run(label or 'podman-' + '-'.join(a for a in args[:2]), ['podman'] + list(args), check=check)


# --------------------------------------------------------------------------
# lab and data
# --------------------------------------------------------------------------

def recreate(hosts):
    """Fresh containers for hosts (lab/lab.sh host: the same options, key and known_hosts as lab.sh up)."""
    run('recreate-' + '-'.join(hosts[:1] + hosts[-1:]), ['bash', 'lab/lab.sh', 'host']
        + ['%s=%d' % (h, FLEET_OFFSET[h]) for h in hosts])


def before_checkout(commit):
    """A checkout of commit (a detached git worktree under RESULTS) with the collection linked where
    Ansible finds it; the environment that makes ansible-playbook use that collection."""
    sha = subprocess.run(['git', 'rev-parse', '--short', commit], cwd=str(REPO), capture_output=True, text=True,
                         check=True).stdout.strip()
    tree = RESULTS / ('before-' + sha)
    if not (tree / 'playbooks' / 'site.yml').exists():
        subprocess.run(['git', 'worktree', 'add', '--force', '--detach', str(tree), sha], cwd=str(REPO),
                       capture_output=True, check=True)
    link = tree / '.cache' / 'collections' / 'ansible_collections' / 'mailops' / 'sendmail'
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink():
        link.symlink_to(tree)
    return sha, tree, {'ANSIBLE_COLLECTIONS_PATH': str(tree / '.cache' / 'collections')}


def tasks_per_host(result):
    """The tasks each host ran or skipped (ok + changed + skipped + failed of the recap), the median host."""
    counts = [sum(c.get(k, 0) for k in ('ok', 'changed', 'skipped', 'failed')) for c in result.recap.values()]
    return statistics.median(counts) if counts else 0


def map_data(entries):
    """Policy for bigmx: `entries` each in access, virtusertable and aliases, in the host layer."""
    connect = ['Connect:%s.%d' % (PREFIX, i) for i in range(192, 256)][:max(0, entries // 10)]
    access = [{'key': key, 'action': 'OK'} for key in connect]
    access += [{'key': 'From:user%d@%s' % (i, LAB_DOMAIN), 'action': 'REJECT' if i % 2 else 'OK'}
               for i in range(entries - len(access))]
    virtusertable = [{'address': 'user%d@%s' % (i, LAB_DOMAIN), 'target': 'alias%d' % i} for i in range(entries)]
    aliases = [{'name': 'alias%d' % i, 'members': ['root']} for i in range(entries)]
    return access, virtusertable, aliases


def write_data(entries):
    """Two host_vars files for bigmx that differ in one access entry, and the raw map files.
    The one of the current version is copied to MAPS_INVENTORY/host_vars/bigmx.json before each run:
    an admin keeps such maps in host_vars (read once per run), not in extra vars (which
    ansible-core 2.19 parses twice and deep-copies, ~6 s per 3.2 MB)."""
    DATA.mkdir(parents=True, exist_ok=True)
    access, virtusertable, aliases = map_data(entries)
    files = []
    for version in (0, 1):
        changed = [dict(e) for e in access]
        if version:
            changed[-1]['action'] = 'OK' if changed[-1]['action'] == 'REJECT' else 'REJECT'
        path = DATA / ('maps-%d-v%d.json' % (entries, version))
        path.write_text(json.dumps({'sendmail_host_access': changed, 'sendmail_host_virtusertable': virtusertable,
                                    'sendmail_host_aliases': aliases}))
        files.append(path)
    raw = DATA / ('raw-%d' % entries)
    raw.mkdir(exist_ok=True)
    (raw / 'access').write_text(''.join('%s\t%s\n' % (e['key'], e['action']) for e in access))
    (raw / 'virtusertable').write_text(''.join('%s\t%s\n' % (e['address'], e['target']) for e in virtusertable))
    (raw / 'aliases').write_text(''.join('%s: %s\n' % (a['name'], ','.join(a['members'])) for a in aliases))
    return files, raw


# --------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------

def raw_path(label, raw):
    """(c): the three files pushed with podman cp, rebuilt with makemap/newaliases via podman exec."""
    container = '%s-%s' % (LAB, BIG)
    start = time.perf_counter()
    for name in ('access', 'virtusertable', 'aliases'):
        podman('cp', str(raw / name), '%s:%s/%s' % (container, RAW_DIR, name), label='%s-cp-%s' % (label, name))
    for name in ('access', 'virtusertable'):
        podman('exec', container, 'sh', '-c', 'makemap hash %s/%s < %s/%s' % (RAW_DIR, name, RAW_DIR, name),
               label='%s-makemap-%s' % (label, name))
    podman('exec', container, '/usr/sbin/sendmail', '-bi', '-oA%s/aliases' % RAW_DIR, label='%s-newaliases' % label)
    return time.perf_counter() - start


MAXRSS_PY = ("import resource,subprocess,sys; p=subprocess.run(sys.argv[1:],capture_output=True); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)")


def container_maxrss(host, label, *cmd):
    """Peak RSS (KB) of one command run inside a lab container."""
    result = podman('exec', '%s-%s' % (LAB, host), 'python3', '-c', MAXRSS_PY, *cmd, label=label)
    kb, _rc = result.text.splitlines()[-1].split()
    return int(kb)


def sendmail_daemon_kb(host):
    """(VmHWM, VmRSS) in KB of the sendmail daemon on a lab host."""
    script = ('pid=$(head -n1 /run/sendmail/mta/sendmail.pid); '
              'grep -E "^Vm(HWM|RSS):" /proc/$pid/status')
    result = podman('exec', '%s-%s' % (LAB, host), 'sh', '-c', script, label='sendmail-status-' + host)
    values = dict(re.findall(r'(Vm\w+):\s+(\d+) kB', result.text))
    return int(values['VmHWM']), int(values['VmRSS'])


def profile_lines(text):
    """[(task, seconds)] from the profile_tasks summary."""
    rows = []
    for line in text.split('TASKS RECAP', 1)[-1].splitlines():
        match = re.match(r'^(.*?) -+ (\d+\.\d+)s$', line.strip())
        if match:
            rows.append((match.group(1), float(match.group(2))))
    return rows


def summarize_profile(rows):
    controller_markers = ('Validating arguments', 'Merge the base', 'Refuse', 'Fail ', 'Load the names',
                          'Apply configuration changes', 'Validate the ')
    total = sum(s for _t, s in rows)
    slow = [(t, s) for t, s in rows if s >= 0.3]
    return dict(total=round(total, 2), tasks=len(rows), tasks_over_0_3s=len(slow),
                controller_side=round(sum(s for t, s in rows if any(m in t for m in controller_markers)), 2),
                top=[[t, s] for t, s in rows[:12]])


def main():
    if RUNS < 1:
        raise SystemExit('BENCH_RUNS must be 1 or more (3 or more for medians)')
    RESULTS.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    times = {}              # case -> [seconds per run]
    extra = {}              # case -> [other per-run figures]
    expect = []             # runs whose change count disagrees with what the case needs
    failures = []           # cases that failed (their log tail was printed); the run goes on
    state = dict(big_version=0, rnd=0)

    def note(case, value):
        times.setdefault(case, []).append(value)

    def more(key, value):
        extra.setdefault(key, []).append(value)

    def say(text):
        print('[%6.0fs] %s' % (time.perf_counter() - t0, text), flush=True)

    def attempt(name, func, case=None):
        if case and case not in CASES:
            return
        try:
            func()
        except BenchError as exc:
            failures.append('round %d, %s: %s' % (state['rnd'], name, exc))
            say('  %s FAILED: %s' % (name, exc))

    def check_changed(result, want_zero):
        if (result.changed() == 0) != want_zero:
            expect.append('%s: changed=%d' % (result.label, result.changed()))

    big_files, raw = write_data(MAP_ENTRIES)
    (MAPS_INVENTORY / 'host_vars').mkdir(parents=True, exist_ok=True)
    (MAPS_INVENTORY / 'hosts.yml').write_text('# bench/bench.py: the host_vars of %s below\nall:\n  hosts:\n    %s: {}\n'
                                              % (BIG, BIG))

    def big(label, **kwargs):
        shutil.copyfile(big_files[state['big_version']], MAPS_INVENTORY / 'host_vars' / (BIG + '.json'))
        return playbook(label, 'playbooks/site.yml', BIG, ['-i', str(MAPS_INVENTORY)], **kwargs)

    say('lab %s at %s.%d/27: prepare (NSD zones with the bench hosts, mailbox users)' % (LAB, PREFIX, BASE))
    playbook('prepare', 'lab/prepare.yml', 'ns1,mx1,%s' % BIG)
    podman('exec', '%s-%s' % (LAB, BIG), 'sh', '-c', 'mkdir -p -m 0700 %s' % RAW_DIR)
    say('initial converge: mx1, and %s with %d entries per map' % (BIG, MAP_ENTRIES))
    playbook('converge-mx1', 'playbooks/site.yml', 'mx1')
    if CASES & {'maps', 'lineinfile', 'memory', 'profiles'}:
        extra['converge_big_first'] = round(big('converge-bigmx').wall, 2)

    def case_noop():
        facts = playbook('r%d-facts-mx1' % state['rnd'], 'bench/facts.yml', 'mx1')
        noop = playbook('r%d-noop-mx1' % state['rnd'], 'playbooks/site.yml', 'mx1')
        check_changed(noop, True)
        note('facts', facts.wall)
        note('noop', noop.wall)
        say('  1: facts %.1f s, no-op site.yml %.1f s' % (facts.wall, noop.wall))

    def case_maps():
        rnd = state['rnd']
        seconds = raw_path('r%d-raw' % rnd, raw)
        note('raw', seconds)
        state['big_version'] = 1 - state['big_version']
        change = big('r%d-maps-change' % rnd, sample=True)
        check_changed(change, False)
        same = big('r%d-maps-noop' % rnd, sample=True)
        check_changed(same, True)
        note('change', change.wall)
        note('same', same.wall)
        for res in (change, same):
            more('controller_tree_peak_kb', res.tree_peak_kb)
            more('controller_ansible_peak_kb', res.ansible_peak_kb)
            more('controller_largest_process_kb', res.maxrss_kb)
            more('controller_cpu_s', round(res.cpu, 2))
        say('  3: change %.1f s, no-op %.1f s, raw %.2f s' % (change.wall, same.wall, seconds))

    def case_lineinfile():
        lif = playbook('r%d-lineinfile' % state['rnd'], 'bench/lineinfile.yml', BIG,
                       ['-e', 'bench_lineinfile_count=%d' % LINEINFILE_ENTRIES,
                        '-e', 'bench_lineinfile_path=%s' % LINEINFILE_PATH])
        note('lineinfile', lif.wall)
        say('  3: lineinfile x%d %.1f s' % (LINEINFILE_ENTRIES, lif.wall))

    def case_fleet(size, hosts):
        rnd, limit = state['rnd'], ','.join(hosts)
        cgroups = lab_cgroups()     # every lab host: the fleet, the outsider's probes, ns1's answers

        def site(key, want_zero, **kwargs):
            """site.yml on the hosts; its wall time under key, its CPU figures under key_*."""
            res = playbook('r%d-fleet%d-%s' % (rnd, size, kwargs.pop('label')), 'playbooks/site.yml', limit,
                           cgroups=cgroups, **kwargs)
            check_changed(res, want_zero)
            note(key, res.wall)
            more(key + '_cpu_s', round(res.cpu, 2))
            more(key + '_machine_cpu_s', round(res.machine_cpu, 2))
            if res.hosts_cpu is not None:
                more(key + '_hosts_cpu_s', round(res.hosts_cpu, 2))
            return res

        conv = site('conv%d' % size, False, label='converge', sample=(size == max(FLEET_SIZES)))
        if size == max(FLEET_SIZES):
            more('fleet_controller_tree_peak_kb', conv.tree_peak_kb)
        reconv = site('reconv%d' % size, True, label='reconverge')
        say('  2: %2d host(s): converge %.1f s, re-converge %.1f s' % (size, conv.wall, reconv.wall))
        if 'transport' in CASES and size in (1, max(FLEET_SIZES)):
            # The same re-converge with an ssh connection per command (no ControlPersist master).
            direct = site('reconv%d_direct' % size, True, label='reconverge-direct',
                          extra=['-e', json.dumps({'ansible_ssh_args': '-o ControlMaster=no'})])
            say('  2: %2d host(s): re-converge with an ssh connection per command %.1f s' % (size, direct.wall))

    before = before_checkout(BEFORE) if BEFORE and 'ratio' in CASES else None

    def case_ratio():
        """2r: a no-op site.yml on the 20 fleet hosts against a facts-only play on the same hosts, for this
        checkout and (BENCH_BEFORE) for the commit before the one-pass redesign, one after the other."""
        rnd, limit = state['rnd'], ','.join(FLEET)
        cgroups = lab_cgroups()
        runs = [('facts', 'bench/facts.yml', None), ('floor', 'bench/floor.yml', None),
                ('least', 'bench/floor-roles.yml', None), ('after', 'playbooks/site.yml', None)]
        if before:
            runs.append(('before', str(before[1] / 'playbooks' / 'site.yml'), before[2]))
        figures = []
        for name, path, env in runs:
            if name in ('after', 'before'):
                # The two versions write different files (the mc gained FEATURE(mailertable) since), so each
                # first converges the hosts to its own state; the run measured after it is the no-op.
                playbook('r%d-ratio-%s-converge' % (rnd, name), path, limit, env_extra=env)
            res = playbook('r%d-ratio-%s' % (rnd, name), path, limit, cgroups=cgroups, env_extra=env)
            if name in ('after', 'before'):
                check_changed(res, True)
            note('ratio_' + name, res.wall)
            more('ratio_%s_controller_cpu_s' % name, round(res.machine_cpu - (res.hosts_cpu or 0), 2))
            more('ratio_%s_tasks_per_host' % name, tasks_per_host(res))
            figures.append('%s %.1f s' % (name, res.wall))
        say('  2r: 20 hosts: %s' % ', '.join(figures))

    for rnd in range(1, RUNS + 1):
        state['rnd'] = rnd
        say('round %d/%d' % (rnd, RUNS))
        attempt('1 no-op', case_noop, 'noop')
        attempt('3 maps', case_maps, 'maps')
        attempt('3 lineinfile', case_lineinfile, 'lineinfile')
        # 2: every converge starts from fresh containers.
        if 'fleet' in CASES:
            recreate(FLEET)
        done = 0
        for size in FLEET_SIZES if 'fleet' in CASES else ():
            if done + size > len(FLEET):        # reuse the first hosts: fresh containers for those used
                recreate(FLEET[:done])
                done = 0
            hosts = FLEET[done:done + size]
            attempt('2 fleet %d' % size, lambda size=size, hosts=hosts: case_fleet(size, hosts), 'fleet')
            done += size
        if 'ratio' in CASES:
            # Case 2 leaves the 20 hosts converged when it ran on 20; else they are converged here.
            if ('fleet' in CASES and max(FLEET_SIZES) < len(FLEET)) or ('fleet' not in CASES and rnd == 1):
                attempt('2r converge', lambda: playbook('r%d-ratio-converge' % rnd, 'playbooks/site.yml',
                                                        ','.join(FLEET)))
            attempt('2r fleet no-op vs facts', case_ratio, 'ratio')
        more('load_average', [round(v, 2) for v in os.getloadavg()])

    # 4: sendmail's memory on the host, with the large maps (bigmx) and the lab's own (mx1).
    say('4: sendmail memory')
    memory = {}

    def case_memory():
        for host in (BIG, 'mx1'):
            hwm, rss = sendmail_daemon_kb(host)
            memory[host] = dict(
                daemon_hwm_kb=hwm, daemon_rss_kb=rss,
                bv_lookup_maxrss_kb=container_maxrss(host, 'maxrss-bv-' + host, '/usr/sbin/sendmail', '-bv',
                                                     'user%d@%s' % (MAP_ENTRIES // 2, LAB_DOMAIN)))
        memory[BIG]['newaliases_maxrss_kb'] = container_maxrss(BIG, 'maxrss-newaliases', '/usr/sbin/sendmail',
                                                               '-bi', '-oA%s/aliases' % RAW_DIR)
        memory[BIG]['makemap_maxrss_kb'] = container_maxrss(
            BIG, 'maxrss-makemap', 'sh', '-c', 'makemap hash %s/access < %s/access' % (RAW_DIR, RAW_DIR))
    attempt('4 memory', case_memory, 'memory')

    # 5: DNS.
    say('5: bench/dns_bench.py --domains %d --runs %d --json' % (DNS_DOMAINS, max(3, RUNS)))
    dns = {}

    def case_dns():
        result = run('dns-bench', [sys.executable, str(BENCH / 'dns_bench.py'), '--domains', str(DNS_DOMAINS),
                                   '--runs', str(max(3, RUNS)), '--json'])
        dns.update(json.loads(result.text[result.text.index('{'):]))
    attempt('5 dns', case_dns, 'dns')

    # Profiles of the costly cases (one extra run each, not part of the medians).
    profiles = {}
    if PROFILE and 'profiles' in CASES:
        say('profiles (ansible.posix.profile_tasks)')
        top = max(FLEET_SIZES)

        def case_profiles():
            logs = {}
            logs['noop'] = playbook('profile-noop-mx1', 'playbooks/site.yml', 'mx1', profile=True)
            logs['facts'] = playbook('profile-facts-mx1', 'bench/facts.yml', 'mx1', profile=True)
            state['big_version'] = 1 - state['big_version']
            logs['change'] = big('profile-maps-change', profile=True)
            logs['same'] = big('profile-maps-noop', profile=True)
            logs['reconv%d' % top] = playbook('profile-fleet%d-reconverge' % top, 'playbooks/site.yml',
                                              ','.join(FLEET[:top]), profile=True)
            for key, res in logs.items():
                profiles[key] = summarize_profile(profile_lines(res.text))
        attempt('profiles', case_profiles)

    more('load1_after', LOADS)
    config = dict(runs=RUNS, quick=QUICK, map_entries=MAP_ENTRIES, lineinfile_entries=LINEINFILE_ENTRIES,
                  fleet_sizes=list(FLEET_SIZES), dns_domains=DNS_DOMAINS, stamp=STAMP, lab=LAB, base=BASE,
                  cpus=os.cpu_count(), cases=sorted(CASES), before=before[0] if before else '')
    saved = dict(config=config, times=times, extra=extra, memory=memory, dns=dns, profiles=profiles, expect=expect,
                 failures=failures, elapsed=time.perf_counter() - t0)
    (LOGS / 'state.json').write_text(json.dumps(saved, indent=1))   # bench.py --report FILE re-prints it
    report(**saved)
    return 1 if failures else 0


def median(values):
    return statistics.median(values)


def report(config, times, extra, memory, dns, profiles, expect, elapsed, failures=()):
    runs, quick, stamp = config['runs'], config['quick'], config['stamp']
    map_entries, lineinfile_entries = config['map_entries'], config['lineinfile_entries']
    fleet_sizes = tuple(config['fleet_sizes'])
    m = dict((k, median(v)) for k, v in times.items() if v)
    rows = []       # (case, figure, ratio text, target, met or None)

    def row(case, figure, ratio='', target='', met=None):
        rows.append((case, figure, ratio, target, met))

    def ratio_row(case, num, den, fmt, target, limit, figure='', invert=False):
        """A row whose ratio is m[num] / m[den] (or the reverse with invert), compared with limit."""
        if num not in m or den not in m:
            row(case, figure or 'failed', 'n/a', target, False)
            return
        value = m[den] / m[num] if invert else m[num] / m[den]
        row(case, figure, fmt % value, target, value >= limit if invert else value <= limit)

    def secs(key, fmt='%.1f s'):
        return fmt % m[key] if key in m else 'failed'

    cases = set(config.get('cases') or ALL_CASES)      # rows of the cases that ran (BENCH_CASES)
    if 'noop' in cases:
        ratio_row('1 no-op site.yml on mx1 (0 changed)', 'noop', 'facts', '%.1fx facts', '<= 3x', 3, secs('noop'))
        row('1 facts-only playbook on mx1', secs('facts'))
    for kind, name in (('conv', 'converge'), ('reconv', 're-converge')) if 'fleet' in cases else ():
        for size in fleet_sizes:
            key = '%s%d' % (kind, size)
            figure = '%.1f s (%.1f s/host)' % (m[key], m[key] / size) if key in m else 'failed'
            case = '2 fleet %s, %d host%s' % (name, size, 's' if size > 1 else '')
            if size == 1:
                row(case, figure)
            else:
                ratio_row(case, key, '%s1' % kind, '%.1fx 1 host', '<= 4x' if size == 20 else '', 4, figure)
                if size != 20:
                    rows[-1] = rows[-1][:3] + ('', None)
    # What the fleet target is up against on this machine: the CPU the whole machine spent (controller,
    # podman, the hosts' own work), spread over its CPUs, is the least time N hosts can take.
    cpus = config.get('cpus') or os.cpu_count()
    top = max(fleet_sizes)
    for kind, name in (('conv', 'converge'), ('reconv', 're-converge')):
        one, many = extra.get('%s1_machine_cpu_s' % kind), extra.get('%s%d_machine_cpu_s' % (kind, top))
        if one and many and '%s1' % kind in m and top > 1:
            floor = median(many) / cpus / m['%s1' % kind]
            row('2 fleet %s: machine CPU, 1 / %d hosts' % (name, top),
                '%.1f / %.1f CPU-s (%.1f / host)' % (median(one), median(many), median(many) / top),
                'floor %.1fx' % floor, '(%d CPUs)' % cpus)
        hosts = extra.get('%s%d_hosts_cpu_s' % (kind, top))
        if many and hosts and '%s1' % kind in m and top > 1:
            # Hosts elsewhere (a real fleet): only the controller's side would share the controller's CPUs.
            controller = median(many) - median(hosts)
            row('2 fleet %s, %d hosts: controller side / lab hosts' % (name, top),
                '%.1f / %.1f CPU-s (%.2f / %.2f per host)' % (controller, median(hosts), controller / top,
                                                              median(hosts) / top),
                'floor %.1fx' % (controller / cpus / m['%s1' % kind]), 'hosts elsewhere')
        key = '%s%d_cpu_s' % (kind, top)
        if extra.get(key):
            row('2 fleet %s: ansible-playbook and its children, %d hosts' % (name, top),
                '%.1f CPU-s (%.2f / host)' % (median(extra[key]), median(extra[key]) / top))
    for size in (1, top):
        key = 'reconv%d_direct' % size
        if key in m and 'reconv%d' % size in m:
            cpu_note = ''
            if extra.get(key + '_machine_cpu_s') and extra.get('reconv%d_machine_cpu_s' % size):
                cpu_note = ', %.1f vs %.1f CPU-s' % (median(extra[key + '_machine_cpu_s']),
                                                     median(extra['reconv%d_machine_cpu_s' % size]))
            row('2 re-converge, %d host%s: an ssh connection per command vs ControlPersist' % (size, 's' if size > 1 else ''),
                '%.1f s vs %.1f s%s' % (m[key], m['reconv%d' % size], cpu_note),
                '%.2fx' % (m[key] / m['reconv%d' % size]))
    # 2r: the fleet against itself (20 hosts sharing the machine's CPUs with the controller in both plays).
    fleet_n = len(FLEET)
    # No target: how close to the facts-only play two converges with no work in them come, the skeleton of any
    # (bench/floor.yml) and the fewest tasks one role per concern allows (bench/floor-roles.yml, 7 per host).
    for name, label, what in (('floor', '2r skeleton', 'bench/floor.yml: facts, 2 host calls, the outsider, 1 local task'),
                              ('least', '2r least design',
                               'bench/floor-roles.yml: facts, validation, 3 role calls, the outsider, DNS')):
        key = 'ratio_' + name
        if key not in m or 'ratio_facts' not in m:
            continue
        row('%s (%s), vs facts-only' % (label, what), '%.1f s vs %.1f s' % (m[key], m['ratio_facts']),
            '%.1fx facts' % (m[key] / m['ratio_facts']))
        mine, facts = extra.get(key + '_controller_cpu_s'), extra.get('ratio_facts_controller_cpu_s')
        if mine and facts:
            row(label + ', controller CPU per host, vs facts-only', '%.2f vs %.2f CPU-s' % (
                median(mine) / fleet_n, median(facts) / fleet_n), '%.1fx facts' % (median(mine) / median(facts)))
    for name, label in (('after', 'this checkout'), ('before', 'before (%s)' % config.get('before', ''))):
        key = 'ratio_' + name
        if key not in m or 'ratio_facts' not in m:
            continue
        ratio_row('2r no-op site.yml, %d hosts, %s, vs facts-only on them' % (fleet_n, label), key, 'ratio_facts',
                  '%.1fx facts', '<= 3x', 3, '%.1f s vs %.1f s' % (m[key], m['ratio_facts']))
        mine, facts = extra.get(key + '_controller_cpu_s'), extra.get('ratio_facts_controller_cpu_s')
        if mine and facts:
            per, per_facts = median(mine) / fleet_n, median(facts) / fleet_n
            row('2r controller CPU per host, %s, vs facts-only' % label, '%.2f vs %.2f CPU-s' % (per, per_facts),
                '%.1fx facts' % (per / per_facts), '<= 3x', per / per_facts <= 3)
        tasks = extra.get(key + '_tasks_per_host')
        if tasks:
            row('2r tasks per host, %s' % label, '%d' % median(tasks))
    entries = map_entries * 3
    if 'maps' in cases:
        ratio_row('3a role: one changed entry, %d x 3 maps' % map_entries, 'change', 'same', '%.2fx (b)',
                  '<= 1.3x (b)', 1.3, secs('change'))
        ratio_row('3a (same run) vs the raw path (c)', 'change', 'raw', '%.0fx (c)', '<= 15x (c)', 15)
        row('3b role: no-op re-run, same data', secs('same'))
        row('3c raw: podman cp x3 + makemap x2 + newaliases', secs('raw', '%.2f s'))
    if 'lineinfile' in cases:
        row('3d lineinfile loop, %d entries' % lineinfile_entries,
            '%.1f s (%.3f s/entry)' % (m['lineinfile'], m['lineinfile'] / lineinfile_entries)
            if 'lineinfile' in m else 'failed')
    if 'change' in m and 'lineinfile' in m:
        per_a, per_d = m['change'] / entries, m['lineinfile'] / lineinfile_entries
        row('3 per entry: role (a) vs lineinfile (d)', '%.2f ms vs %.0f ms' % (per_a * 1000, per_d * 1000),
            '%.0fx faster' % (per_d / per_a), '>= 300x', per_d / per_a >= 300)
    elif cases >= {'maps', 'lineinfile'}:
        row('3 per entry: role (a) vs lineinfile (d)', 'failed', 'n/a', '>= 300x', False)
    if extra.get('controller_tree_peak_kb'):
        row('4 controller peak RSS, case 3 (tree / ansible only)', '%.0f MB / %.0f MB' % (
            median(extra['controller_tree_peak_kb']) / 1024, median(extra['controller_ansible_peak_kb']) / 1024))
        row('4 controller largest single process, case 3', '%.0f MB' % (
            median(extra['controller_largest_process_kb']) / 1024))
    if extra.get('fleet_controller_tree_peak_kb'):
        row('4 controller peak RSS, %d-host converge (tree)' % max(fleet_sizes),
            '%.0f MB' % (median(extra['fleet_controller_tree_peak_kb']) / 1024))
    if memory.get(BIG) and memory.get('mx1'):
        row('4 sendmail daemon peak RSS, bigmx / mx1', '%.1f MB / %.1f MB' % (
            memory[BIG]['daemon_hwm_kb'] / 1024, memory['mx1']['daemon_hwm_kb'] / 1024))
        row('4 sendmail -bv lookup peak RSS, bigmx / mx1', '%.1f MB / %.1f MB' % (
            memory[BIG]['bv_lookup_maxrss_kb'] / 1024, memory['mx1']['bv_lookup_maxrss_kb'] / 1024))
        row('4 newaliases / makemap, %d entries, peak RSS' % map_entries, '%.1f MB / %.1f MB' % (
            memory[BIG]['newaliases_maxrss_kb'] / 1024, memory[BIG]['makemap_maxrss_kb'] / 1024))
    if dns:
        dr = dns['ratio_ansible_to_loop']
        row('5 DNS: mx_verify, %d domains, one ansible call' % dns['domains'], '%.2f s' % dns['seconds']['ansible'],
            '%.2fx loop' % dr, '<= 2x', dr <= 2)
        row('5 DNS: bare sequential dnspython loop', '%.2f s' % dns['seconds']['loop'])
        row('5 DNS: verify_domains() alone / ansible start-up', '%.2f s / %.2f s' % (
            dns['seconds']['function'], dns['seconds']['startup']), '%.2fx loop' % dns['ratio_function_to_loop'])
        row('5 DNS: spf_verify, %d domains, one ansible call / its loop' % dns['domains'], '%.2f s / %.2f s' % (
            dns['seconds']['spf'], dns['seconds']['spf-loop']), '%.2fx loop' % dns['ratio_spf_to_loop'])
        row('5 DNS: dmarc_verify, %d domains, one ansible call / its loop' % dns['domains'], '%.2f s / %.2f s' % (
            dns['seconds']['dmarc'], dns['seconds']['dmarc-loop']), '%.2fx loop' % dns['ratio_dmarc_to_loop'])
    elif 'dns' in cases:
        row('5 DNS: mx_verify / dnspython loop', 'failed', 'n/a', '<= 2x', False)

    widths = [max(len(str(r[i])) for r in rows + [('case', 'figure', 'ratio', 'target', '')]) for i in range(4)]
    line = '%%-%ds  %%-%ds  %%-%ds  %%-%ds  %%s' % tuple(widths)
    print()
    print('mailops.sendmail benchmarks: median of %d run(s), %s, lab %s at %s.%d/27, %.0f min' % (
        runs, 'QUICK smoke run' if quick else 'full', config['lab'], PREFIX, config['base'], elapsed / 60))
    print(line % ('case', 'figure', 'ratio', 'target', 'result'))
    print(line % (tuple('-' * w for w in widths) + ('------',)))
    for case, figure, ratio, target, met in rows:
        print(line % (case, figure, ratio, target, '' if met is None else ('met' if met else 'NOT MET')))
    if expect:
        print('\nWARNING: unexpected change counts: %s' % '; '.join(expect))
    if failures:
        print('\nFAILED cases (their figures are left out of the medians): %s' % '; '.join(failures))
    for name, prof in profiles.items():
        print('\nprofile %s: %d tasks, %.1f s summed (%d over 0.3 s; controller-side tasks %.1f s); slowest:' % (
            name, prof['tasks'], prof['total'], prof['tasks_over_0_3s'], prof['controller_side']))
        for task, seconds in prof['top'][:6]:
            print('  %6.2f s  %s' % (seconds, task))

    git = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=str(REPO), capture_output=True, text=True,
                         check=False)
    dirty = subprocess.run(['git', 'status', '--short', '--', 'roles', 'plugins', 'playbooks', 'lab'],
                           cwd=str(REPO), capture_output=True, text=True, check=False)
    out = dict(
        stamp=stamp, quick=quick, runs=runs, lab=config['lab'], base=config['base'], minutes=round(elapsed / 60, 1),
        git=git.stdout.strip(), dirty=dirty.stdout.split('\n') if dirty.stdout.strip() else [],
        sizes=dict(map_entries=map_entries, lineinfile_entries=lineinfile_entries, fleet=list(fleet_sizes),
                   dns_domains=config['dns_domains']),
        seconds=dict((k, round(v, 3)) for k, v in m.items()),
        all_runs=dict((k, [round(x, 3) for x in v]) for k, v in times.items()),
        extra=extra, memory=memory, dns=dns, profiles=profiles, unexpected_changes=expect, failures=list(failures),
        table=[dict(case=c, figure=f, ratio=r, target=t, met=x) for c, f, r, t, x in rows],
        logs=str(LOGS.relative_to(REPO)))
    path = RESULTS / ('bench-%s.json' % stamp)
    path.write_text(json.dumps(out, indent=2) + '\n')
    shutil.copyfile(path, RESULTS / 'latest.json')
    print('\nJSON: %s (logs: %s)' % (path.relative_to(REPO), LOGS.relative_to(REPO)))


if __name__ == '__main__':
    try:
        if sys.argv[1:2] == ['--report']:    # re-print the table of a finished run: --report LOGS/state.json
            LOGS = Path(sys.argv[2]).resolve().parent
            report(**json.loads(Path(sys.argv[2]).read_text()))
        else:
            sys.exit(main())
    except BenchError as exc:
        raise SystemExit('bench: %s' % exc)
