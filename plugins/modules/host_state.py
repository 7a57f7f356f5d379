#!/usr/bin/python
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: host_state
short_description: Read, in one call, what the roles need to know about a mail host before changing it
description:
  - Reports, for a list of files, whether each exists and its SHA-1 checksum, mode, owner, group and
    modification time (optionally its text); which packages are not installed; whether a daemon's pid
    file names a live process; and the listening TCP sockets.
  - The roles of this collection call it once per host and then skip every template, copy and
    command whose result is already in place, so that a run that changes nothing costs one round
    trip to the host instead of one per file. It never changes anything, also not in check mode.
  - Give its result to M(mailops.sendmail.install_files) as its O(mailops.sendmail.install_files#module:state)
    option. That action compares on the controller and writes only what differs (or rebuilds a built file
    older than its source).
version_added: 0.1.0
author:
  - mailops team (@mailops)
options:
  paths:
    description: Files (or directories) to report under RV(files), keyed by the path as given.
    type: list
    elements: path
    default: []
  table:
    description:
      - A role's file table, as the O(mailops.sendmail.install_files#module:files) of
        M(mailops.sendmail.install_files) takes it. Every destination in it (each item's, for an entry with
        C(each)) and every C(built) file is read as if given in O(paths); of the entries whose C(triggers) hold
        C(restart), the built file (where there is one) or the destinations count as O(read_at_start).
      - The action turns it into those two lists on the controller; nothing else of the table goes to the host.
    type: list
    elements: dict
    default: []
    version_added: 0.1.0
  return_content:
    description: Also return the text of each regular file under RV(files) (C(content); undecodable bytes are replaced).
    type: bool
    default: false
  packages:
    description:
      - Package names to look up in the package database (C(dpkg-query) on Debian, C(rpm) on the Red Hat
        family); those not installed are returned under RV(packages_missing). Where neither can be run,
        RV(packages_missing) is null.
    type: list
    elements: str
    default: []
  pidfile:
    description: A daemon's pid file; RV(running) tells whether its first line names a live (not zombie) process.
    type: path
  read_at_start:
    description:
      - Files the daemon of O(pidfile) reads only when it starts (for sendmail, C(sendmail.cf) and its class
        files). Those changed after the running daemon started are returned under RV(newer_than_daemon). A run
        cut off after it rebuilt one of them, before the restart, leaves that restart owed, and the next run
        sees it here.
    type: list
    elements: path
    default: []
  listening:
    description: Return the listening TCP sockets (C(ss -ltnpH)) under RV(listening).
    type: bool
    default: false
  safe_paths:
    description:
      - Files about to be written (absolute paths), each checked under RV(path_safety) for what makes writing
        it unsafe and for the directories that must be made first.
      - 'Unsafe: the path or one of its parent directories is a symbolic link or not a directory; its directory
        is writable by others than root (world-writable, or group-writable with a group other than root, sticky
        or not); a directory further up is, and not sticky.'
    type: list
    elements: path
    default: []
  fail_unsafe:
    description:
      - Fail, after reading everything else, when a path of O(safe_paths) is unsafe to write, or the files of
        O(tls) would not work (RV(tls_problem)), with a message that names each one and why. The result still
        holds everything read.
    type: bool
    default: false
  tls:
    description:
      - STARTTLS files already on the host (C(cert), C(key), optional C(ca)) to check as sendmail's OpenSSL would
        use them; the verdict is RV(tls_problem). Nothing is checked without C(cert) and C(key).
    type: dict
    version_added: 0.1.0
  gather_subset:
    description:
      - Also gather these subsets of facts, as M(ansible.builtin.setup) does with its O(ansible.builtin.setup#module:gather_subset)
        (the same collectors, the same minimal set), and return them under C(ansible_facts), so that a play that
        needs a few facts and a read of the host makes one call instead of two (C(playbooks/site.yml) reads the facts
        the roles use and C(/etc/hosts) so). Empty (the default) gathers no facts.
    type: list
    elements: str
    default: []
    version_added: 0.1.0
  public_keys:
    description:
      - Private key files (PEM, as C(opendkim-genkey) writes them) whose public keys to return under
        RV(public_keys), derived on the host with C(openssl pkey); the private keys never leave it.
    type: list
    elements: path
    default: []
    version_added: 0.1.0
attributes:
  action:
    description: Turns O(table) into paths on the controller, then makes one call to the host.
    support: full
  check_mode:
    description: Runs in check mode and reports the same as in a normal run; it never changes anything.
    support: full
  diff_mode:
    description: It changes nothing, so there is no diff.
    support: none
"""

EXAMPLES = r"""
- name: Read the state of the files the role manages
  mailops.sendmail.host_state:
    paths: [/etc/mail/sendmail.mc, /etc/mail/access, /etc/mail/access.db]
    packages: [sendmail, m4]
    pidfile: /run/sendmail/mta/sendmail.pid
  register: state

- name: Deploy the access map only when it differs, and rebuild access.db when it is older than the map
  mailops.sendmail.install_files:
    state: "{{ state }}"
    files:
      - path: /etc/mail/access
        template: access.j2
        owner: root
        group: root
        mode: "0644"
        built: /etc/mail/access.db
        post_command: [/bin/sh, -c, 'makemap hash /etc/mail/access < /etc/mail/access']
"""

RETURN = r"""
ansible_facts:
  description: The facts of O(gather_subset), as M(ansible.builtin.setup) returns them; empty without it.
  returned: always
  type: dict
  sample: {ansible_distribution: Debian, ansible_distribution_major_version: "12", ansible_service_mgr: systemd}
files:
  description: One entry per path of O(paths).
  returned: always
  type: dict
  sample:
    /etc/mail/access:
      exists: true
      type: file
      checksum: 3f786850e387550fdab836ed7e6dc881de23001b
      mode: "0644"
      owner: root
      group: root
      size: 1234
      mtime_ns: 1764790000123456789
path_safety:
  description:
    - One entry per path of O(safe_paths) - C(problem), why writing it is unsafe (naming the path), or null;
      C(missing_dirs), its directories that do not exist yet, from the top down.
    - The entries of RV(files) also have C(link) (true) for a path that is a symbolic link.
  returned: always
  type: dict
  sample:
    /srv/lists/staff: {problem: null, missing_dirs: [/srv/lists]}
    /tmp/staff: {problem: "/tmp/staff: its directory /tmp is writable by others than root (mode 1777)", missing_dirs: []}
packages_missing:
  description: The O(packages) that are not installed; null when the package database cannot be read.
  returned: always
  type: list
  elements: str
  sample: [m4]
running:
  description: Whether the process named in O(pidfile) is alive; null without O(pidfile).
  returned: always
  type: bool
  sample: true
newer_than_daemon:
  description:
    - The files of O(read_at_start) changed after the daemon of O(pidfile) started (a second's margin for
      the clocks' resolution); empty when the daemon does not run.
  returned: always
  type: list
  elements: str
  sample: [/etc/mail/sendmail.cf]
tls_problem:
  description:
    - Why the files of O(tls) would not make STARTTLS work (naming the file), or null - a file missing, a key that
      others than root may read (sendmail then turns STARTTLS off), a key that does not belong to the certificate,
      a certificate that has expired or is not valid yet, a chain that does not lead to the CA.
  returned: always
  type: str
  sample: "/etc/ssl/private/mx1.key: the key does not belong to the certificate /etc/ssl/certs/mx1.pem"
public_keys:
  description:
    - For each file of O(public_keys), its public key as DKIM's C(p=) tag carries it (the DER of the
      SubjectPublicKeyInfo, in base64), or null when the file is missing or C(openssl) cannot read it.
  returned: always
  type: dict
  sample: {/etc/dkimkeys/example.com/s2026.private: MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu...}
listening:
  description: The lines of C(ss -ltnpH) when O(listening) is true (null where C(ss) is not installed), else an empty list.
  returned: always
  type: list
  elements: str
"""

import base64
import grp
import hashlib
import os
import pwd
import stat
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.mailops.sendmail.plugins.module_utils._file_table import with_table
from ansible_collections.mailops.sendmail.plugins.module_utils._tls import check_files


# ansible.builtin.setup's minimal set ('min'), so that a gather_subset means here what it means there.
_MINIMAL_SUBSET = frozenset(['apparmor', 'caps', 'cmdline', 'date_time', 'distribution', 'dns', 'env', 'fips', 'local',
                             'lsb', 'pkg_mgr', 'platform', 'python', 'selinux', 'service_mgr', 'ssh_pub_keys', 'user'])


def _name(lookup, ident):
    try:
        return lookup(ident)[0]
    except KeyError:
        return str(ident)


def file_state(path, return_content=False):
    """The state of one path, as reported under `files` (of what a symbolic link points to, with link=True)."""
    link = os.path.islink(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return dict(exists=False, link=True) if link else dict(exists=False)
    kind = 'file' if stat.S_ISREG(info.st_mode) else 'directory' if stat.S_ISDIR(info.st_mode) else 'other'
    state = dict(exists=True, type=kind, mode='%04o' % stat.S_IMODE(info.st_mode),
                 owner=_name(pwd.getpwuid, info.st_uid), group=_name(grp.getgrgid, info.st_gid),
                 size=info.st_size, mtime_ns=info.st_mtime_ns)
    if link:
        state['link'] = True
    if kind == 'file':
        digest = hashlib.sha1()
        chunks = []
        with open(path, 'rb') as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b''):
                digest.update(chunk)
                if return_content:
                    chunks.append(chunk)
        state['checksum'] = digest.hexdigest()
        if return_content:
            state['content'] = b''.join(chunks).decode('utf-8', 'replace')
    return state


def _others_may_write(info):
    """Whether someone other than root may write in a directory (world, or a group that is not root's)."""
    mode = info.st_mode
    return bool(mode & stat.S_IWOTH or (mode & stat.S_IWGRP and info.st_gid != 0))


def path_safety(path):
    """Why writing the file `path` is unsafe (or None), and the directories to make first."""
    path = os.path.normpath(path)
    if not os.path.isabs(path):
        return dict(problem='%s: not an absolute path' % path, missing_dirs=[])
    if os.path.islink(path):
        return dict(problem='%s is a symbolic link' % path, missing_dirs=[])
    parent = os.path.dirname(path)
    parts = [part for part in parent.split('/') if part]
    dirs = ['/'] + ['/' + '/'.join(parts[:i + 1]) for i in range(len(parts))]
    missing = []
    for directory in dirs:
        if missing:
            missing.append(directory)
            continue
        try:
            info = os.lstat(directory)
        except FileNotFoundError:
            missing.append(directory)
            continue
        if stat.S_ISLNK(info.st_mode):
            return dict(problem='%s: its parent directory %s is a symbolic link' % (path, directory), missing_dirs=[])
        if not stat.S_ISDIR(info.st_mode):
            return dict(problem='%s: %s is not a directory' % (path, directory), missing_dirs=[])
        if _others_may_write(info) and (directory == parent or not info.st_mode & stat.S_ISVTX):
            which = 'its directory' if directory == parent else 'its parent directory'
            return dict(problem='%s: %s %s is writable by others than root (mode %04o, group %s)' % (
                path, which, directory, stat.S_IMODE(info.st_mode), _name(grp.getgrgid, info.st_gid)),
                missing_dirs=[])
    return dict(problem=None, missing_dirs=missing)


def _pid_stat(pidfile):
    """The fields of /proc/PID/stat after the command name (state first) for the pid file's process, or None."""
    try:
        with open(pidfile) as handle:
            pid = int(handle.readline().strip())
        with open('/proc/%d/stat' % pid) as handle:
            fields = handle.read()
    except (OSError, ValueError):
        return None
    return fields[fields.rfind(')') + 2:].split()


def pid_running(pidfile, fields=None):
    """True when the first line of pidfile names a live, non-zombie process (fields: its _pid_stat, if read)."""
    fields = _pid_stat(pidfile) if fields is None else fields
    return fields is not None and fields[0] not in ('Z', 'X')


def newer_than_daemon(fields, paths, margin=1.0):
    """The paths changed after the live process whose _pid_stat fields these are started (see RV(newer_than_daemon))."""
    if not paths or fields is None or fields[0] in ('Z', 'X'):
        return []
    try:
        with open('/proc/uptime') as handle:
            uptime = float(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return []
    # starttime (field 22 of stat, the 20th after the name) counts clock ticks since boot, as /proc/uptime
    # counts seconds: both from the same clock, so the start time is exact to a tick, whatever the wall clock.
    started = time.time() - uptime + int(fields[19]) / float(os.sysconf('SC_CLK_TCK'))
    newer = []
    for path in paths:
        try:
            if os.stat(path).st_mtime > started + margin:
                newer.append(path)
        except OSError:
            continue
    return newer


def missing_packages(module, names):
    if not names:
        return []
    dpkg = module.get_bin_path('dpkg-query')
    if not dpkg:
        return missing_rpm_packages(module, names)
    rc, out, _err = module.run_command([dpkg, '-W', '-f', '${Package}\t${db:Status-Abbrev}\n'] + list(names),
                                       environ_update=dict(LC_ALL='C'))
    installed = set()
    for line in out.splitlines():
        name, _sep, status = line.partition('\t')
        if status.startswith('ii'):
            installed.add(name.split(':', 1)[0])
    # rc 1: some names are unknown to dpkg, which is what "missing" means.
    if rc not in (0, 1):
        return None
    return [name for name in names if name not in installed]


def missing_rpm_packages(module, names):
    """The names rpm does not know as installed, or None without rpm."""
    rpm = module.get_bin_path('rpm')
    if not rpm:
        return None
    # rpm -q prints each installed name (the query format) and 'package NAME is not installed' for the
    # others; its exit code is the number of those, so any other failure shows as too few lines.
    rc, out, _err = module.run_command([rpm, '-q', '--queryformat', '%{NAME}\\n'] + list(names),
                                       environ_update=dict(LC_ALL='C'))
    installed = set(out.splitlines())
    missing = [name for name in names if name not in installed]
    if rc != len(missing):
        return None
    return missing


def public_keys(module, paths):
    """{path: the base64 DER public key of the private key in path, or None} (see RV(public_keys))."""
    keys = {}
    openssl = module.get_bin_path('openssl') if paths else None
    for path in paths:
        keys[path] = None
        if openssl is None or not os.path.isfile(path):
            continue
        # Bytes out (DER): run_command's text decoding would mangle them.
        rc, out, _err = module.run_command([openssl, 'pkey', '-in', path, '-pubout', '-outform', 'DER'],
                                           encoding=None)
        if rc == 0 and out:
            keys[path] = base64.b64encode(out).decode('ascii')
    return keys


def gather_facts(module, subset):
    """The facts of these subsets, gathered as ansible.builtin.setup gathers them (its collectors)."""
    if not subset:
        return {}
    # Imported here: the other reads need none of the collectors.
    # pylint: disable=import-outside-toplevel
    from ansible.module_utils.facts import ansible_collector, default_collectors
    from ansible.module_utils.facts.namespace import PrefixFactNamespace
    collector = ansible_collector.get_ansible_collector(
        all_collector_classes=default_collectors.collectors,
        namespace=PrefixFactNamespace(namespace_name='ansible', prefix='ansible_'),
        filter_spec=[], gather_subset=subset, gather_timeout=10, minimal_gather_subset=_MINIMAL_SUBSET)
    return collector.collect(module=module)


def tls_problem(files):
    """Why the STARTTLS files on this host would not work, or None (see RV(tls_problem))."""
    cert, key, ca = (files or {}).get('cert'), (files or {}).get('key'), (files or {}).get('ca')
    if not cert or not key:
        return None
    for path in (cert, key, ca):
        if path and not os.path.isfile(path):
            return '%s: no such file (sendmail would not offer STARTTLS)' % path
    mode = stat.S_IMODE(os.stat(key).st_mode)
    if mode & 0o077:
        return ('%s: the key may be read by others than its owner (mode %04o): sendmail turns STARTTLS off; '
                'make it 0600' % (key, mode))
    problem, detail = check_files(cert, key, ca)
    if problem is None:
        return None
    if problem == 'chain':
        return '%s: %s%s' % (cert, detail, ' (CA %s)' % ca if ca else '')
    return '%s: %s' % ({'cert': cert, 'key': key, 'ca': ca}[problem], detail)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type='list', elements='path', default=[]),
            table=dict(type='list', elements='dict', default=[]),
            return_content=dict(type='bool', default=False),
            packages=dict(type='list', elements='str', default=[]),
            pidfile=dict(type='path'),
            read_at_start=dict(type='list', elements='path', default=[]),
            listening=dict(type='bool', default=False),
            safe_paths=dict(type='list', elements='path', default=[]),
            fail_unsafe=dict(type='bool', default=False),
            tls=dict(type='dict'),
            public_keys=dict(type='list', elements='path', default=[]),
            gather_subset=dict(type='list', elements='str', default=[]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    # Without the action (which already did this on the controller), the table is read here.
    params['paths'], params['read_at_start'] = with_table(params['paths'], params['read_at_start'], params['table'])
    try:
        facts = gather_facts(module, params['gather_subset'])
    except Exception as exc:  # pylint: disable=broad-except
        # A subset the collectors do not know (setup fails the same way).
        module.fail_json(msg='gather_subset %s: %s' % (params['gather_subset'], exc))
    result = dict(changed=False, ansible_facts=facts, files={}, packages_missing=[], running=None, listening=[],
                  path_safety={}, tls_problem=None, newer_than_daemon=[], public_keys={})
    for path in params['paths']:
        try:
            result['files'][path] = file_state(path, params['return_content'])
        except OSError as exc:
            module.fail_json(msg='cannot read %s: %s' % (path, exc), **result)
    for path in params['safe_paths']:
        result['path_safety'][path] = path_safety(path)
    result['tls_problem'] = tls_problem(params['tls'])
    result['public_keys'] = public_keys(module, params['public_keys'])
    result['packages_missing'] = missing_packages(module, params['packages'])
    if params['pidfile']:
        # One read of the daemon's /proc entry for both answers.
        fields = _pid_stat(params['pidfile'])
        result['running'] = pid_running(params['pidfile'], fields)
        result['newer_than_daemon'] = newer_than_daemon(fields, params['read_at_start'])
    if params['listening']:
        ss = module.get_bin_path('ss')
        if ss:
            rc, out, err = module.run_command([ss, '-ltnpH'])
            if rc != 0:
                module.fail_json(msg='ss -ltnpH failed (rc %d): %s' % (rc, err.strip()), **result)
            result['listening'] = out.splitlines()
        else:
            result['listening'] = None
    unsafe = [state['problem'] for state in result['path_safety'].values() if state['problem']]
    refused = []
    if unsafe:
        refused.append('\n  '.join(['Unsafe places to write:'] + unsafe))
    if result['tls_problem']:
        refused.append('STARTTLS files sendmail could not use (sendmail_tls_*_file): ' + result['tls_problem'])
    if params['fail_unsafe'] and refused:
        module.fail_json(msg='\n'.join(refused) + '\nNothing has been changed.', **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
