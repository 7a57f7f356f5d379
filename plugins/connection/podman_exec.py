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
author:
  - mailops team
version_added: 0.2.0
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
"""

EXAMPLES = r"""
# inventory (group_vars/all.yml): every host is a running container named after ansible_host
# ansible_connection: mailops.sendmail.podman_exec
# ansible_pipelining: true
# ansible_host: "lab-{{ inventory_hostname }}"
"""

import shlex
import shutil
import subprocess

from ansible.errors import AnsibleConnectionFailure, AnsibleError, AnsibleFileNotFound
from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display

display = Display()

# Copy into / out of the container without a shell-quoting step: the path is "$1".
_WRITE = 'cat > "$1"'
_READ = 'cat -- "$1"'


class Connection(ConnectionBase):
    """podman exec with pipelining."""

    transport = 'mailops.sendmail.podman_exec'
    has_pipelining = True

    def __init__(self, *args, **kwargs):
        super(Connection, self).__init__(*args, **kwargs)
        self._podman_cmd = None

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

    def _exec_argv(self, argv, interactive):
        cmd = [self._podman_cmd] + shlex.split(self.get_option('podman_extra_args') or '') + ['exec']
        if interactive:
            cmd.append('-i')
        user = self.get_option('remote_user')
        if user:
            cmd += ['--user', user]
        cmd.append(self._container())
        return [to_bytes(part, errors='surrogate_or_strict') for part in cmd + list(argv)]

    def _run(self, argv, in_data=None, stdin=None):
        interactive = in_data is not None or stdin is not None
        cmd = self._exec_argv(argv, interactive)
        display.vvv('EXEC %s' % to_native(b' '.join(shlex.quote(to_native(c)).encode() for c in cmd)),
                    host=self._container())
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
