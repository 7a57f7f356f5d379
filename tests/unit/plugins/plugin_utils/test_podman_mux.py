"""The podman exec mux (plugin_utils/_podman_mux.py) for real: real processes and unix sockets, a fake podman.

The fake podman (a script in tmp_path) understands ``exec -i [--user U] CONTAINER CMD...``: a container
is "running" while tmp_path/containers/NAME exists, and then CMD runs here through exec (so the
agent's pid is the pid the fake records in tmp_path/pids/NAME); an unknown container gets podman's
own "Error: ... no such container" and 125; a container marked ``nopython`` exits 127 as BOOT does
where no python3 is found; one marked ``noisy`` writes 200 KB to stderr first.
"""

import hashlib
import json
import os
import shutil
import signal
import socket
import stat
import sys
import tempfile
import threading
import time

import pytest

from ansible_collections.mailops.sendmail.plugins.plugin_utils import _podman_mux

IDLE = 3            # seconds: every mux of these tests exits by itself soon, and teardown kills it anyway
SOCKET_TIMEOUT = 10  # request() waits for its answer without a limit: a hung mux fails a test instead of hanging it

FAKE_PODMAN = r'''#!%s
import json, os, sys
state = os.path.dirname(os.path.abspath(__file__))
args = sys.argv[1:]
with open(os.path.join(state, 'calls'), 'a') as log:
    log.write(json.dumps(args) + '\n')
if args[:2] != ['exec', '-i']:
    sys.stderr.write('fake podman: unexpected arguments %%r\n' %% args)
    sys.exit(2)
args, user = args[2:], ''
if args[0] == '--user':
    user, args = args[1], args[2:]
name, cmd = args[0], args[1:]
try:
    with open(os.path.join(state, 'containers', name)) as marker:
        kind = marker.read().strip()
except FileNotFoundError:
    sys.stderr.write('Error: no container with name or ID "%%s" found: no such container\n' %% name)
    sys.exit(125)
if kind == 'nopython':
    sys.stderr.write('no python3 in %%s\n' %% name)
    sys.exit(127)
if kind == 'noisy':            # podman with --log-level debug: more than a pipe holds, before the command runs
    sys.stderr.write('x' * 200000)
    sys.stderr.flush()
with open(os.path.join(state, 'pids', name), 'a') as pids:
    pids.write('%%d\n' %% os.getpid())
os.environ['FAKE_PODMAN_USER'] = user
os.execvp(cmd[0], cmd)
''' % sys.executable

AGENT_MARK = b'mailops podman_exec session'      # in the command line of an agent (python3 -c LOADER)
PPID = ['/bin/sh', '-c', 'echo $PPID']


def _procs(text):
    """Live processes (not zombies) whose command line contains text."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open('/proc/%s/cmdline' % entry, 'rb') as cmdline:
                if text in cmdline.read():
                    found.append(int(entry))
        except OSError:
            pass
    return found


def _alive(pid, mark=AGENT_MARK):
    """Whether pid is a running process (not a zombie) with mark in its command line."""
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as cmdline:
            return mark in cmdline.read()
    except OSError:
        return False


def _wait(predicate, timeout):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


class Lab(object):
    """A fake podman in tmp_path and a mux socket in a short directory under /tmp."""

    def __init__(self, tmp_path, sock_dir):
        self.state = tmp_path
        (tmp_path / 'containers').mkdir()
        (tmp_path / 'pids').mkdir()
        self.podman = tmp_path / 'podman'
        self.podman.write_text(FAKE_PODMAN)
        self.podman.chmod(0o755)
        self.sock_dir = sock_dir
        self.sock = os.path.join(sock_dir, 'mux')
        self.idle = IDLE
        self.spawns = 0
        self._count = threading.Lock()

    def add(self, name, kind='python'):
        (self.state / 'containers' / name).write_text(kind)

    def remove(self, name):
        (self.state / 'containers' / name).unlink()

    def pids(self, name):
        """The pids of the agents the fake podman started for name, oldest first."""
        path = self.state / 'pids' / name
        return [int(line) for line in path.read_text().split()] if path.exists() else []

    def calls(self):
        path = self.state / 'calls'
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def spawn(self):
        with self._count:
            self.spawns += 1
        return _podman_mux.spawn_mux(self.sock, self.idle, [str(self.podman)])

    def run(self, container, argv, data=None, stdin=False, user=None, **kwargs):
        return _podman_mux.request(self.sock, container, user, argv, data, stdin, self.spawn, **kwargs)

    def muxes(self):
        return _procs(self.sock.encode())

    def cleanup(self):
        for pid in self.muxes():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        # Without their mux the agents read end of file and exit; kill any that does not.
        agents = [pid for path in (self.state / 'pids').iterdir() for pid in self.pids(path.name)]
        if not _wait(lambda: not self.muxes() and not any(_alive(pid) for pid in agents), 5):
            for pid in agents:
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.sock_dir, ignore_errors=True)


@pytest.fixture
def lab(tmp_path):
    # Unix socket paths are limited to about 107 bytes: not under a deep tmp_path.
    sock_dir = tempfile.mkdtemp(prefix='mux-', dir='/tmp')
    lab = Lab(tmp_path, sock_dir)
    timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(SOCKET_TIMEOUT)
    try:
        yield lab
    finally:
        socket.setdefaulttimeout(timeout)
        lab.cleanup()
    assert not lab.muxes(), 'a mux outlived its test'


# --------------------------------------------------------------------------
# answers
# --------------------------------------------------------------------------

@pytest.mark.parametrize('argv, rc, out, err', [
    (['sh', '-c', 'echo out; echo err >&2; exit 3'], 3, b'out\n', b'err\n'),
    ([b'/bin/sh', b'-c', b'printf "%s" "$1"; printf "%s" "$2" >&2', b'sh', b'\xff\xfeout', b'err\x80\n'],
     0, b'\xff\xfeout', b'err\x80\n'),
    (['/bin/sh', '-c', r'printf "\377\000\200"; printf "caf\303\251" >&2; kill -TERM $$'], 128 + 15,
     b'\xff\x00\x80', 'caf\u00e9'.encode()),
    (['/nonexistent/command'], 127, b'', None),
], ids=['exit-3', 'non-utf8-argv-and-output', 'killed-by-signal', 'no-such-command'])
def test_rc_stdout_stderr_come_back_byte_exact(lab, argv, rc, out, err):
    lab.add('c1')
    got_rc, got_out, got_err, head = lab.run('c1', argv)
    assert (got_rc, got_out) == (rc, out)
    if err is None:
        assert b'No such file or directory' in got_err
    else:
        assert got_err == err
    assert not head.get('fallback') and not head.get('lost') and not head.get('start_failed')


def test_a_3mb_stdin_goes_through_cat_unchanged(lab):
    lab.add('c1')
    data = os.urandom(3 * 1024 * 1024)
    rc, out, err, _head = lab.run('c1', ['cat'], data, stdin=True)
    assert (rc, err, len(out)) == (0, b'', len(data))
    assert hashlib.sha256(out).hexdigest() == hashlib.sha256(data).hexdigest()
    # Without stdin the command reads end of file at once (never the agent's own pipe).
    assert lab.run('c1', ['cat'])[:3] == (0, b'', b'')
    assert lab.run('c1', ['cat'], b'', stdin=True)[:3] == (0, b'', b'')


# --------------------------------------------------------------------------
# persistence and concurrency
# --------------------------------------------------------------------------

def test_sequential_requests_share_one_agent_and_one_spawn(lab):
    lab.add('c1')
    first = lab.run('c1', PPID)
    second = lab.run('c1', PPID)
    assert first[0] == second[0] == 0
    assert first[1] == second[1]
    assert lab.pids('c1') == [int(first[1])]
    assert lab.spawns == 1
    assert len(lab.calls()) == 1
    assert os.stat(lab.sock).st_mode & 0o777 == 0o600
    # The lock: a second mux for the same socket gives way.
    assert _podman_mux.spawn_mux(lab.sock, lab.idle, [str(lab.podman)]) == 'busy'
    assert _wait(lambda: len(lab.muxes()) == 1, 5)
    assert lab.run('c1', PPID)[1] == first[1]


def test_each_user_gets_its_own_agents(lab):
    lab.add('c1')
    probe = ['/bin/sh', '-c', 'echo "$FAKE_PODMAN_USER $PPID"']
    mail = lab.run('c1', probe, user='mail')[1].split()
    default = lab.run('c1', probe)[1].split()
    assert mail[0] == b'mail' and len(default) == 1
    assert mail[1] != default[0]
    assert lab.run('c1', probe, user='mail')[1].split() == mail
    assert [call[:5] for call in lab.calls()] == [['exec', '-i', '--user', 'mail', 'c1'],
                                                  ['exec', '-i', 'c1', '/bin/sh', '-c']]
    assert lab.calls()[1][3:] == ['/bin/sh', '-c', _podman_mux.BOOT, 'sh', _podman_mux.LOADER]


def test_concurrent_requests_run_in_parallel_agents(lab):
    lab.add('c1')
    count = 8
    results = [None] * count
    barrier = threading.Barrier(count)

    def work(index):
        barrier.wait()
        try:
            results[index] = lab.run('c1', ['/bin/sh', '-c', 'sleep 0.5; echo $PPID'])
        except Exception as exc:  # noqa: BLE001 -- reported by the assertion below
            results[index] = exc

    threads = [threading.Thread(target=work, args=(index,)) for index in range(count)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    elapsed = time.monotonic() - started
    assert all(isinstance(result, tuple) and result[0] == 0 and not result[2] for result in results), results
    agents = {int(result[1]) for result in results}
    assert len(agents) > 1
    assert agents <= set(lab.pids('c1'))
    assert elapsed < 2.5, 'serialised? %.2f s for %d x 0.5 s' % (elapsed, count)
    assert len(lab.muxes()) == 1
    # Up to MAX_IDLE agents stay pooled (the next request starts none); the rest of the burst's end.
    started_agents = len(lab.pids('c1'))
    assert int(lab.run('c1', PPID)[1]) in agents
    assert len(lab.pids('c1')) == started_agents
    assert _wait(lambda: sum(_alive(pid) for pid in lab.pids('c1')) == _podman_mux.MAX_IDLE, 5), \
        [pid for pid in lab.pids('c1') if _alive(pid)]


# --------------------------------------------------------------------------
# containers that are not there, or have no python
# --------------------------------------------------------------------------

def test_unknown_container_gives_podmans_error_and_125(lab):
    rc, out, err, head = lab.run('ghost', PPID)
    assert (rc, out) == (125, b'')
    assert err.startswith(b'Error: no container with name or ID "ghost" found: no such container')
    assert not head.get('fallback') and head.get('start_failed') is True
    # Nothing is remembered: the next request asks podman again, and works once the container is there.
    lab.add('ghost')
    assert lab.run('ghost', PPID)[0] == 0
    assert len(lab.calls()) == 2


def test_container_without_python_asks_for_fallback(lab):
    lab.add('bare', 'nopython')
    rc, out, err, head = lab.run('bare', PPID)
    assert head.get('fallback') is True and head.get('start_failed') is True
    assert (rc, out) == (127, b'')
    assert b'no python3' in err
    assert lab.pids('bare') == []


def test_a_session_that_writes_much_to_stderr_does_not_block(lab):
    """podman's stderr is drained all the time: 200 KB of it (more than a pipe holds) neither stalls
    the session's start nor its commands."""
    lab.add('loud', 'noisy')
    start = time.monotonic()
    for _run in range(2):
        rc, out, err, head = lab.run('loud', ['echo', 'hi'])
        assert (rc, out, err) == (0, b'hi\n', b'') and not head.get('fallback'), (rc, out, err[:100], head)
    assert time.monotonic() - start < 5
    assert len(lab.pids('loud')) == 1


def test_lost_agent_is_replaced_and_a_removed_container_reports_125(lab):
    lab.add('c1')
    first = int(lab.run('c1', PPID)[1])
    # The container is removed: its podman exec session ends.
    lab.remove('c1')
    os.kill(first, signal.SIGKILL)
    assert _wait(lambda: not _alive(first), 5)
    rc, out, err, head = lab.run('c1', PPID)
    assert (rc, out) == (125, b'')
    assert err.startswith(b'Error: no container with name or ID "c1" found')
    assert not head.get('fallback') and not head.get('lost')
    # ... and recreated.
    lab.add('c1')
    rc, out, _err, _head = lab.run('c1', PPID)
    assert rc == 0
    second = int(out)
    assert second != first
    assert lab.pids('c1') == [first, second]
    assert lab.spawns == 1


def test_agent_lost_during_a_command_is_reported_and_replaced(lab):
    lab.add('c1')
    first = int(lab.run('c1', PPID)[1])
    rc, _out, _err, head = lab.run('c1', ['/bin/sh', '-c', 'kill -KILL $PPID; sleep 0.2'])
    assert rc == 255 and head.get('lost')
    rc, out, _err, head = lab.run('c1', PPID)
    assert rc == 0 and not head.get('lost')
    assert int(out) not in (first, 0)
    assert lab.pids('c1') == [first, int(out)]


# --------------------------------------------------------------------------
# the mux's own life
# --------------------------------------------------------------------------

def test_mux_dying_during_a_command_raises_ran(lab):
    lab.add('c1')
    lab.run('c1', ['true'])
    [mux] = lab.muxes()
    killer = threading.Timer(0.3, os.kill, (mux, signal.SIGKILL))
    killer.start()
    try:
        with pytest.raises(_podman_mux.MuxError) as caught:
            lab.run('c1', ['sleep', '1'])
    finally:
        killer.join()
    assert caught.value.ran is True


def test_idle_mux_exits_and_a_new_one_starts_on_demand(lab):
    lab.idle = 2
    lab.add('c1')
    first_agent = int(lab.run('c1', PPID)[1])
    [first_mux] = lab.muxes()
    assert _wait(lambda: not os.path.exists(lab.sock), lab.idle + 4), 'the idle mux kept its socket'
    assert _wait(lambda: not _alive(first_mux, lab.sock.encode()) and not _alive(first_agent), 6)
    rc, out, _err, _head = lab.run('c1', PPID)
    assert rc == 0 and int(out) != first_agent
    assert lab.spawns == 2
    assert first_mux not in lab.muxes() and len(lab.muxes()) == 1


def test_stale_socket_of_a_dead_mux_is_replaced(lab):
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(lab.sock)
    stale.close()
    assert os.path.exists(lab.sock)
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with pytest.raises(ConnectionRefusedError):
        probe.connect(lab.sock)
    probe.close()
    lab.add('c1')
    rc, out, _err, _head = lab.run('c1', ['echo', 'hello'])
    assert (rc, out) == (0, b'hello\n')
    assert lab.spawns == 1


def test_no_mux_raises_not_ran_within_the_connect_timeout(lab):
    """While another mux holds the lock ('busy'), request() retries until its connect timeout."""
    calls = []

    def spawn():
        calls.append(time.monotonic())
        return 'busy'

    started = time.monotonic()
    with pytest.raises(_podman_mux.MuxError) as caught:
        _podman_mux.request(lab.sock, 'c1', None, ['true'], None, False, spawn, connect_timeout=1.0)
    elapsed = time.monotonic() - started
    assert caught.value.ran is False
    assert 1.0 <= elapsed < 1.5
    assert len(calls) > 1
    assert not os.path.exists(lab.sock)


@pytest.mark.parametrize('outcome', ['', None, OSError('cannot fork')])
def test_a_mux_that_cannot_start_fails_at_once(lab, outcome):
    """A mux that did not start (no answer, or an error starting it) is not retried for the whole
    connect timeout: the caller falls back to a podman exec per command at once."""
    calls = []

    def spawn():
        calls.append(1)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    started = time.monotonic()
    with pytest.raises(_podman_mux.MuxError) as caught:
        _podman_mux.request(lab.sock, 'c1', None, ['true'], None, False, spawn, connect_timeout=5.0)
    assert caught.value.ran is False
    assert time.monotonic() - started < 1.0 and calls == [1]


def test_a_control_dir_others_can_write_is_refused(lab, tmp_path):
    """The socket directory must be the user's own and closed to others: a shared one is refused
    before any mux starts there (someone else could answer in our name)."""
    shared = tempfile.mkdtemp(dir='/tmp')
    try:
        os.chmod(shared, 0o777)
        with pytest.raises(_podman_mux.MuxError) as caught:
            _podman_mux.spawn_mux(os.path.join(shared, 'mux'), 2, [str(lab.podman)])
        assert caught.value.ran is False and 'no one else can write' in str(caught.value)
        assert os.listdir(shared) == []
        os.chmod(shared, 0o700)
        made = os.path.join(shared, 'new')
        _podman_mux.check_control_dir(made)
        assert stat.S_IMODE(os.stat(made).st_mode) == 0o700
    finally:
        shutil.rmtree(shared, ignore_errors=True)
