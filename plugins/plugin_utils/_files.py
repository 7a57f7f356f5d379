# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compare what mailops.sendmail.host_state reported about a file with what it should be."""

from __future__ import annotations

import hashlib

from ansible.errors import AnsibleFilterError


def _mode(value, name):
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    try:
        return int(text, 8)
    except ValueError:
        raise AnsibleFilterError('file_differs: %s must be an octal mode such as "0644", got %r' % (name, value))


def checksum_differs(state, checksum, owner=None, group=None, mode=None):
    """True unless `state` (one entry of host_state's `files`) is a regular file whose SHA-1 is
    `checksum` and, where given, with that owner, group and mode."""
    if state is None:
        return True
    if not isinstance(state, dict):
        raise AnsibleFilterError('file_differs: expected one entry of host_state files, got %r' % (state,))
    if not state.get('exists') or state.get('type') != 'file':
        return True
    if checksum != state.get('checksum'):
        return True
    if owner is not None and str(owner) != str(state.get('owner')):
        return True
    if group is not None and str(group) != str(state.get('group')):
        return True
    if mode is not None and _mode(mode, 'mode') != _mode(state.get('mode'), 'the reported mode'):
        return True
    return False


def file_differs(state, content, owner=None, group=None, mode=None):
    """True unless `state` (one entry of host_state's `files`) is a regular file with exactly
    `content` (text, written as UTF-8) and, where given, that owner, group and mode."""
    if not isinstance(content, str):
        raise AnsibleFilterError('file_differs: content must be text, got %s' % type(content).__name__)
    return checksum_differs(state, hashlib.sha1(content.encode('utf-8')).hexdigest(), owner, group, mode)


# The mode bits a kept mode keeps: read and write for the owner, read for group and others. Write for
# group or others, execute, set-id and sticky bits are dropped: no data file of a mail server needs them,
# and sendmail refuses group- or world-writable class files and maps.
KEEP_MODE_MASK = 0o644


def kept_attributes(state, owner=None, group=None, mode=None):
    """The owner, group and mode a file must have when the host's own are kept: those of `state` (one entry
    of host_state's `files`) for an existing regular file, its mode less the bits of KEEP_MODE_MASK's
    complement; the given ones for a new file (or one that is not a regular file)."""
    if isinstance(state, dict) and state.get('exists') and state.get('type') == 'file' \
            and state.get('owner') is not None and state.get('mode') is not None:
        return dict(owner=str(state['owner']), group=str(state.get('group')),
                    mode='%04o' % (_mode(state['mode'], 'the reported mode') & KEEP_MODE_MASK))
    return dict(owner=owner, group=group, mode=None if mode is None else '%04o' % _mode(mode, 'mode'))
