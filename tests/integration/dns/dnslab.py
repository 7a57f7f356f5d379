# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test lab of the DNS modules: a real NSD on 127.0.0.1 with the test zones, and helpers
that run Ansible for real (ansible-playbook with the JSON callback, ad-hoc ansible)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
COLLECTIONS = REPO / '.cache' / 'collections'
BIN = Path(sys.executable).parent
NSD = shutil.which('nsd') or '/usr/sbin/nsd'

# Addresses from the documentation ranges; nothing is ever sent to them.
MAIL4 = '198.51.100.10'
BACKUP4 = '198.51.100.11'
OTHER4 = '198.51.100.99'
MAIL6 = '2001:db8::10'

FORWARD_ZONE = """\
$ORIGIN dnstest.test.
$TTL 300
@           SOA   ns.dnstest.test. hostmaster.dnstest.test. 1 3600 600 86400 300
@           NS    ns
ns          A     127.0.0.1
mail        A     198.51.100.10
mail        AAAA  2001:db8::10
mail4       A     198.51.100.10
backup      A     198.51.100.11
other       A     198.51.100.99
two         A     198.51.100.10
two         A     198.51.100.99
both        A     198.51.100.10
both        A     198.51.100.11
noaddr      TXT   "a name without address records"
alias       CNAME mail4
deadalias   CNAME nowhere
v6only      AAAA  2001:db8::10
; mail domains
good        MX    10 mail4
wrong       MX    10 other
multi       MX    30 other
multi       MX    10 mail4
multi       MX    20 backup
cnamemx     MX    10 alias
nullmx      MX    0 .
ipmx        MX    10 198.51.100.10.
implicit    A     198.51.100.10
implicitbad A     198.51.100.99
nomail      TXT   "no MX and no address"
danglingmx  MX    10 nowhere
partmx      MX    10 two
mx6         MX    10 v6only
aliasdom    CNAME good
; SPF and DMARC of the mail domains the role test uses (nullmx has no SPF record)
good        TXT   "v=spf1 mx -all"
multi       TXT   "v=spf1 mx -all"
_dmarc      TXT   "v=DMARC1; p=none; rua=mailto:dmarc@dnstest.test"
; delegated to a server that does not exist: the answer is a referral
deleg       NS    ns.deleg
ns.deleg    A     127.0.0.1
"""

REVERSE4_ZONE = """\
$ORIGIN 100.51.198.in-addr.arpa.
$TTL 300
@   SOA ns.dnstest.test. hostmaster.dnstest.test. 1 3600 600 86400 300
@   NS  ns.dnstest.test.
10  PTR mail.dnstest.test.
11  PTR backup.dnstest.test.
20  PTR other.dnstest.test.
21  PTR nowhere.dnstest.test.
"""

REVERSE6_ZONE = """\
$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.
$TTL 300
@   SOA ns.dnstest.test. hostmaster.dnstest.test. 1 3600 600 86400 300
@   NS  ns.dnstest.test.
0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0  PTR mail.dnstest.test.
"""

# The mail-authentication records (spf_verify, dkim_verify, dmarc_verify, dnsbl_verify): one name per
# case. The DKIM key records hold keys made for each test session (auth_zone()).
_A4 = ' '.join(['a:other.auth.test'] * 4)
AUTH_ZONE = """\
$ORIGIN auth.test.
$TTL 300
@              SOA   ns.dnstest.test. hostmaster.dnstest.test. 1 3600 600 86400 300
@              NS    ns.dnstest.test.
mail           A     198.51.100.10
mail           AAAA  2001:db8::10
other          A     198.51.100.99
; SPF: pass in every way, then each other result
spf-ip         TXT   "v=spf1 ip4:198.51.100.10 ip6:2001:db8::10 -all"
spf-ip         TXT   "an unrelated TXT record"
spf-a          TXT   "v=spf1 a:other.auth.test a:mail.auth.test -all"
spf-mx         MX    10 mail
spf-mx         TXT   "v=spf1 mx -all"
spf-cidr       TXT   "v=spf1 a:other.auth.test/24//32 -all"
spf-include    TXT   "v=spf1 include:spf-fail.auth.test include:_spf.auth.test -all"
_spf           TXT   "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8::/32 -all"
spf-redirect   TXT   "v=spf1 redirect=_spf.auth.test"
spf-ptr        TXT   "v=spf1 ptr:dnstest.test -all"
spf-exists     TXT   "v=spf1 exists:%{ir}.%{v}._spf.auth.test -all"
10.100.51.198.in-addr._spf A 127.0.0.2
spf-long       TXT   ( "v=spf1 ip4:198.51.100.99 ip4:198.51.100.98 ip4:198.51.100.97 ip4:198.51.100.96 ip4:198.51.100.95 "
                       "ip4:198.51.100.10 ip6:2001:db8::10 -all" )
spf-fail       TXT   "v=spf1 ip4:198.51.100.99 -all"
spf-softfail   TXT   "v=spf1 ip4:198.51.100.99 ~all"
spf-neutral    TXT   "v=spf1 ip4:198.51.100.99 ?all"
spf-default    TXT   "v=spf1 ip4:198.51.100.99"
spf-none       TXT   "no SPF here"
spf-two        TXT   "v=spf1 ip4:198.51.100.10 -all"
spf-two        TXT   "v=spf1 -all"
spf-badip      TXT   "v=spf1 ip4:198.51.100.300 -all"
spf-unknown    TXT   "v=spf1 ip4:198.51.100.10 frobnicate:x -all"
spf-badmacro   TXT   "v=spf1 exists:%{z}.auth.test -all"
spf-incnone    TXT   "v=spf1 include:spf-none.auth.test -all"
spf-redirnone  TXT   "v=spf1 redirect=spf-none.auth.test"
; 1 (include) + 5 (in _lim5) + 4 = 10 lookups: pass; one more: permerror
_lim5          TXT   "v=spf1 a:other.auth.test a:other.auth.test a:other.auth.test a:other.auth.test a:other.auth.test -all"
spf-ten        TXT   "v=spf1 include:_lim5.auth.test {a4} ip4:198.51.100.10 -all"
spf-limit      TXT   "v=spf1 include:_lim5.auth.test include:_lim5.auth.test ip4:198.51.100.10 -all"
spf-void       TXT   "v=spf1 a:nx1.auth.test a:nx2.auth.test a:nx3.auth.test ip4:198.51.100.10 -all"
spf-servfail   TXT   "v=spf1 include:broken.test ip4:198.51.100.10 -all"
; DMARC
_dmarc         TXT   "v=DMARC1; p=quarantine; sp=none; pct=50; rua=mailto:dmarc@auth.test,mailto:agg@report.test!10m; ruf=mailto:ruf@auth.test"
_dmarc.strict  TXT   "v=DMARC1; p=reject; rua=mailto:dmarc@auth.test"
strict         MX    10 mail
_dmarc.weak    TXT   "v=DMARC1; p=none"
_dmarc.badp    TXT   "v=DMARC1; p=block"
_dmarc.nop     TXT   "v=DMARC1; rua=mailto:dmarc@auth.test"
_dmarc.notfirst TXT  "p=reject; v=DMARC1"
_dmarc.badpct  TXT   "v=DMARC1; p=reject; pct=150"
_dmarc.baduri  TXT   "v=DMARC1; p=reject; rua=dmarc@auth.test"
_dmarc.two     TXT   "v=DMARC1; p=reject"
_dmarc.two     TXT   "v=DMARC1; p=none"
_dmarc.other   TXT   "not a DMARC record"
""".replace('{a4}', _A4)
# An organizational domain without any DMARC record.
NODMARC_ZONE = """\
$ORIGIN nodmarc.test.
$TTL 300
@    SOA ns.dnstest.test. hostmaster.dnstest.test. 1 3600 600 86400 300
@    NS  ns.dnstest.test.
@    MX  10 mail.auth.test.
sub  MX  10 mail.auth.test.
"""
# A DNS blocklist (RFC 5782): 198.51.100.10 is listed, with a reason; .12 gets the answer a list
# gives when it refuses the query; the rest is not listed.
BL_ZONE = """\
$ORIGIN bl.test.
$TTL 300
@    SOA ns.dnstest.test. hostmaster.dnstest.test. 1 3600 600 86400 300
@    NS  ns.dnstest.test.
2.0.0.127          A    127.0.0.2
10.100.51.198      A    127.0.0.2
10.100.51.198      A    127.0.0.4
10.100.51.198      TXT  "listed: spam seen from 198.51.100.10, see https://bl.test/lookup"
12.100.51.198      A    127.255.255.254
"""
DKIM_SELECTORS = ('sel1', 'ed', 'revoked', 'badb64', 'badk', 'badv', 'twice', 'notakey')


def auth_zone(rsa_p, ed_p):
    """AUTH_ZONE with the DKIM key records for a session's keys (base64 p= values; the RSA one is
    longer than one TXT string may be, so it is split in two, as opendkim-genkey writes it)."""
    half = len(rsa_p) // 2
    return AUTH_ZONE + '\n'.join([
        '; DKIM',
        'sel1._domainkey     TXT "v=DKIM1; h=sha256; k=rsa; " "p=%s" "%s"' % (rsa_p[:half], rsa_p[half:]),
        'ed._domainkey       TXT "v=DKIM1; k=ed25519; p=%s"' % ed_p,
        'revoked._domainkey  TXT "v=DKIM1; k=rsa; p="',
        'badb64._domainkey   TXT "v=DKIM1; k=rsa; p=not*base64!"',
        'badk._domainkey     TXT "v=DKIM1; k=dsa; p=%s"' % ed_p,
        'badv._domainkey     TXT "v=DKIM2; k=rsa; p=%s"' % ed_p,
        'twice._domainkey    TXT "v=DKIM1; k=ed25519; p=%s"' % ed_p,
        'twice._domainkey    TXT "v=DKIM1; k=ed25519; p="',
        'notakey._domainkey  TXT "v=DKIM1; k=rsa; p=%s"' % ed_p,
    ]) + '\n'


ZONES = {
    'dnstest.test': FORWARD_ZONE,
    '100.51.198.in-addr.arpa': REVERSE4_ZONE,
    '8.b.d.0.1.0.0.2.ip6.arpa': REVERSE6_ZONE,
    # Configured, but its file does not load: NSD answers SERVFAIL for it.
    'broken.test': 'this is not a zone file\n',
}

# The names of the documented examples (the modules' EXAMPLES and docs/dns.md), served by a
# second NSD (test_dns_examples.py). Two mail servers: mail.example.org (198.51.100.10,
# 2001:db8::10) and mx2.example.org (198.51.100.11); the other names are what the examples
# show failing.
_SOA = '@ SOA ns.example.org. hostmaster.example.org. 1 3600 600 86400 300\n@ NS ns.example.org.\n'
EXAMPLE_ZONES = {
    'example.org': '$ORIGIN example.org.\n$TTL 300\n' + _SOA + """\
ns          A     127.0.0.1
@           MX    10 mail
mail        A     198.51.100.10
mail        AAAA  2001:db8::10
mx2         A     198.51.100.11
www         A     198.51.100.10
www         A     198.51.100.99
multi       MX    10 mail
multi       MX    20 mx.other.example.
moved       MX    10 mx.other.example.
shop        A     198.51.100.10
host-only   A     198.51.100.10
host-only   AAAA  2001:db8::10
@           TXT   "v=spf1 mx ip4:198.51.100.11 -all"
_dmarc      TXT   "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.org"
brisbane._domainkey TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
old._domainkey TXT "v=DKIM1; p="
""",
    'example.net': '$ORIGIN example.net.\n$TTL 300\n' + _SOA + '@ MX 0 .\n',
    'other.example': '$ORIGIN other.example.\n$TTL 300\n' + _SOA + 'mx A 198.51.100.99\n',
    'isp.example': '$ORIGIN isp.example.\n$TTL 300\n' + _SOA + 'host-12 A 198.51.100.12\n',
    '100.51.198.in-addr.arpa': '$ORIGIN 100.51.198.in-addr.arpa.\n$TTL 300\n' + _SOA + """\
10  PTR mail.example.org.
11  PTR mx2.example.org.
12  PTR host-12.isp.example.
""",
    '8.b.d.0.1.0.0.2.ip6.arpa': '$ORIGIN 8.b.d.0.1.0.0.2.ip6.arpa.\n$TTL 300\n' + _SOA + (
        '0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0  PTR mail.example.org.\n'),
    # a DNS blocklist listing 198.51.100.12
    'bl.example': '$ORIGIN bl.example.\n$TTL 300\n' + _SOA + (
        '12.100.51.198 A 127.0.0.2\n12.100.51.198 TXT "spam source"\n'),
    # Configured, but its file does not load: NSD answers SERVFAIL for it.
    'broken.example': 'this is not a zone file\n',
}

NSD_CONF = """\
server:
  ip-address: 127.0.0.1
  port: {port}
  username: ""
  chroot: ""
  zonesdir: "{dir}"
  pidfile: "{dir}/nsd.pid"
  xfrdfile: "{dir}/xfrd.state"
  xfrdir: "{dir}"
  zonelistfile: "{dir}/zone.list"
  database: ""
  logfile: "{dir}/nsd.log"
  server-count: 1
  verbosity: 1
  hide-version: yes
  rrl-ratelimit: 0
remote-control:
  control-enable: no
"""


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _attempt in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(('127.0.0.1', 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(('127.0.0.1', port))
                except OSError:
                    continue
                return port
    raise RuntimeError('no free port on 127.0.0.1')


class Nsd:
    """NSD on 127.0.0.1, on a free port, serving ``zones`` (``{zone name: zone file text}``)
    from ``workdir``; ready once it answers for the SOA of the first zone. Also used by
    bench/dns_bench.py."""

    def __init__(self, workdir, zones, ready_timeout=15):
        self.dir = Path(workdir)
        self.port = free_port()
        conf = NSD_CONF.format(port=self.port, dir=self.dir)
        for zone, text in zones.items():
            (self.dir / (zone + '.zone')).write_text(text)
            conf += 'zone:\n  name: "%s"\n  zonefile: "%s.zone"\n' % (zone, zone)
        (self.dir / 'nsd.conf').write_text(conf)
        self.proc = subprocess.Popen([NSD, '-d', '-c', str(self.dir / 'nsd.conf')],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self._wait_ready(next(iter(zones)), ready_timeout)

    def _wait_ready(self, zone, timeout):
        import dns.message
        import dns.query
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('nsd exited with %s: %s' % (self.proc.returncode, self.log()))
            try:
                response = dns.query.udp(dns.message.make_query(zone + '.', 'SOA'), '127.0.0.1',
                                         port=self.port, timeout=0.3)
                if response.answer:
                    return
            except Exception:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError('nsd did not answer on port %d: %s' % (self.port, self.log()))

    def log(self):
        path = self.dir / 'nsd.log'
        return path.read_text() if path.exists() else ''

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def ansible_env(**extra):
    env = dict(os.environ)
    for key in list(env):
        if key.startswith('ANSIBLE_'):
            del env[key]
    env.update(
        ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'),
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_NOCOLOR='1',
        ANSIBLE_FORCE_COLOR='0',
        ANSIBLE_RETRY_FILES_ENABLED='0',
        ANSIBLE_DEPRECATION_WARNINGS='0',
        PATH='%s:%s' % (BIN, env.get('PATH', '')),
    )
    env.update(extra)
    return env


# The Python that runs the modules; DNSTEST_TARGET_PYTHON=/usr/bin/python3 runs them with
# another dnspython, e.g. Debian 12's python3-dnspython (2.3) as on the targets.
TARGET_PYTHON = os.environ.get('DNSTEST_TARGET_PYTHON', '{{ ansible_playbook_python }}')
LOCAL_INVENTORY = 'localhost ansible_connection=local ansible_python_interpreter=%s\n' % TARGET_PYTHON


def run_playbook(tmp_path, plays, inventory=LOCAL_INVENTORY, extra_args=()):
    """Write plays (a list) to a playbook, or take a playbook path, and run it with ansible-playbook
    and the JSON callback; return (parsed output, completed process)."""
    if isinstance(plays, (str, Path)):
        playbook = Path(plays)
    else:
        playbook = tmp_path / 'playbook.yml'
        playbook.write_text(json.dumps(plays, indent=1))
    inv = tmp_path / 'inventory'
    inv.write_text(inventory if isinstance(inventory, str) else json.dumps(inventory, indent=1))
    proc = subprocess.run(
        [str(BIN / 'ansible-playbook'), '-i', str(inv), str(playbook)] + list(extra_args),
        env=ansible_env(ANSIBLE_STDOUT_CALLBACK='ansible.posix.json'),
        capture_output=True, text=True, timeout=300, cwd=str(REPO), check=False,
    )
    try:
        output = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError('ansible-playbook printed no JSON (rc %s):\n%s\n%s' % (
            proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
    return output, proc


def task_results(output, host='localhost'):
    """``{task name: result}`` for one host over all plays."""
    results = {}
    for play in output['plays']:
        for task in play['tasks']:
            if host in task['hosts']:
                results[task['task']['name']] = task['hosts'][host]
    return results
