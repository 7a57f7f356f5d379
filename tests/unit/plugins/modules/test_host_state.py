"""host_state on real files, pid files and the real package database of this machine."""

import hashlib
import os
import subprocess
import sys
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


def test_stale_targets_follow_modification_times(tmp_path):
    source, target = tmp_path / 'access', tmp_path / 'access.db'
    source.write_text('x')
    pair = [{'source': str(source), 'target': str(target)}]
    assert host_state.stale_targets(pair) == [str(target)]          # never built
    target.write_text('db')
    os.utime(source, ns=(1_000_000_000, 1_000_000_000))
    os.utime(target, ns=(2_000_000_000, 2_000_000_000))
    assert host_state.stale_targets(pair) == []                     # built after the source
    os.utime(source, ns=(3_000_000_000, 3_000_000_000))
    assert host_state.stale_targets(pair) == [str(target)]          # source written after the build
    assert host_state.stale_targets([{'source': str(tmp_path / 'none'), 'target': str(target)}]) == []


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
                          input=json.dumps({'ANSIBLE_MODULE_ARGS': args}), capture_output=True, text=True, env=env)
    return json.loads(proc.stdout)


@pytest.mark.skipif(not Path('/usr/bin/dpkg-query').exists(), reason='needs the Debian package database')
def test_module_end_to_end(tmp_path):
    path = tmp_path / 'aliases'
    path.write_text('postmaster: root\n')
    pidfile = tmp_path / 'pid'
    pidfile.write_text('%d\n' % os.getpid())
    result = _run_module({'paths': [str(path), str(tmp_path / 'gone')], 'packages': ['dpkg', 'no-such-package-xyz'],
                          'stale': [{'target': str(path) + '.db', 'source': str(path)}],
                          'pidfile': str(pidfile), 'listening': True})
    assert result['changed'] is False
    assert result['files'][str(path)]['checksum'] == hashlib.sha1(b'postmaster: root\n').hexdigest()
    assert result['files'][str(tmp_path / 'gone')] == {'exists': False}
    assert result['packages_missing'] == ['no-such-package-xyz']
    assert result['stale'] == [str(path) + '.db']
    assert result['running'] is True
    assert isinstance(result['listening'], list)
