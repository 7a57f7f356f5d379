# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: podman_exec
short_description: Run tasks in podman containers with one C(podman exec) per module (pipelining)
description:
  - Runs commands in a running podman container with C(podman exec), like C(containers.podman.podman),
    but supports pipelining, so that a module costs one C(podman exec) (its code is sent on stdin)
    instead of a mount, a temporary directory, a copy and an exec.
  - Files are copied with C(podman exec -i ... cat), which never pauses the container (C(podman cp) does).
  - This is the transport of the collection's podman lab (C(lab/)), whose hosts stand in for the
    SSH-managed hosts of a real fleet, where the C(ssh) connection with pipelining plays the same role.
  - Privilege escalation is not supported; the tasks run as the container's user (root in the lab).
  - Like C(ssh) with C(ControlPersist), it keeps one C(podman exec) session per container open between tasks
    (for O(control_persist) seconds), so that a command costs a message to a running Python in the container
    instead of a new podman client, conmon and runc (about 0.16 s of CPU each). A container without Python
    gets a plain C(podman exec) per command.
author:
  - mailops team
version_added: 0.1.0
extends_documentation_fragment:
  - ansible.builtin.connection_pipelining
options:
  remote_addr:
    description:
      - The name or ID of the container.
    type: str
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
      - name: ansible_podman_host
  remote_user:
    description:
      - The user to run commands as inside the container (C(podman exec --user)); empty for the container's user.
    type: str
    vars:
      - name: ansible_user
  podman_executable:
    description:
      - The podman command on the controller.
    type: str
    default: podman
    vars:
      - name: ansible_podman_executable
    env:
      - name: ANSIBLE_PODMAN_EXECUTABLE
  podman_extra_args:
    description:
      - Extra global arguments for podman, placed before the subcommand (for example C(--log-level debug)).
    type: str
    default: ''
    vars:
      - name: ansible_podman_extra_args
    env:
      - name: ANSIBLE_PODMAN_EXTRA_ARGS
  control_persist:
    description:
      - Seconds a container's C(podman exec) session, and the local process that holds it, stay open without
        a command (as C(ControlPersist) for C(ssh)). C(0) runs a new C(podman exec) for every command.
      - The sessions run C(python3) in the container; a container without it falls back to one C(podman exec) per command.
    type: int
    default: 60
    vars:
      - name: ansible_podman_control_persist
    env:
      - name: ANSIBLE_PODMAN_CONTROL_PERSIST
    version_added: 0.1.0
  control_path_dir:
    description:
      - Directory of the unix socket (mode C(0600), in a C(0700) directory) through which the tasks reach the
        process that holds the sessions.
    type: path
    default: ~/.ansible/cp
    vars:
      - name: ansible_podman_control_path_dir
    env:
      - name: ANSIBLE_PODMAN_CONTROL_PATH_DIR
    version_added: 0.1.0
"""

EXAMPLES = r"""
# inventory (group_vars/all.yml): every host is a running container named after ansible_host
# ansible_connection: mailops.sendmail.podman_exec
# ansible_pipelining: true
# ansible_host: "lab-{{ inventory_hostname }}"
"""

import hashlib
import json
import os
import shlex
import shutil
import subprocess

from ansible.errors import AnsibleConnectionFailure, AnsibleError, AnsibleFileNotFound
from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display

from ansible_collections.mailops.sendmail.plugins.plugin_utils import _podman_mux

display = Display()

# Copy into / out of the container without a shell-quoting step: the path is "$1".
_WRITE = 'cat > "$1"'
_READ = 'cat -- "$1"'
_MAX_SOCKET_PATH = 100                  # sun_path holds 108 bytes
_MAX_SESSION_FILE = 64 * 1024 * 1024    # larger files are not copied through the session (held in memory)


class Connection(ConnectionBase):
    """podman exec with pipelining."""

    transport = 'mailops.sendmail.podman_exec'
    has_pipelining = True

    def __init__(self, *args, **kwargs):
        super(Connection, self).__init__(*args, **kwargs)
        self._podman_cmd = None
        self._direct = False        # no agent possible in this container: plain podman exec

    def _connect(self):
        if not self._connected:
            executable = self.get_option('podman_executable')
            self._podman_cmd = shutil.which(executable)
            if not self._podman_cmd:
                raise AnsibleConnectionFailure('%s command not found in PATH' % executable)
            self._connected = True
        return self

    def _container(self):
        return self.get_option('remote_addr') or self._play_context.remote_addr

    def _podman_argv(self):
        return [self._podman_cmd] + shlex.split(self.get_option('podman_extra_args') or '')

    def _exec_argv(self, argv, interactive):
        cmd = self._podman_argv() + ['exec']
        if interactive:
            cmd.append('-i')
        user = self.get_option('remote_user')
        if user:
            cmd += ['--user', user]
        cmd.append(self._container())
        return [to_bytes(part, errors='surrogate_or_strict') for part in cmd + list(argv)]

    def _sock_path(self, persist):
        """One mux per podman set-up (command, global arguments, the environment podman reads) and per
        version of the holder's code."""
        key = json.dumps([_podman_mux.CODE_ID, self._podman_argv(), persist, sorted(
            (name, value) for name, value in os.environ.items()
            if name.startswith(('CONTAINERS_', 'CONTAINER_', 'XDG_')) or name in ('HOME', 'PATH'))])
        directory = os.path.expanduser(self.get_option('control_path_dir'))
        return os.path.join(directory, 'podman-%s' % hashlib.sha256(key.encode()).hexdigest()[:16])

    def _persistent(self):
        """The socket of the session holder, or None for a podman exec per command."""
        persist = self.get_option('control_persist')
        if not persist or persist <= 0 or self._direct:
            return None
        sock_path = self._sock_path(persist)
        if len(os.fsencode(sock_path)) > _MAX_SOCKET_PATH:
            display.warning('podman_exec: control_path_dir %s is too long for a unix socket; running podman exec '
                            'per command' % self.get_option('control_path_dir'))
            self._direct = True
            return None
        return sock_path

    def _run_persistent(self, sock_path, argv, data, interactive):
        """(rc, stdout, stderr) through the container's persistent session; None to run podman exec."""
        persist = self.get_option('control_persist')
        user = self.get_option('remote_user')
        try:
            rc, stdout, stderr, head = _podman_mux.request(
                sock_path, self._container(), user, argv, data, interactive,
                spawn=lambda: _podman_mux.spawn_mux(sock_path, persist, self._podman_argv()))
        except _podman_mux.MuxError as exc:
            if exc.ran:
                raise AnsibleConnectionFailure('podman exec in container %s: %s' % (self._container(), exc))
            display.warning('podman exec session for %s not available (%s); running podman exec per command'
                            % (self._container(), exc))
            self._direct = True
            return None
        if head.get('lost'):
            raise AnsibleConnectionFailure('podman exec in container %s: %s' % (self._container(), head['lost']))
        if head.get('fallback'):
            display.vvv('no python3 for a persistent session (%s); podman exec per command'
                        % to_native(stderr).strip(), host=self._container())
            self._direct = True
            return None
        if head.get('start_failed') and rc != 125:      # 125: podman's own error, reported by exec_command
            raise AnsibleConnectionFailure('podman exec session in container %s did not start (rc %d): %s'
                                           % (self._container(), rc, to_native(stderr).strip()))
        return rc, stdout, stderr

    def _run(self, argv, in_data=None, stdin=None):
        interactive = in_data is not None or stdin is not None
        cmd = self._exec_argv(argv, interactive)
        display.vvv('EXEC %s' % to_native(b' '.join(shlex.quote(to_native(c)).encode() for c in cmd)),
                    host=self._container())
        sock_path = self._persistent()
        if stdin is not None and sock_path and os.fstat(stdin.fileno()).st_size > _MAX_SESSION_FILE:
            sock_path = None            # a large file goes through a podman exec of its own, read as it streams
        if sock_path:
            if stdin is not None:
                in_data, stdin = stdin.read(), None
            done = self._run_persistent(sock_path, argv, in_data, interactive)
            if done is not None:
                return done
        if stdin is None:
            stdin = subprocess.PIPE if interactive else subprocess.DEVNULL
        proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        stdout, stderr = proc.communicate(input=in_data)
        return proc.returncode, stdout, stderr

    def exec_command(self, cmd, in_data=None, sudoable=False):
        super(Connection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)
        self._connect()
        rc, stdout, stderr = self._run(shlex.split(to_native(cmd, errors='surrogate_or_strict')), in_data=in_data)
        # podman's own failures (no such container, container stopped) exit 125 with "Error: ...".
        if rc == 125 and stderr.lstrip().startswith(b'Error: '):
            raise AnsibleConnectionFailure('podman exec in container %s failed (rc %d): %s'
                                           % (self._container(), rc, to_native(stderr).strip()))
        return rc, stdout, stderr

    def put_file(self, in_path, out_path):
        super(Connection, self).put_file(in_path, out_path)
        self._connect()
        display.vvv('PUT %s TO %s' % (in_path, out_path), host=self._container())
        try:
            with open(to_bytes(in_path, errors='surrogate_or_strict'), 'rb') as source:
                rc, _stdout, stderr = self._run(['/bin/sh', '-c', _WRITE, 'sh', out_path], stdin=source)
        except FileNotFoundError:
            raise AnsibleFileNotFound('file or module does not exist: %s' % to_native(in_path))
        if rc != 0:
            raise AnsibleError('failed to write %s in container %s: %s'
                               % (out_path, self._container(), to_native(stderr).strip()))

    def fetch_file(self, in_path, out_path):
        super(Connection, self).fetch_file(in_path, out_path)
        self._connect()
        display.vvv('FETCH %s TO %s' % (in_path, out_path), host=self._container())
        rc, stdout, stderr = self._run(['/bin/sh', '-c', _READ, 'sh', in_path])
        if rc != 0:
            raise AnsibleError('failed to read %s in container %s: %s'
                               % (in_path, self._container(), to_native(stderr).strip()))
        with open(to_bytes(out_path, errors='surrogate_or_strict'), 'wb') as target:
            target.write(stdout)

    def close(self):
        self._connected = False
