# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller side of mailops.sendmail.install_files: which files to send, with what.

Every entry is rendered once, here (a template as ansible.builtin.template renders it, a role
file read, or the content given). With the host's state (mailops.sendmail.host_state) the text is
compared here too, and only what differs goes to the host: content, owner, group or mode, or a
built file older than its source (``built``), which only needs its rebuild command. The missing
directories of the files that go out come from the same state (``path_safety``).
"""

from __future__ import annotations

import hashlib

from ansible.errors import AnsibleActionFail, AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.mailops.sendmail.plugins.plugin_utils._render import render_template

# Keys the action resolves; the module gets content, attributes and commands (and the built file, which
# gets its default SELinux context after the rebuild).
_CONTROLLER_ONLY = ('template', 'file', 'vars', 'each', 'keep_attributes', 'triggers')

# The mode bits a kept mode keeps: read and write for the owner, read for group and others. Write for
# group or others, execute, set-id and sticky bits are dropped: no data file of a mail server needs them,
# and sendmail refuses group- or world-writable class files and maps.
KEEP_MODE_MASK = 0o644


def octal(value, name):
    """A mode given as "0644", 644 (read as octal digits) or an int, as an int."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(str(value).strip(), 8)
    except ValueError:
        raise AnsibleActionFail('%s must be an octal mode such as "0644", got %r' % (name, value))


def kept_attributes(state, owner=None, group=None, mode=None):
    """The owner, group and mode a file must have when the host's own are kept: those of ``state`` (one
    entry of host_state's ``files``) for an existing regular file, its mode less the bits outside
    KEEP_MODE_MASK; the given ones for a new file (or one that is not a regular file)."""
    if isinstance(state, dict) and state.get('exists') and state.get('type') == 'file' \
            and state.get('owner') is not None and state.get('mode') is not None:
        return dict(owner=str(state['owner']), group=str(state.get('group')),
                    mode='%04o' % (octal(state['mode'], 'the reported mode') & KEEP_MODE_MASK))
    return dict(owner=owner, group=group, mode=None if mode is None else '%04o' % octal(mode, 'mode'))


def differs(state, data, owner=None, group=None, mode=None):
    """True unless ``state`` (one entry of host_state's ``files``) is a regular file holding exactly the
    bytes ``data`` and, where given, with that owner, group and mode."""
    if not isinstance(state, dict) or not state.get('exists') or state.get('type') != 'file':
        return True
    if hashlib.sha1(data).hexdigest() != state.get('checksum'):
        return True
    if owner is not None and str(owner) != str(state.get('owner')):
        return True
    if group is not None and str(group) != str(state.get('group')):
        return True
    return mode is not None and octal(mode, 'mode') != octal(state.get('mode'), 'the reported mode')


def _stale(files, entry):
    """Whether the file built from this entry's file (``built``) is missing or older than it."""
    built, source = entry.get('built'), files.get(entry['path'], {})
    if not built or not source.get('exists'):
        return False
    if built not in files:
        raise AnsibleActionFail('the state has no entry for %s (built from %s): read it with host_state'
                                % (built, entry['path']))
    target = files[built]
    if not target.get('exists'):
        return True
    if 'mtime_ns' not in target or 'mtime_ns' not in source:
        raise AnsibleActionFail('the state of %s has no mtime_ns: read it with host_state' % entry['path'])
    return target['mtime_ns'] < source['mtime_ns']


def expand(files):
    """The entries with every ``each`` entry repeated per item: its path, owner, group and mode from the
    item (owner, group and mode default to the entry's), ``item`` among its template's variables."""
    out = []
    for entry in files:
        if entry.get('each') is None:
            if not entry.get('path'):
                raise AnsibleActionFail('install_files: an entry has neither path nor each: %r'
                                        % dict((k, v) for k, v in entry.items() if v not in (None, [], {})))
            out.append(entry)
            continue
        for item in entry['each']:
            if not isinstance(item, dict) or not item.get('path'):
                raise AnsibleActionFail('install_files: every item of each needs a path, got %r' % (item,))
            one = dict(entry, each=None, path=item['path'], id=item['path'], vars=dict(entry['vars'], item=item))
            for key in ('owner', 'group', 'mode'):
                if item.get(key) is not None:
                    one[key] = item[key]
            out.append(one)
    return out


def content_of(action, entry, task_vars):
    """The text of an entry: its template rendered, its role file read, or its content."""
    try:
        if entry.get('template'):
            return render_template(action, entry['template'], entry['path'], entry['vars'], task_vars)
        if entry.get('file'):
            with open(to_bytes(action._find_needle('files', entry['file'])), 'rb') as handle:
                return to_text(handle.read(), errors='surrogate_or_strict')
    except (AnsibleError, OSError, UnicodeError) as exc:
        raise AnsibleActionFail('install_files: %s (%s): %s' % (
            entry.get('template') or entry.get('file'), entry['path'], to_text(exc)))
    if entry.get('content') is None:
        raise AnsibleActionFail('install_files: %s: one of content, template and file is required' % entry['path'])
    return entry['content']


def plan(action, args, task_vars):
    """(the module arguments for what must go to the host or None when nothing must, {id: triggers})."""
    state = args.get('state')
    files = None if state is None else state.get('files')
    if state is not None and not isinstance(files, dict):
        raise AnsibleActionFail('install_files: state must be the result of mailops.sendmail.host_state')
    safety = (state or {}).get('path_safety') or {}
    send, triggers, directories = [], {}, list(args['directories'])
    for entry in expand(args['files']):
        key = entry.get('id') or entry['path']
        if key in triggers:
            raise AnsibleActionFail('install_files: the id %r is given twice' % key)
        # A file rebuilt into another (post_command) triggers only once that rebuild ran: a restart
        # for a sendmail.mc whose sendmail.cf failed to build would restart the old cf.
        triggers[key] = (list(entry.get('triggers') or []), entry.get('post_command') is not None)
        if files is not None and entry['path'] not in files:
            raise AnsibleActionFail('install_files: the state has no entry for %s: read it with host_state'
                                    % entry['path'])
        current = None if files is None else files[entry['path']]
        if entry.get('keep_attributes'):
            attributes = kept_attributes(current, entry.get('owner'), entry.get('group'), entry.get('mode'))
        else:
            attributes = dict(owner=entry.get('owner'), group=entry.get('group'), mode=entry.get('mode'))
        text = content_of(action, entry, task_vars)
        rebuild = bool(entry.get('rebuild'))
        if files is not None:
            rebuild = rebuild or _stale(files, entry)
            if not rebuild and not differs(current, to_bytes(text), **attributes):
                continue
        one = dict((k, v) for k, v in entry.items() if k not in _CONTROLLER_ONLY)
        one.update(attributes, id=key, content=text, rebuild=rebuild)
        send.append(one)
        for directory in (safety.get(entry['path']) or {}).get('missing_dirs') or []:
            if directory not in directories:
                directories.append(directory)
    absent = [path for path in args['absent']
              if files is None or path not in files or files[path].get('exists') or files[path].get('link')]
    if not (send or directories or absent):
        return None, triggers
    return dict(files=send, directories=directories, absent=absent, backup=args['backup'],
                backup_keep=args['backup_keep'], diff_max_bytes=args['diff_max_bytes']), triggers


def triggered(result, triggers):
    """The triggers of the files that changed, or for a file with a rebuild command, were rebuilt (also
    when a later step of the call failed)."""
    changed, rebuilt = set(result.get('changed_ids') or []), set(result.get('post_commands') or [])
    return sorted({name for key, (names, has_rebuild) in triggers.items()
                   if key in rebuilt or (key in changed and not has_rebuild) for name in names})
