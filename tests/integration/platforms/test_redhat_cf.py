# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Red Hat family's sendmail.mc, rendered by the role from an inventory, builds into a sendmail.cf
that sendmail accepts and that does what the inventory says, against sendmail's own cf tree laid out at
Red Hat's path.

No Red Hat package mirror is reachable here, so the cf tree and the binary are Debian's build of the
same upstream sendmail: in a throw-away container of the lab image (no network), Debian's cf tree is
moved to /usr/share/sendmail-cf (nothing stays at Debian's path), /etc/mail is emptied and filled as
the role does on a Red Hat host (the role's files, root's, its helper's build-cf and build-map,
newaliases), and sendmail -bt shows the result: the names of local-host-names in $=w, virtusertable
and mailertable routes, the access map, the relay decision, the local mailer OSTYPE(`linux') gives
(procmail). The Debian mc is built the same way beside it, at Debian's path, as the control.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / 'support'))

from platforms import PLATFORMS, REPO, mc, render  # noqa: E402  pylint: disable=wrong-import-position

HOSTS = ('rhel8', 'rocky9', 'alma10', 'fedora43', 'debian12')
REDHAT = 'rocky9'

SCRIPT = r"""
set -eu
exec 2>&1
cd /work
H=/work/mailops-sendmail
mark() { echo "=== $1"; }

# The control: Debian's mc at Debian's path.
mark debian-check
sh $H check-mc debian.mc feature:dnsbl feature:mailertable text:bl.example.net && echo ok
sh $H build-cf debian.mc /work/debian.cf && grep '^Mlocal' /work/debian.cf

# Red Hat's layout: the cf tree at /usr/share/sendmail-cf only, /etc/mail root's and holding only what
# the role writes (Red Hat's package ships a sendmail.cf, which makemap reads: the mc is built first).
mkdir -p /usr/share/sendmail-cf
cp -a /usr/share/sendmail/cf/. /usr/share/sendmail-cf/
rm -rf /usr/share/sendmail/cf /etc/mail /etc/aliases /etc/aliases.db
install -d -m 0755 -o root -g root /etc/mail
install -m 0600 redhat/access_etc_mail_access /etc/mail/access
for m in virtusertable mailertable local-host-names relay-domains; do
    install -m 0644 "redhat/${m}_etc_mail_${m}" "/etc/mail/$m"
done
install -m 0644 redhat/aliases_etc_aliases /etc/aliases
install -m 0644 redhat/mc_etc_mail_sendmail.mc /etc/mail/sendmail.mc
mark redhat-check
sh $H check-mc /etc/mail/sendmail.mc feature:dnsbl feature:mailertable text:bl.example.net && echo ok
mark redhat-build
sh $H build-cf /etc/mail/sendmail.mc /etc/mail/sendmail.cf feature:dnsbl && echo ok
for m in access virtusertable mailertable; do sh $H build-map hash /etc/mail/$m; done
newaliases -oA/etc/aliases
mark redhat-files
ls -ln /etc/mail/sendmail.cf /etc/mail/access.db /etc/mail/virtusertable.db /etc/mail/mailertable.db /etc/aliases.db
mark redhat-cf
grep -E '^(Mlocal|Kaccess|O AliasFile|Fw|FR|V)' /etc/mail/sendmail.cf
mark redhat-cf-debian
grep -c -i debian /etc/mail/sendmail.cf || true
mark redhat-bt
# Host names from the files only: the container has no network.
printf 'hosts files\naliases files\n' >/work/service.switch
sendmail -bt -C /etc/mail/sendmail.cf -O ServiceSwitchFile=/work/service.switch <<'T'
$=w
/parse sales@example.com
/parse someone@partner.example
/parse postmaster
/map access Connect:192.0.2.10
.D{client_addr}198.51.100.77
.D{client_name}outside.example
Basic_check_rcpt <foo@foreign.example>
.D{client_addr}192.0.2.10
Basic_check_rcpt <foo@foreign.example>
T
"""


def _lab_image():
    return subprocess.run(['bash', '-c', f'. "{REPO}/lab/lib.sh"; echo "$LAB_IMAGE"'], capture_output=True,
                          text=True, check=True).stdout.strip()


def _sections(text):
    out, name = {}, None
    for line in text.splitlines():
        if line.startswith('=== '):
            name = line[4:]
            out[name] = []
        elif name is not None:
            out[name].append(line)
    return out


@pytest.fixture(scope='module')
def built(tmp_path_factory):
    image = _lab_image()
    env = dict(os.environ, CONTAINERS_CONF=str(REPO / 'lab' / 'containers.conf'))
    if not shutil.which('podman') or subprocess.run(['podman', 'image', 'exists', image], env=env,
                                                    check=False).returncode != 0:
        why = f'podman and the lab image {image} are needed (bash lab/image.sh)'
        if os.environ.get('CI'):
            pytest.fail(why)
        pytest.skip(why)
    tmp = tmp_path_factory.mktemp('redhat-cf')
    ansible_env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'),
                       ANSIBLE_COLLECTIONS_PATH=str(REPO / '.cache' / 'collections'),
                       ANSIBLE_STDOUT_CALLBACK='json', ANSIBLE_LOCAL_TEMP=str(tmp / 'ansible-tmp'))
    rendered = render(tmp / 'render', ansible_env, {name: PLATFORMS[name] for name in HOSTS})
    work = tmp / 'work'
    work.mkdir()
    shutil.copytree(tmp / 'render' / 'out' / REDHAT, work / 'redhat')
    (work / 'debian.mc').write_text(mc(rendered['debian12']))
    shutil.copy(REPO / 'roles' / 'sendmail' / 'files' / 'mailops-sendmail', work / 'mailops-sendmail')
    (work / 'build.sh').write_text(SCRIPT)
    name = f"{os.environ.get('MAILOPS_ITEST_LAB', 'mailops')}-cfbuild-{os.getpid()}"
    # The host's FQDN set at creation: sendmail waits a minute for DNS on an unqualified name.
    run = subprocess.run(
        ['podman', 'run', '--rm', '--name', name, '--network', 'none', '--hostname', f'mx.{REDHAT}.example',
         '-v', f'{work}:/work', image, 'sh', '/work/build.sh'],
        env=env, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return rendered, _sections(run.stdout)


def test_every_red_hat_platform_renders_the_same_mc(built):
    rendered, _out = built
    texts = {mc(rendered[name]) for name in HOSTS if PLATFORMS[name][0] == 'RedHat'}
    assert len(texts) == 1
    assert "include(`/usr/share/sendmail-cf/m4/cf.m4')dnl" in texts.pop()


def test_the_debian_control_builds_at_debian_paths(built):
    out = built[1]
    assert out['debian-check'][0] == 'ok'
    assert 'P=/usr/sbin/sensible-mda' in out['debian-check'][1]


def test_the_red_hat_mc_passes_the_roles_checks_and_builds(built):
    out = built[1]
    assert out['redhat-check'] == ['ok']
    assert out['redhat-build'][0] == 'ok'
    # sendmail.cf and the maps the helper built are root's (uid 0, gid 0), as /etc/mail is on a Red Hat host
    # (aliases.db is made by newaliases, here Debian's build, which gives it its own group).
    files = {line.split()[-1]: line.split()[2:4] for line in out['redhat-files']}
    assert set(files) == {'/etc/mail/sendmail.cf', '/etc/mail/access.db', '/etc/mail/virtusertable.db',
                          '/etc/mail/mailertable.db', '/etc/aliases.db'}
    assert all(owner == ['0', '0'] for path, owner in files.items() if path.startswith('/etc/mail/')), files


def test_the_red_hat_cf_has_the_red_hat_mailers_and_paths(built):
    cf = '\n'.join(built[1]['redhat-cf'])
    assert 'Mlocal,\t\tP=/usr/bin/procmail' in cf
    assert 'Kaccess hash -T<TMPF> /etc/mail/access' in cf
    assert 'O AliasFile=/etc/aliases' in cf
    assert 'Fw/etc/mail/local-host-names' in cf
    assert 'FR-o /etc/mail/relay-domains' in cf
    assert built[1]['redhat-cf-debian'] == ['0']


def test_sendmail_runs_the_red_hat_cf_as_the_inventory_says(built):
    bt = built[1]['redhat-bt']
    text = '\n'.join(bt)
    # local-host-names (use_cw_file) feeds $=w
    assert '> example.com' in bt and 'mx.rocky9.example' in bt
    # virtusertable, mailertable, the local mailer
    assert 'mailer local, user alice' in text
    assert 'mailer esmtp, host [relay.partner.example], user someone@partner.example' in text
    assert 'mailer local, user postmaster' in text or 'mailer local, user root' in text
    assert 'map_lookup: access (Connect:192.0.2.10) returns RELAY (0)' in text
    decisions = [line for line in bt if line.startswith('Basic_check_rcpt returns:')]
    assert decisions == ['Basic_check_rcpt returns: $# error $@ 5 . 7 . 1 $: "550 Relaying denied"',
                         'Basic_check_rcpt returns: RELAY']
