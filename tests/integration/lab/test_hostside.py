"""Safety on the host itself (issue #20): the distribution's owners, groups and modes are kept, check
mode works on a fresh host, the helper never follows a symbolic link and proves a built sendmail.cf is
whole, ":include:" list files are never written into unsafe directories, backups are rotated, and a
full disk leaves no partial file behind."""

import re
import shlex
import subprocess

import pytest

HELPER = "/usr/local/sbin/mailops-sendmail"
MC, CF = "/etc/mail/sendmail.mc", "/etc/mail/sendmail.cf"


def _stat(live, *paths, host="mx1"):
    out = live.sh(host, "stat -c '%n %U %G %a' " + " ".join(shlex.quote(p) for p in paths)).stdout
    return {line.split()[0]: tuple(line.split()[1:]) for line in out.splitlines()}


def _leftovers(live, directory="/etc/mail"):
    """Temporary names of the helper and of install_files left in a directory."""
    out = live.sh("mx1", f"ls -A {directory}").stdout.split()
    return [n for n in out if n.startswith(".mailops-sendmail.") or n.endswith(".new") or ".new." in n
            or n.endswith(".restore")]


def _text(res):
    return res.stdout + res.stderr


# -- 2. the distribution's owners, groups and modes ------------------------------------------------

@pytest.mark.releases
def test_distribution_owners_groups_and_modes_are_kept(live):
    """On Debian (the lab image), after the fixture's first converge: the files that existed keep the
    package's owner, group and mode (access root:root 0600, its .db smmta:smmsp 0640, sendmail.mc and
    local-host-names group smmsp); the ones the role made have the package's defaults."""
    found = _stat(live, "/etc/mail/access", "/etc/mail/access.db", MC, CF, "/etc/mail/local-host-names",
                  "/etc/mail/virtusertable", "/etc/mail/virtusertable.db", "/etc/mail/relay-domains",
                  "/etc/aliases", HELPER)
    assert found["/etc/mail/access"] == ("root", "root", "600")
    assert found["/etc/mail/access.db"] == ("smmta", "smmsp", "640")
    assert found[MC] == ("root", "smmsp", "644")
    assert found[CF] == ("root", "smmsp", "644")
    assert found["/etc/mail/local-host-names"] == ("root", "smmsp", "644")
    assert found["/etc/mail/virtusertable"] == ("root", "smmsp", "644")
    # a new .db: makemap's owner (sendmail's TrustedUser), its source's group and mode
    assert found["/etc/mail/virtusertable.db"][1:] == ("smmsp", "644")
    assert found["/etc/mail/relay-domains"] == ("root", "smmsp", "644")
    assert found["/etc/aliases"] == ("root", "root", "644")
    assert found[HELPER] == ("root", "root", "755")


def test_changed_map_keeps_its_modes_and_group_write_is_dropped(live, tmp_path):
    """A new access map keeps root:root 0600 and its .db smmta:smmsp 0640; an administrator's
    owner and group are kept, and a group-writable class file loses only group write (sendmail
    refuses group-writable class files)."""
    live.sh("mx1", "chgrp mail /etc/mail/local-host-names && chmod 0664 /etc/mail/local-host-names")
    hv = live.host_vars("mx1")
    extra = {"sendmail_host_access": hv["sendmail_host_access"] + [
        {"key": "From:modes@bad.example.test", "action": "REJECT"}]}
    live.converge(extra=extra, tmp_path=tmp_path)
    found = _stat(live, "/etc/mail/access", "/etc/mail/access.db", "/etc/mail/local-host-names")
    assert found["/etc/mail/access"] == ("root", "root", "600")
    assert found["/etc/mail/access.db"] == ("smmta", "smmsp", "640")
    assert found["/etc/mail/local-host-names"] == ("root", "mail", "644")
    assert "modes@bad.example.test" in live.sh("mx1", "makemap -u hash /etc/mail/access").stdout
    live.sh("mx1", "chgrp smmsp /etc/mail/local-host-names")
    live.converge()


# -- 1. check mode on a fresh host ---------------------------------------------------------------------

FRESH_SNAPSHOT = ("find /etc /usr/local /var/lib /run /var/spool -xdev -printf '%p %s %m %u %g %T@\\n' 2>/dev/null"
                  " | sort | sha256sum")


@pytest.fixture
def fresh_mx2(live):
    """mx2 as a fresh Debian host: a lab container whose sendmail, m4, make, rsyslog and python3-apt are
    purged (offline: dpkg only) and /etc/mail gone."""
    name = live.container("mx2")
    live.lab("host", "mx2=4")
    try:
        live.sh("mx2", "DEBIAN_FRONTEND=noninteractive apt-get purge -y -q sendmail sendmail-bin sendmail-cf "
                       "sendmail-base sensible-mda m4 make rsyslog python3-apt >/dev/null 2>&1; "
                       "rm -rf /etc/mail; dpkg-query -W -f '${db:Status-Abbrev}' sendmail-bin 2>/dev/null || true",
                timeout=300)
        yield "mx2"
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True, env=live.env, check=False)


@pytest.mark.releases
def test_check_mode_on_a_fresh_host_reports_and_changes_nothing(live, fresh_mx2):
    assert live.sh("mx2", "test -e /etc/mail || test -e /usr/sbin/sendmail", check=False).returncode != 0
    before = live.sh("mx2", FRESH_SNAPSHOT).stdout
    res = live.playbook("playbooks/site.yml", "--limit", "mx2", "--check", "--diff", check=False)
    text = _text(res)
    assert res.returncode == 0, text[-5000:]
    assert "python3-apt must be installed" not in text
    assert re.search(r"would install: sendmail, sendmail-bin, sendmail-cf, m4, make, rsyslog", text), text[-5000:]
    for path in (MC, "/etc/mail/access", "/etc/mail/virtusertable", "/etc/mail/local-host-names",
                 "/srv/mail-lists/everyone"):
        assert f"+++ after: {path}" in text, path
    assert "FEATURE(`dnsbl', `dnsbl.example.test'" in text
    assert live.sh("mx2", FRESH_SNAPSHOT).stdout == before, "check mode changed the host"


# -- 6. a sendmail.cf that lacks what it needs ---------------------------------------------------------

def test_cf_without_the_smtp_mailers_never_goes_live(live, tmp_path):
    """An mc line that makes MAILER() expand to nothing: m4 and sendmail are quiet, the cf has no local,
    prog, smtp, esmtp or relay mailer. The check refuses it and nothing changes."""
    before = live.hashes()
    res = live.converge(extra={"sendmail_mc_extra_lines": ["define(`MAILER', `')dnl"]}, check=False, tmp_path=tmp_path)
    assert res.returncode != 0
    assert "lacks mailer local, mailer prog, mailer smtp, mailer esmtp, mailer relay" in _text(res), _text(res)[-3000:]
    assert live.hashes() == before
    assert live.rcpt_codes("outsider", "mx1", "sales@example.test") == [250]


def test_check_mc_requires_the_features_and_texts_asked_for(live):
    """The helper against the real m4 and sendmail: a FEATURE the mc only mentions (dnl) is missing from
    m4's trace; a text the cf does not hold is missing; the live mc has what the role asks for."""
    live.sh("mx1", f"sed 's/^FEATURE(`virtusertable.*/dnl &/' {MC} > /root/dropped.mc")
    assert "dnl FEATURE(`virtusertable" in live.sh("mx1", "cat /root/dropped.mc").stdout
    ok = live.sh("mx1", f"{HELPER} check-mc {MC} feature:use_cw_file feature:access_db feature:virtusertable "
                        "feature:delay_checks feature:no_default_msa text:Mesmtp", check=False)
    assert ok.returncode == 0, ok.stderr
    res = live.sh("mx1", f"{HELPER} check-mc /root/dropped.mc feature:virtusertable feature:use_cw_file", check=False)
    assert res.returncode == 1 and "lacks FEATURE(virtusertable)" in res.stderr, res.stderr
    assert "use_cw_file" not in res.stderr
    res = live.sh("mx1", f"{HELPER} check-mc {MC} text:bl.nowhere.example.test feature:dnsbl", check=False)
    assert res.returncode == 1
    assert 'lacks the text "bl.nowhere.example.test", FEATURE(dnsbl)' in res.stderr, res.stderr
    res = live.sh("mx1", f"{HELPER} build-cf /root/dropped.mc {CF}.test feature:virtusertable", check=False)
    assert res.returncode == 1 and live.sh("mx1", f"test -e {CF}.test", check=False).returncode != 0
    live.sh("mx1", "rm -f /root/dropped.mc")


# -- 5. the helper never follows a symbolic link -----------------------------------------------------------

def test_helper_refuses_symbolic_links(live):
    """Links planted at the names the helper writes (CF.previous, FILE.db, CF.failed) pointing at a
    file elsewhere: the helper neither writes through them nor replaces them."""
    cf_before = live.hashes()[CF]
    victim = "echo victim > /root/victim-{0}; ln -sfn /root/victim-{0} {1}"
    untouched = "test \"$(cat /root/victim-{0})\" = victim"
    try:
        live.sh("mx1", f"rm -f {CF}.previous; " + victim.format("previous", f"{CF}.previous"))
        res = live.sh("mx1", f"{HELPER} build-cf {MC} {CF}", check=False)
        assert res.returncode == 1 and f"{CF}.previous is a symbolic link" in res.stderr, res.stderr
        assert live.sh("mx1", untouched.format("previous"), check=False).returncode == 0
        assert live.hashes()[CF] == cf_before
        live.sh("mx1", f"rm -f {CF}.previous")

        live.sh("mx1", "mv /etc/mail/access.db /root/access.db.real; " + victim.format("db", "/etc/mail/access.db"))
        res = live.sh("mx1", f"{HELPER} build-map hash /etc/mail/access", check=False)
        assert res.returncode == 1 and "/etc/mail/access.db is a symbolic link" in res.stderr, res.stderr
        assert live.sh("mx1", "test -L /etc/mail/access.db && " + untouched.format("db"), check=False).returncode == 0
        live.sh("mx1", "mv -f /root/access.db.real /etc/mail/access.db")

        # a rollback still happens, but the rejected cf is not written through a planted link
        live.sh("mx1", f"cp -p {CF} {CF}.previous && echo '# broken' >> {CF}; " + victim.format("failed", f"{CF}.failed"))
        res = live.sh("mx1", f"{HELPER} restore-cf {CF}", check=False)
        assert res.returncode == 0, res.stderr
        assert f"{CF}.failed is a symbolic link" in res.stderr
        assert live.sh("mx1", untouched.format("failed"), check=False).returncode == 0
        assert live.hashes()[CF] == cf_before
        live.sh("mx1", f"rm -f {CF}.failed")

        # the ordinary paths: nothing left under a temporary name, the modes of the live files kept
        live.sh("mx1", f"{HELPER} build-cf {MC} {CF} && {HELPER} build-map hash /etc/mail/access")
        assert _leftovers(live) == []
        found = _stat(live, CF, f"{CF}.previous", "/etc/mail/access.db")
        assert found[CF] == found[f"{CF}.previous"] == ("root", "smmsp", "644")
        assert found["/etc/mail/access.db"] == ("smmta", "smmsp", "640")
    finally:
        live.sh("mx1", f"test -L {CF}.previous && rm -f {CF}.previous; test -L {CF}.failed && rm -f {CF}.failed; "
                       "test -e /root/access.db.real && mv -f /root/access.db.real /etc/mail/access.db; "
                       "rm -f /root/victim-*; true", check=False)


# -- 7. ":include:" list files in unsafe places ---------------------------------------------------------

def _list_file(path, members=("alice",), **more):
    return {"sendmail_host_alias_files": [dict(path=path, members=list(members), **more)]}


@pytest.mark.parametrize("setup, path, words", [
    ("mkdir -p /srv/open-lists && chmod 1777 /srv/open-lists", "/srv/open-lists/staff",
     ["/srv/open-lists/staff", "its directory /srv/open-lists is writable by others than root (mode 1777"]),
    ("mkdir -p /srv/group-lists && chgrp mail /srv/group-lists && chmod 0775 /srv/group-lists",
     "/srv/group-lists/staff", ["its directory /srv/group-lists is writable by others than root (mode 0775, group mail)"]),
    ("mkdir -p /srv/real-lists && ln -sfn /srv/real-lists /srv/linked-lists", "/srv/linked-lists/staff",
     ["/srv/linked-lists/staff: its parent directory /srv/linked-lists is a symbolic link"]),
    ("mkdir -p /srv/real-lists && ln -sfn /etc/passwd /srv/real-lists/staff", "/srv/real-lists/staff",
     ["/srv/real-lists/staff is a symbolic link"]),
], ids=["sticky-world-writable", "group-writable", "symlinked-dir", "symlinked-file"])
def test_list_file_in_an_unsafe_place_is_refused(live, tmp_path, setup, path, words):
    live.sh("mx1", setup)
    try:
        modes = live.sh("mx1", "stat -c '%n %a %U %G' /srv/*-lists /etc/passwd").stdout
        before = live.hashes()
        res = live.converge(extra=_list_file(path), check=False, tmp_path=tmp_path)
        text = _text(res)
        assert res.returncode != 0
        for word in words:
            assert word in text, (word, text[-3000:])
        assert "Unsafe places to write:" in text and "Nothing has been changed." in text and "[mx1]" in text
        assert live.hashes() == before
        assert live.sh("mx1", "stat -c '%n %a %U %G' /srv/*-lists /etc/passwd").stdout == modes, "a directory changed"
        assert live.sh("mx1", "find /srv -name staff -type f").stdout == "", "a list file was written"
        assert "root:x:0:0" in live.sh("mx1", "cat /etc/passwd").stdout
    finally:
        live.sh("mx1", "rm -rf /srv/open-lists /srv/group-lists /srv/real-lists /srv/linked-lists", check=False)


def test_list_file_directories_are_made_but_never_re_owned(live, tmp_path):
    """An existing directory (root:mail 0750, not writable by others) keeps its group and mode; missing
    directories are made root's 0755."""
    live.sh("mx1", "rm -rf /srv/team-lists /srv/new-lists && mkdir /srv/team-lists && chgrp mail /srv/team-lists "
                   "&& chmod 0750 /srv/team-lists")
    try:
        extra = {"sendmail_host_alias_files": [{"path": "/srv/team-lists/staff", "members": ["alice"]},
                                               {"path": "/srv/new-lists/a/staff", "members": ["bob"]}]}
        live.converge(extra=extra, tmp_path=tmp_path)
        found = _stat(live, "/srv/team-lists", "/srv/team-lists/staff", "/srv/new-lists", "/srv/new-lists/a",
                      "/srv/new-lists/a/staff")
        assert found["/srv/team-lists"] == ("root", "mail", "750")
        assert found["/srv/new-lists"] == found["/srv/new-lists/a"] == ("root", "root", "755")
        assert found["/srv/team-lists/staff"] == found["/srv/new-lists/a/staff"] == ("root", "root", "644")
        assert "alice" in live.sh("mx1", "cat /srv/team-lists/staff").stdout
    finally:
        live.sh("mx1", "rm -rf /srv/team-lists /srv/new-lists", check=False)


# -- 3. backups rotated ---------------------------------------------------------------------------------

def test_backups_are_rotated(live, tmp_path):
    """Older backups of a replaced file beyond sendmail_backup_keep are removed in the same run."""
    old = [f"/etc/mail/access.{100 + d}.2020-01-0{d}@00:00:00~" for d in (1, 2, 3)]
    live.sh("mx1", "rm -f /etc/mail/access.*~; " + "; ".join(f"echo old > '{p}'" for p in old))
    hv = live.host_vars("mx1")
    extra = {"sendmail_backup_keep": 2, "sendmail_host_access": hv["sendmail_host_access"] + [
        {"key": f"From:{live.token('rotate')}@bad.example.test", "action": "REJECT"}]}
    live.converge(extra=extra, tmp_path=tmp_path)
    left = sorted(live.sh("mx1", "ls /etc/mail/ | grep '^access\\..*~$' || true").stdout.split())
    assert len(left) == 2, left
    assert "access.103.2020-01-03@00:00:00~" in left
    # the backup of this run, by elimination: its name holds the writer's PID, which may start with 10 too
    new = [n for n in left if "/etc/mail/" + n not in old]
    assert len(new) == 1 and _stat(live, "/etc/mail/" + new[0])["/etc/mail/" + new[0]] == ("root", "root", "600")
    live.converge()
    live.sh("mx1", "rm -f /etc/mail/access.*~")


# -- 4. a full disk --------------------------------------------------------------------------------------

def test_full_disk_leaves_no_partial_file_and_says_why(live, tmp_path):
    """/etc/mail on a tmpfs filled to the last block: the converge (install_files), build-cf and build-map
    each fail with the reason and no traceback, leave no temporary or partial file, and change nothing."""
    setup = """set -e
    cp -a /etc/mail /root/etc-mail-full
    used=$(du -sk /etc/mail | cut -f1)
    mount -t tmpfs -o size=$((used + 400))k tmpfs /etc/mail
    cp -a /root/etc-mail-full/. /etc/mail/
    dd if=/dev/zero of=/etc/mail/filler bs=1k 2>/dev/null || true
    df -k --output=avail /etc/mail | tail -1"""
    assert int(live.sh("mx1", setup).stdout.split()[-1]) == 0
    try:
        before = live.hashes()
        backups = live.sh("mx1", "ls /etc/mail | grep '~$' || true").stdout
        hv = live.host_vars("mx1")
        extra = {"sendmail_host_access": hv["sendmail_host_access"] + [
            {"key": "From:full@bad.example.test", "action": "REJECT"}]}
        res = live.converge(extra=extra, check=False, tmp_path=tmp_path)
        text = _text(res)
        assert res.returncode != 0
        assert "No file was replaced. /etc/mail/access: cannot write the new content beside it: " \
               "No space left on device (the file system of /etc/mail is full)" in text, text[-3000:]
        assert "Traceback" not in text and "MODULE FAILURE" not in text
        assert live.hashes() == before and _leftovers(live) == []
        assert live.sh("mx1", "ls /etc/mail | grep '~$' || true").stdout == backups, "a (partial) backup was left"

        res = live.sh("mx1", f"{HELPER} build-cf {MC} {CF}", check=False)
        assert res.returncode == 1 and "No space left on device" in res.stderr, res.stderr
        res = live.sh("mx1", f"{HELPER} build-map hash /etc/mail/access", check=False)
        assert res.returncode == 1 and "No space left on device" in res.stderr, res.stderr
        assert live.hashes() == before and _leftovers(live) == []
    finally:
        live.sh("mx1", "umount /etc/mail; rm -rf /root/etc-mail-full", check=False)
    live.converge()
    assert live.rcpt_codes("outsider", "mx1", "sales@example.test") == [250]
