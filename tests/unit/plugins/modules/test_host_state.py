"""host_state on real files, pid files and the real package database of this machine."""

import base64
import hashlib
import os
import subprocess
import sys
import time
import json
from pathlib import Path

import pytest

from ansible_collections.mailops.sendmail.plugins.modules import host_state

ROOT = Path(__file__).resolve().parents[4]


def test_file_state_of_a_file_and_a_directory(tmp_path):
    path = tmp_path / 'access'
    path.write_bytes(b'Connect:127.0.0.1\tRELAY\n')
    path.chmod(0o640)
    entry = host_state.file_state(str(path), return_content=True)
    assert entry['exists'] and entry['type'] == 'file' and entry['mode'] == '0640'
    assert entry['checksum'] == hashlib.sha1(b'Connect:127.0.0.1\tRELAY\n').hexdigest()
    assert entry['content'] == 'Connect:127.0.0.1\tRELAY\n'
    assert entry['owner'] and entry['group'] and entry['size'] == 24
    assert 'content' not in host_state.file_state(str(path))
    assert host_state.file_state(str(tmp_path))['type'] == 'directory'
    assert host_state.file_state(str(tmp_path / 'missing')) == {'exists': False}


def test_file_state_reports_the_modification_time(tmp_path):
    """install_files judges a built file stale by these times (built older than its source)."""
    path = tmp_path / 'access'
    path.write_text('x')
    os.utime(path, ns=(1_000_000_000, 1_234_567_891))
    assert host_state.file_state(str(path))['mtime_ns'] == 1_234_567_891
    os.utime(path, ns=(1_000_000_000, 3_000_000_000))
    assert host_state.file_state(str(path))['mtime_ns'] == 3_000_000_000


def test_pid_running(tmp_path):
    pidfile = tmp_path / 'sendmail.pid'
    assert host_state.pid_running(str(pidfile)) is False            # no pid file
    pidfile.write_text('%d\n/usr/sbin/sendmail-mta -bd\n' % os.getpid())
    assert host_state.pid_running(str(pidfile)) is True
    child = subprocess.Popen(['true'])
    while not Path('/proc/%d/stat' % child.pid).read_text().split(') ')[1].startswith('Z'):
        pass                                                        # a zombie until waited for
    pidfile.write_text('%d\n' % child.pid)
    assert host_state.pid_running(str(pidfile)) is False
    child.wait()
    assert host_state.pid_running(str(pidfile)) is False            # gone
    pidfile.write_text('garbage\n')
    assert host_state.pid_running(str(pidfile)) is False


def _run_module(args):
    """Run the module as Ansible would (JSON arguments on stdin), return its JSON result."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / '.cache' / 'collections') + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run([sys.executable, '-m', 'ansible_collections.mailops.sendmail.plugins.modules.host_state'],
                          input=json.dumps({'ANSIBLE_MODULE_ARGS': args}), capture_output=True, text=True, env=env, check=False)
    return json.loads(proc.stdout)


@pytest.mark.skipif(not Path('/usr/bin/dpkg-query').exists(), reason='needs the Debian package database')
def test_module_end_to_end(tmp_path):
    path = tmp_path / 'aliases'
    path.write_text('postmaster: root\n')
    pidfile = tmp_path / 'pid'
    pidfile.write_text('%d\n' % os.getpid())
    result = _run_module({'paths': [str(path), str(tmp_path / 'gone')], 'packages': ['dpkg', 'no-such-package-xyz'],
                          'pidfile': str(pidfile), 'listening': True})
    assert result['changed'] is False
    assert result['files'][str(path)]['checksum'] == hashlib.sha1(b'postmaster: root\n').hexdigest()
    assert result['files'][str(tmp_path / 'gone')] == {'exists': False}
    assert result['packages_missing'] == ['no-such-package-xyz']
    assert result['files'][str(path)]['mtime_ns'] == os.stat(path).st_mtime_ns
    assert result['running'] is True
    assert isinstance(result['listening'], list)


def test_file_state_marks_symbolic_links(tmp_path):
    target = tmp_path / 'target'
    target.write_text('x\n')
    (tmp_path / 'link').symlink_to(target)
    (tmp_path / 'dangling').symlink_to(tmp_path / 'nowhere')
    assert host_state.file_state(str(tmp_path / 'link'))['link'] is True
    assert 'link' not in host_state.file_state(str(target))
    assert host_state.file_state(str(tmp_path / 'dangling')) == {'exists': False, 'link': True}


def _dir(path, mode, gid=None):
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)
    if gid is not None:
        os.chown(path, -1, gid)
    return path


def _other_gid():
    """A group that is not root's (nogroup, or any other than 0)."""
    import grp
    for entry in grp.getgrall():
        if entry.gr_gid != 0:
            return entry.gr_gid
    pytest.skip('no group other than root')


def test_path_safety_of_a_safe_path_and_missing_directories(tmp_path):
    base = _dir(tmp_path / 'safe', 0o755, 0)
    assert host_state.path_safety(str(base / 'staff')) == {'problem': None, 'missing_dirs': []}
    assert host_state.path_safety(str(base / 'lists' / 'a' / 'staff')) == {
        'problem': None, 'missing_dirs': [str(base / 'lists'), str(base / 'lists' / 'a')]}


def test_path_safety_refuses_symbolic_links(tmp_path):
    real = _dir(tmp_path / 'real', 0o755, 0)
    (real / 'staff').write_text('x\n')
    (tmp_path / 'linked-dir').symlink_to(real)
    (real / 'link').symlink_to(real / 'staff')
    assert host_state.path_safety(str(real / 'link'))['problem'] == '%s is a symbolic link' % (real / 'link')
    assert host_state.path_safety(str(tmp_path / 'linked-dir' / 'sub' / 'staff'))['problem'] == (
        '%s: its parent directory %s is a symbolic link' % (tmp_path / 'linked-dir' / 'sub' / 'staff',
                                                            tmp_path / 'linked-dir'))
    assert host_state.path_safety(str(real / 'staff' / 'x'))['problem'] == (
        '%s: %s is not a directory' % (real / 'staff' / 'x', real / 'staff'))


@pytest.mark.parametrize('mode, other_group, problem', [
    (0o1777, False, True),    # sticky and world-writable (like /tmp) as the directory itself
    (0o777, False, True),
    (0o775, True, True),      # group-writable, a group other than root's
    (0o2775, True, True),
    (0o775, False, False),    # group-writable by root's group only
    (0o755, True, False),
])
def test_path_safety_of_the_directory_itself(tmp_path, mode, other_group, problem):
    directory = _dir(tmp_path / 'lists', mode, _other_gid() if other_group else 0)
    _dir(tmp_path, 0o755)
    found = host_state.path_safety(str(directory / 'staff'))
    if problem:
        assert found['problem'].startswith('%s: its directory %s is writable by others than root (mode %04o'
                                           % (directory / 'staff', directory, mode)), found
    else:
        assert found == {'problem': None, 'missing_dirs': []}
    assert os.stat(directory).st_mode & 0o7777 == mode      # looked at, never changed


def test_path_safety_of_directories_further_up(tmp_path):
    """A sticky world-writable directory further up (like /tmp) is safe: no one can rename what root made in
    it; one that is not sticky is not."""
    sticky = _dir(tmp_path / 'sticky', 0o1777)
    _dir(sticky / 'lists', 0o755, 0)
    assert host_state.path_safety(str(sticky / 'lists' / 'staff'))['problem'] is None
    assert host_state.path_safety(str(sticky / 'new' / 'staff')) == {
        'problem': None, 'missing_dirs': [str(sticky / 'new')]}
    open_dir = _dir(tmp_path / 'open', 0o777)
    _dir(open_dir / 'lists', 0o755, 0)
    assert host_state.path_safety(str(open_dir / 'lists' / 'staff'))['problem'] == (
        '%s: its parent directory %s is writable by others than root (mode 0777, group %s)'
        % (open_dir / 'lists' / 'staff', open_dir, __import__('grp').getgrgid(os.getgid()).gr_name))


@pytest.mark.skipif(not Path('/usr/bin/dpkg-query').exists(), reason='needs the Debian package database')
def test_module_reports_path_safety(tmp_path):
    _dir(tmp_path / 'open', 0o1777)
    result = _run_module({'safe_paths': [str(tmp_path / 'open' / 'staff'), str(tmp_path / 'new' / 'staff')]})
    assert result['path_safety'][str(tmp_path / 'new' / 'staff')] == {
        'problem': None, 'missing_dirs': [str(tmp_path / 'new')]}
    assert 'writable by others than root' in result['path_safety'][str(tmp_path / 'open' / 'staff')]['problem']


@pytest.mark.skipif(not Path('/usr/bin/dpkg-query').exists(), reason='needs the Debian package database')
def test_module_fails_on_unsafe_paths_only_when_asked(tmp_path):
    """fail_unsafe: the read fails naming every unsafe path, and still reports what it read."""
    _dir(tmp_path / 'open', 0o1777)
    unsafe, safe = str(tmp_path / 'open' / 'staff'), str(tmp_path / 'new' / 'staff')
    (tmp_path / 'aliases').write_text('postmaster: root\n')
    args = {'paths': [str(tmp_path / 'aliases')], 'safe_paths': [unsafe, safe]}
    assert not _run_module(args).get('failed')
    result = _run_module(dict(args, fail_unsafe=True))
    assert result['failed'] is True
    assert result['msg'].startswith('Unsafe places to write:\n  %s: ' % unsafe)
    assert result['msg'].endswith('\nNothing has been changed.')
    assert safe not in result['msg']
    assert result['files'][str(tmp_path / 'aliases')]['exists'] is True
    assert not _run_module({'safe_paths': [safe], 'fail_unsafe': True}).get('failed')


@pytest.fixture
def daemon(tmp_path):
    """A live process (sleep) with its pid file, and the time just before it started: (pidfile, started)."""
    started = time.time()
    process = subprocess.Popen(['sleep', '30'])
    pidfile = tmp_path / 'daemon.pid'
    pidfile.write_text('%d\n' % process.pid)
    yield pidfile, started
    process.kill()
    process.wait()


def test_files_changed_after_the_daemon_started_are_named(tmp_path, daemon):
    """newer_than_daemon: a file written after the process of the pid file started is named, an older
    one is not; nothing without a live process."""
    pidfile, started = daemon
    old, new = tmp_path / 'old.cf', tmp_path / 'new.cf'
    old.write_text('old\n')
    os.utime(old, (started - 5, started - 5))
    new.write_text('new\n')
    os.utime(new, (started + 3, started + 3))
    result = _run_module({'pidfile': str(pidfile), 'read_at_start': [str(old), str(new), str(tmp_path / 'gone')]})
    assert result['running'] is True
    assert result['newer_than_daemon'] == [str(new)]
    # within the second's margin of the start: not newer (the clocks' resolution)
    os.utime(new, (started + 0.5, started + 0.5))
    assert _run_module({'pidfile': str(pidfile), 'read_at_start': [str(new)]})['newer_than_daemon'] == []
    pidfile.write_text('999999999\n')   # no such process
    assert _run_module({'pidfile': str(pidfile), 'read_at_start': [str(new)]})['newer_than_daemon'] == []


# A table as the roles give install_files: a map with its built file, a class file and a mc that restart the
# daemon (the mc through the cf built from it), list files through `each`.
TABLE = [
    {'id': 'access', 'path': '/etc/mail/access', 'template': 'access.j2', 'built': '/etc/mail/access.db'},
    {'id': 'local-host-names', 'path': '/etc/mail/local-host-names', 'template': 'lhn.j2', 'triggers': ['restart']},
    {'id': 'lists', 'each': [{'path': '/srv/lists/a', 'members': ['x']}, {'path': '/srv/lists/b'}],
     'template': 'alias-file.j2'},
    {'id': 'tls-key', 'each': [{'path': '/etc/mail/tls/key.pem', 'var': 'k'}], 'template': 'pem.j2',
     'secret': True, 'triggers': ['restart']},
    {'id': 'mc', 'path': '/etc/mail/sendmail.mc', 'template': 'sendmail.mc.j2', 'built': '/etc/mail/sendmail.cf',
     'triggers': ['restart']},
]


def test_the_file_table_names_what_to_read_and_what_the_daemon_reads_at_start():
    from ansible_collections.mailops.sendmail.plugins.module_utils._file_table import table_paths
    paths, read_at_start = table_paths(TABLE)
    assert paths == ['/etc/mail/access', '/etc/mail/access.db', '/etc/mail/local-host-names', '/srv/lists/a',
                     '/srv/lists/b', '/etc/mail/tls/key.pem', '/etc/mail/sendmail.mc', '/etc/mail/sendmail.cf']
    # the map's .db is read live (no restart); for the mc, the daemon reads the cf built from it
    assert read_at_start == ['/etc/mail/local-host-names', '/etc/mail/tls/key.pem', '/etc/mail/sendmail.cf']
    assert table_paths([]) == ([], []) and table_paths(None) == ([], [])


def test_module_reads_the_file_table_and_finds_a_restart_owed(tmp_path, daemon):
    """Without the action (which does the same on the controller), the module reads the table itself: every
    destination and built file, and a restart-triggering file newer than the daemon is named."""
    pidfile, started = daemon
    conf, table_db = tmp_path / 'opendkim.conf', tmp_path / 'map.db'
    conf.write_text('Mode s\n')
    os.utime(conf, (started + 3, started + 3))
    table = [{'path': str(conf), 'template': 'opendkim.conf.j2', 'triggers': ['restart']},
             {'path': str(tmp_path / 'map'), 'template': 'map.j2', 'built': str(table_db)}]
    result = _run_module({'table': table, 'paths': [str(tmp_path)], 'pidfile': str(pidfile)})
    assert sorted(result['files']) == sorted([str(tmp_path), str(conf), str(tmp_path / 'map'), str(table_db)])
    assert result['files'][str(conf)]['exists'] and not result['files'][str(table_db)]['exists']
    assert result['newer_than_daemon'] == [str(conf)]


def test_module_returns_the_public_key_of_each_private_key(tmp_path):
    """The DKIM records come from the read: the public key (base64 DER) as `openssl pkey` derives it,
    compared here with the cryptography library's own derivation; null for a missing or unreadable key."""
    serialization = pytest.importorskip('cryptography.hazmat.primitives.serialization')
    rsa = pytest.importorskip('cryptography.hazmat.primitives.asymmetric.rsa')
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = tmp_path / 's2026.private'
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                          serialization.NoEncryption()))
    garbage = tmp_path / 'garbage.private'
    garbage.write_text('not a key\n')
    result = _run_module({'public_keys': [str(private), str(garbage), str(tmp_path / 'gone.private')]})
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert result['public_keys'] == {str(private): base64.b64encode(der).decode('ascii'),
                                     str(garbage): None, str(tmp_path / 'gone.private'): None}
    assert 'PRIVATE' not in json.dumps(result), 'no private key text in the result'
    assert _run_module({})['public_keys'] == {}


def test_module_gathers_the_facts_of_the_subsets_asked_for(tmp_path):
    """site.yml reads the facts the roles use and /etc/hosts in one call: the facts are setup's, from the same
    collectors (compared with this machine's own files), and only those of the subsets asked for."""
    hosts = tmp_path / 'hosts'
    hosts.write_text('127.0.0.1\tlocalhost\n')
    result = _run_module({'gather_subset': ['!all', '!min', 'platform', 'distribution'], 'paths': [str(hosts)],
                          'return_content': True})
    facts = result['ansible_facts']
    assert facts['ansible_hostname'] == os.uname().nodename.split('.')[0]
    assert facts['ansible_system'] == 'Linux' and facts['ansible_kernel'] == os.uname().release
    assert facts['ansible_os_family'] and facts['ansible_distribution']
    assert 'ansible_default_ipv4' not in facts and 'ansible_service_mgr' not in facts, 'only the subsets asked for'
    assert result['files'][str(hosts)]['content'] == '127.0.0.1\tlocalhost\n'
    assert _run_module({})['ansible_facts'] == {}
    bad = _run_module({'gather_subset': ['no_such_subset']})
    assert bad['failed'] and 'no_such_subset' in bad['msg']
