# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Persistent podman exec sessions for the podman_exec connection: the lab's ControlPersist.

A plain ``podman exec`` costs about 0.16 s of CPU and as much latency on the
controller (the podman client, conmon and runc start for every command), and
Ansible runs one or more per task. SSH solves the same problem with a master
connection that outlives the task (ControlPersist). This is that for podman:

* The *mux* is this file run as a script by the first worker that needs it
  (``python3 _podman_mux.py SOCKET IDLE PODMAN_ARGV_JSON``). It detaches, listens
  on a unix socket (mode 0600) and exits after IDLE seconds without a request.
  A lock file next to the socket makes sure one mux serves one socket.
* For each container (and user) the mux keeps *agents*: ``podman exec -i
  CONTAINER python3 -c AGENT`` sessions. An agent reads one request at a time
  (argv, stdin bytes), runs it with ``subprocess`` inside the container and
  answers rc, stdout and stderr. Idle agents are pooled; concurrent requests
  to one container (delegation from many hosts) get agents of their own.
* A worker (``request()``) connects, sends its command and reads the answer.
  The mux acknowledges a request with one byte before it runs anything, so a
  worker that gets no acknowledgement knows nothing ran and may start a new mux.

Framing, everywhere: one JSON line, then the byte blocks it announces.
Only the standard library is used: the mux runs without Ansible's imports.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import select
import socket
import stat
import struct
import subprocess
import sys
import threading
import time

PROTOCOL = 1
ACK = b'+'
# What runs inside the container: a loop over requests on stdin. Children get
# /dev/null or a pipe as stdin, never the agent's own pipes, and the environment
# podman exec gave the agent.
AGENT = r'''
import json, os, subprocess, sys
os.environ.pop("PYTHONCOERCECLOCALE", None)   # set by BOOT so that Python leaves the locale as podman exec gives it
os.environ.pop("PWD", None)                   # set by BOOT's shell; podman exec gives none
r, w = sys.stdin.buffer, sys.stdout.buffer
def send(head, *blocks):
    w.write(json.dumps(head).encode() + b"\n")
    for block in blocks:
        w.write(block)
    w.flush()
send({"agent": %d})
while True:
    line = r.readline()
    if not line:
        break
    req = json.loads(line)
    if req.get("ping"):
        send({"pong": 1})
        continue
    data = r.read(req["size"])
    argv = [a.encode("utf-8", "surrogateescape") for a in req["argv"]]
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE if req["stdin"] else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = proc.communicate(data if req["stdin"] else None)
        rc = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
    except OSError as exc:
        out, err, rc = b"", ("%%s\n" %% exc).encode(), 126 if isinstance(exc, PermissionError) else 127
    send({"rc": rc, "out": len(out), "err": len(err)}, out, err)
''' % PROTOCOL
# Start the agent with the container's python3, wherever it is; 127 when there is none. LOADER
# reads AGENT (one JSON string) from the first line of stdin, so that a process listing shows
# one short line per session.
BOOT = ('export PYTHONCOERCECLOCALE=0; for p in python3 /usr/bin/python3 /usr/libexec/platform-python; do '
        'command -v "$p" >/dev/null 2>&1 && exec "$p" -c "$1"; done; exit 127')
LOADER = 'import json, sys; exec(json.loads(sys.stdin.buffer.readline()))  # mailops podman_exec session'
STDERR_KEEP = 65536         # bytes of a session's stderr kept for its error message
AGENT_START_TIMEOUT = 30
MAX_IDLE = 2                # idle sessions kept per container (each holds a podman client, about 15 MB)


def _code_id():
    """A digest of this file: a holder started by other code (an upgrade) is not reused."""
    with open(os.path.abspath(__file__), 'rb') as source:
        return hashlib.sha256(source.read()).hexdigest()[:16]


CODE_ID = _code_id()


class MuxError(Exception):
    """The mux could not be reached or lost the command; ``ran`` says whether it may have run."""

    def __init__(self, message, ran):
        super(MuxError, self).__init__(message)
        self.ran = ran


# --------------------------------------------------------------------------
# framing
# --------------------------------------------------------------------------

def _read_exact(stream, size):
    """size bytes from a binary file object (None at end of file before them)."""
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b''.join(chunks)


def _head(stream):
    line = stream.readline()
    if not line.endswith(b'\n'):
        return None
    return json.loads(line)


def _frame(head, *blocks):
    """One message: the JSON line, then the byte blocks it announces."""
    return json.dumps(head).encode() + b'\n' + b''.join(blocks)


def _read_answer(stream):
    """(head, stdout, stderr) of one answer (its head announces 'out' and 'err' bytes); None when the
    stream ends before the whole answer."""
    head = _head(stream)
    if head is None:
        return None
    out = _read_exact(stream, head.get('out', 0))
    err = _read_exact(stream, head.get('err', 0))
    if out is None or err is None:
        return None
    return head, out, err


def _encode_argv(argv):
    return [a.decode('utf-8', 'surrogateescape') if isinstance(a, bytes) else a for a in argv]


# --------------------------------------------------------------------------
# the worker's side
# --------------------------------------------------------------------------

def _peer_uid(sock):
    _pid, uid, _gid = struct.unpack('3i', sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize('3i')))
    return uid


def check_control_dir(directory):
    """Make the socket directory (0700) or refuse one that others could write or that is not ours."""
    os.makedirs(directory, mode=0o700, exist_ok=True)
    info = os.lstat(directory)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise MuxError('%s must be a directory of this user that no one else can write' % directory, ran=False)


def request(sock_path, container, user, argv, data, stdin, spawn, connect_timeout=10.0):
    """Run argv in the container through the mux at sock_path; return (rc, stdout, stderr, head).

    data: the bytes for the command's stdin (when stdin is true). spawn(): starts a
    mux for sock_path (called when none answers). head carries 'fallback': true when
    the container has no Python for an agent (the caller then runs podman exec itself).
    Raises MuxError.
    """
    payload = _frame(dict(container=container, user=user or '', argv=_encode_argv(argv),
                          stdin=bool(stdin), size=len(data or b'')), data or b'')
    deadline = time.monotonic() + connect_timeout
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(sock_path)
            if _peer_uid(sock) != os.getuid():     # somebody else's socket: never hand it a command
                sock.close()
                raise MuxError('%s belongs to another user' % sock_path, ran=False)
            sock.sendall(payload)
            stream = sock.makefile('rb')
            ack = stream.read(1)
        except OSError:
            ack = b''
        if ack == ACK:
            break
        sock.close()
        # Nothing ran: no mux, a stale socket, or a mux that was shutting down.
        if time.monotonic() > deadline:
            raise MuxError('no podman exec mux answered on %s' % sock_path, ran=False)
        try:
            started = spawn()
        except OSError as exc:
            raise MuxError('cannot start a podman exec mux on %s: %s' % (sock_path, exc), ran=False)
        if started == 'busy':
            time.sleep(0.05)        # another mux is starting, or one is shutting down and holds the lock
        elif started != 'ready':
            raise MuxError('the podman exec mux for %s did not start (%r)' % (sock_path, started), ran=False)
    try:
        answer = _read_answer(stream)
    except (OSError, ValueError) as exc:
        raise MuxError('the connection to the podman exec mux failed during the command: %s' % exc, ran=True)
    finally:
        sock.close()
    if answer is None:
        raise MuxError('the podman exec mux closed the connection before its whole answer', ran=True)
    head, out, err = answer
    return head.get('rc', 255), out, err, head


def spawn_mux(sock_path, idle, podman_argv, python=None, timeout=15.0):
    """Start a mux for sock_path and wait until it listens (or another one holds the lock)."""
    check_control_dir(os.path.dirname(sock_path))
    cmd = [python or sys.executable, os.path.abspath(__file__), sock_path, str(idle), json.dumps(podman_argv)]
    # New session, no inherited pipes: the mux must not hold the playbook's output open.
    with open(os.devnull, 'rb') as devnull_in:
        proc = subprocess.Popen(cmd, stdin=devnull_in, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                close_fds=True, start_new_session=True)
    try:
        ready, _w, _x = select.select([proc.stdout], [], [], timeout)
        line = proc.stdout.readline() if ready else b''
    finally:
        proc.stdout.close()
    # The mux forks and its first process exits at once: no zombie is left to the worker.
    proc.wait()
    return line.strip().decode('ascii', 'replace')


# --------------------------------------------------------------------------
# the mux
# --------------------------------------------------------------------------

class AgentGone(Exception):
    pass


class Agent(object):
    """One `podman exec -i CONTAINER python3 -c AGENT` session."""

    def __init__(self, podman_argv, container, user):
        cmd = list(podman_argv) + ['exec', '-i']
        if user:
            cmd += ['--user', user]
        cmd += [container, '/bin/sh', '-c', BOOT, 'sh', LOADER]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     close_fds=True)
        self.used = time.monotonic()
        # Drain stderr all the time (podman may write much, e.g. with --log-level debug): keep its tail.
        self.stderr = b''
        self.drain = threading.Thread(target=self._drain, daemon=True)
        self.drain.start()

    def _drain(self):
        while True:
            chunk = self.proc.stderr.read1(8192)
            if not chunk:
                return
            self.stderr = (self.stderr + chunk)[-STDERR_KEEP:]

    def start(self):
        """None when the agent answered; else (rc, stderr) of the failed podman exec."""
        head = None
        try:
            self.proc.stdin.write(_frame(AGENT))
            self.proc.stdin.flush()
            ready, _w, _x = select.select([self.proc.stdout], [], [], AGENT_START_TIMEOUT)
            if ready:
                head = _head(self.proc.stdout)
        except (OSError, ValueError):
            head = None
        if head and head.get('agent') == PROTOCOL:
            return None
        self.close(kill=True)
        rc = self.proc.wait()
        self.drain.join(5)
        err = self.stderr
        if not rc or rc < 0:
            err += b'the podman exec session started no agent (exit %d)\n' % rc
            rc = 255
        return rc, err

    def alive(self):
        """Whether the session still answers (a container removed since drops it)."""
        if self.proc.poll() is not None:
            return False
        try:
            self._send({'ping': 1}, b'')
            ready, _w, _x = select.select([self.proc.stdout], [], [], 5)
            return bool(ready) and (_head(self.proc.stdout) or {}).get('pong') == 1
        except (OSError, ValueError):
            return False

    def _send(self, head, data):
        self.proc.stdin.write(_frame(head, data))
        self.proc.stdin.flush()

    def run(self, argv, data, stdin):
        try:
            self._send(dict(argv=argv, stdin=stdin, size=len(data)), data)
            answer = _read_answer(self.proc.stdout)
        except (OSError, ValueError) as exc:
            raise AgentGone('the podman exec session failed during the command: %s' % exc)
        if answer is None:
            raise AgentGone('the podman exec session ended before its whole answer')
        head, out, err = answer
        self.used = time.monotonic()
        return head['rc'], out, err

    def close(self, kill=False):
        try:
            self.proc.stdin.close()         # the agent reads end of file and exits
        except OSError:
            pass
        if kill and self.proc.poll() is None:
            self.proc.kill()


class Mux(object):
    def __init__(self, sock_path, idle, podman_argv):
        self.sock_path = sock_path
        self.idle = idle
        self.podman_argv = podman_argv
        self.lock = threading.Lock()
        self.pool = {}              # (container, user) -> [idle Agent]
        self.closing = []           # closed agents not yet reaped
        self.active = 0
        self.last = time.monotonic()
        self.idle_now = threading.Event()

    def checkout(self, key):
        while True:
            with self.lock:
                agents = self.pool.get(key, [])
                agent = agents.pop() if agents else None
            if agent is None:
                break
            if agent.alive():
                return agent, None
            self.retire(agent, kill=True)
        agent = Agent(self.podman_argv, key[0], key[1])
        failure = agent.start()
        return (None, failure) if failure else (agent, None)

    def retire(self, agent, kill=False):
        with self.lock:
            self._retire(agent, kill)

    def _retire(self, agent, kill=False):
        """Close an agent and keep it until its process is reaped (the caller holds self.lock)."""
        agent.close(kill=kill)
        self.closing.append(agent)

    def checkin(self, key, agent):
        """Pool an agent for the next request; beyond MAX_IDLE per container (left by a burst of
        parallel requests, such as 20 hosts' relay probes from one host) it is closed."""
        with self.lock:
            agents = self.pool.setdefault(key, [])
            if len(agents) < MAX_IDLE:
                agents.append(agent)
                return
        self.retire(agent)

    def serve_client(self, conn):
        """Serve one worker's request (the accept loop counted it in self.active)."""
        try:
            conn.sendall(ACK)
            stream = conn.makefile('rb')
            head = _head(stream)
            data = _read_exact(stream, head['size']) if head and head['size'] else b''
            if head is None or data is None:
                return
            key = (head['container'], head.get('user') or '')
            agent, failure = self.checkout(key)
            if failure:
                rc, err = failure
                # 127/126: no Python in the container; the worker runs podman exec itself.
                conn.sendall(_frame(dict(rc=rc, out=0, err=len(err), fallback=rc in (126, 127), start_failed=True),
                                    err))
                return
            try:
                rc, out, err = agent.run(head['argv'], data, head['stdin'])
            except AgentGone as exc:
                self.retire(agent, kill=True)
                conn.sendall(_frame(dict(rc=255, out=0, err=0, lost=str(exc))))
                return
            self.checkin(key, agent)
            conn.sendall(_frame(dict(rc=rc, out=len(out), err=len(err)), out, err))
        except (OSError, ValueError, KeyError):
            pass
        finally:
            conn.close()
            with self.lock:
                self.active -= 1
                self.last = time.monotonic()

    def admit(self):
        """Whether the accept loop may serve a new connection (not once the mux decided to exit)."""
        with self.lock:
            if self.idle_now.is_set():
                return False
            self.active += 1
            self.last = time.monotonic()
            return True

    def reap(self):
        """Close agents idle for longer than the idle time; set idle_now when the mux itself is idle."""
        now = time.monotonic()
        with self.lock:
            for key, agents in list(self.pool.items()):
                keep = []
                for agent in agents:
                    if now - agent.used > self.idle or agent.proc.poll() is not None:
                        self._retire(agent)
                    else:
                        keep.append(agent)
                self.pool[key] = keep
            self.closing = [agent for agent in self.closing if agent.proc.poll() is None]
            if self.active == 0 and now - self.last > self.idle:
                self.idle_now.set()     # under the lock: admit() sees it before it counts a new request

    def shutdown(self):
        with self.lock:
            for agents in self.pool.values():
                for agent in agents:
                    self._retire(agent)
            self.pool = {}


def _listen(sock_path):
    """The listening socket, or None when another mux holds the lock."""
    lock_fd = os.open(sock_path + '.lock', os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            os.close(lock_fd)
            return None, None, None
        raise
    try:
        os.unlink(sock_path)            # a stale socket of a mux that is gone
    except FileNotFoundError:
        pass
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        server.bind(sock_path)
    finally:
        os.umask(old)
    server.listen(128)
    return server, lock_fd, os.stat(sock_path).st_ino


def main(argv):
    sock_path, idle, podman_argv = argv[1], float(argv[2]), json.loads(argv[3])
    # Detach: the worker that started us waits for the first process only.
    if os.fork():
        os._exit(0)
    os.chdir('/')                   # pin no directory of the worker that started us
    server, lock_fd, inode = _listen(sock_path)
    sys.stdout.write('ready\n' if server else 'busy\n')
    sys.stdout.flush()
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)
    if server is None:
        return 0
    mux = Mux(sock_path, idle, podman_argv)

    def reaper():               # every second, also while requests keep coming
        while not mux.idle_now.wait(1.0):
            mux.reap()
    threading.Thread(target=reaper, daemon=True).start()
    server.settimeout(1.0)
    try:
        while not mux.idle_now.is_set():
            try:
                conn, _addr = server.accept()
            except socket.timeout:
                continue
            if not mux.admit():
                conn.close()    # no acknowledgement: the worker starts a new mux
                break
            conn.settimeout(None)
            threading.Thread(target=mux.serve_client, args=(conn,), daemon=True).start()
    finally:
        # Unlink first: a worker that connects from now on gets no acknowledgement and starts a new mux.
        try:
            if os.stat(sock_path).st_ino == inode:
                os.unlink(sock_path)
        except OSError:
            pass
        server.close()
        os.close(lock_fd)           # a new mux may start now; these sessions end on their own
        mux.shutdown()
        deadline = time.monotonic() + 5
        for agent in mux.closing:
            try:
                agent.proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                agent.proc.kill()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
