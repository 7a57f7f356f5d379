#!/usr/bin/python
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: install_files
short_description: Write several files in one round trip, each checked by a command before it replaces the old one
description:
  - Writes every file of O(files) whose content, owner, group or mode differs, in one call to the host. A role that
    changes five files pays for one connection instead of the six or seven that each M(ansible.builtin.template)
    task makes (stat, temporary directory, transfer, permissions, copy, clean-up).
  - Each new content is first written to a temporary file beside the destination and checked with the entry's
    O(files[].validate) command. Only when every check passed (and, with O(backup=true), every backup copy was made)
    are the files moved into place (each atomically); when one check fails, no file is replaced and the task fails
    with the command's output. Unknown owners and groups, and a destination that is a symbolic link, are refused the
    same way, before any file is replaced.
  - A write that fails (a full disk) fails the task with the reason, before any file is replaced, and leaves no
    temporary file or partial backup behind.
  - The action plugin renders O(files[].template) on the controller, exactly as M(ansible.builtin.template) would,
    and sends the text as O(files[].content).
  - Supports check mode and diff mode.
version_added: 0.2.0
author:
  - mailops team (@mailops)
options:
  files:
    description: The files to write.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description:
          - The destination on the host; its directory must exist. A destination that is a symbolic link is refused
            (it is never replaced or written through).
        type: path
        required: true
      id:
        description: A name for the file, returned in RV(changed_ids) when it changed; defaults to O(files[].path).
        type: str
      content:
        description: The text to write. One of O(files[].content) and O(files[].template).
        type: str
      template:
        description:
          - A template, found and rendered on the controller like the C(src) of M(ansible.builtin.template)
            (handled by the action plugin).
        type: str
      vars:
        description: More variables for O(files[].template).
        type: dict
        default: {}
      owner:
        description: The owner of the file; unchanged when omitted.
        type: str
      group:
        description: The group of the file; unchanged when omitted.
        type: str
      mode:
        description: The octal mode of the file, for example C("0644"); unchanged when omitted.
        type: raw
      validate:
        description:
          - A command that must accept the new content before it replaces the file; C(%s) in it is the path of the
            temporary file. Runs without a shell.
        type: str
      diff_hide:
        description:
          - A regular expression; lines of the old or new content that it matches are shown as a placeholder in
            diff mode (for example C((?i)^AuthInfo:) for the passwords of an access map).
        type: str
      post_command:
        description:
          - A command run right after this file's content was replaced, in the same call (for example rebuilding the
            database made from it). Runs without a shell; not in check mode, and not when only the owner, group or
            mode changed.
          - When it fails, the task fails and reports in RV(changed_ids) the files replaced so far.
        type: str
  backup:
    description:
      - Keep a timestamped copy (C(NAME.PID.YYYY-MM-DD@HH:MM:SS~), beside the file, with its owner, group and mode)
        of every file whose content is replaced.
    type: bool
    default: false
  backup_keep:
    description:
      - With O(backup=true), how many backup copies to keep per replaced file, the newest; older ones (of the same
        name pattern) are removed in the same call, after the file was replaced. C(0) keeps them all.
    type: int
    default: 0
  diff_max_bytes:
    description:
      - Files larger than this show no text in diff mode, only that they changed. When omitted, the action plugin
        passes the C(MAX_FILE_SIZE_FOR_DIFF) setting (104448 by default).
    type: int
attributes:
  action:
    support: full
  check_mode:
    support: full
  diff_mode:
    support: full
"""

EXAMPLES = r"""
- name: Write the access map and sendmail.mc where they differ, each checked first
  mailops.sendmail.install_files:
    backup: true
    files:
      - id: mc
        path: /etc/mail/sendmail.mc
        template: sendmail.mc.j2
        owner: root
        group: root
        mode: "0644"
        validate: /usr/local/sbin/mailops-sendmail check-mc %s
      - id: access
        path: /etc/mail/access
        content: "Connect:198.51.100.5\tRELAY\n"
        owner: root
        group: root
        mode: "0644"
  register: installed

- name: Rebuild access.db when the access map changed
  ansible.builtin.shell: makemap hash /etc/mail/access < /etc/mail/access   # the shell: command does no redirection
  when: "'access' in installed.changed_ids"
  changed_when: true
"""

RETURN = r"""
changed_ids:
  description: The ids (or paths) of the files that changed, in the order given.
  returned: always
  type: list
  elements: str
  sample: [access]
post_commands:
  description: The ids (or paths) of the files whose O(files[].post_command) ran, in the order given.
  returned: always
  type: list
  elements: str
  sample: [access]
backups:
  description: The backup copy of each replaced file, by path (with O(backup=true)).
  returned: always
  type: dict
  sample: {/etc/mail/access: /etc/mail/access.4242.2026-11-26@20:30:00~}
backups_removed:
  description: The older backup copies removed to keep O(backup_keep) per file.
  returned: always
  type: list
  elements: str
  sample: [/etc/mail/access.4171.2026-11-20@08:00:00~]
"""

import errno
import grp
import os
import pwd
import re
import shlex
import shutil
import stat
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text

# Also the argument spec of the action plugin (plugins/action/install_files.py).
ARGUMENT_SPEC = dict(
    files=dict(type='list', elements='dict', required=True,
               required_one_of=[('content', 'template')], mutually_exclusive=[('content', 'template')],
               options=dict(
                   path=dict(type='path', required=True),
                   id=dict(type='str'),
                   content=dict(type='str'),
                   template=dict(type='str'),
                   vars=dict(type='dict', default={}),
                   owner=dict(type='str'),
                   group=dict(type='str'),
                   mode=dict(type='raw'),
                   validate=dict(type='str'),
                   post_command=dict(type='str'),
                   diff_hide=dict(type='str'),
               )),
    backup=dict(type='bool', default=False),
    backup_keep=dict(type='int', default=0),
    diff_max_bytes=dict(type='int'),
)


def _read(path):
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _owner_problem(entry):
    """Why the owner or group cannot be set (checked before any file is replaced), or None."""
    for field, lookup in (('owner', pwd.getpwnam), ('group', grp.getgrnam)):
        name = entry[field]
        if name is None or name.isdigit():
            continue
        try:
            lookup(name)
        except KeyError:
            return 'no such %s: %s' % ('user' if field == 'owner' else 'group', name)
    return None


def _mode_problem(module, entry):
    """Why the mode cannot be applied (checked before any file is replaced), or None."""
    mode = entry['mode']
    if mode is None or isinstance(mode, int):
        return None
    try:
        if str(mode).isdigit():
            int(str(mode), 8)
        else:
            module._symbolic_mode_to_octal(os.stat('/'), str(mode))
    except (ValueError, TypeError) as exc:
        return 'mode %r is not valid: %s' % (mode, exc)
    return None


def _file_args(module, entry, path):
    return module.load_file_common_arguments(dict(path=path, owner=entry['owner'], group=entry['group'],
                                                  mode=entry['mode']))


def _hidden(text, pattern):
    """``text`` with every line that ``pattern`` matches replaced by a placeholder."""
    if not pattern:
        return text
    regex = re.compile(pattern)
    return ''.join('(a line that holds a secret, not shown)\n' if regex.search(line) else line
                   for line in text.splitlines(True))


def _diff(entry, old, new, limit):
    diff = dict(before_header=entry['path'], after_header=entry['path'])
    if max(len(old or b''), len(new)) > limit:
        diff.update(before='', after='', dst_larger=limit)
    else:
        hide = entry.get('diff_hide')
        diff.update(before=_hidden(to_text(old or b'', errors='replace'), hide),
                    after=_hidden(to_text(new, errors='replace'), hide))
    return diff


def _run(module, command):
    """Run a command (no shell): None when it succeeds, else (exit code, its output)."""
    rc, out, err = module.run_command(command)
    return None if rc == 0 else (rc, (to_native(err) + to_native(out)).strip())


def _validate(module, entry, tmp):
    command = entry['validate']
    if '%s' not in command:
        module.fail_json(msg='%s: validate must contain %%s: %s' % (entry['path'], command))
    failure = _run(module, command % tmp)
    if failure:
        return '%s: the new content was refused (rc %d) by %s: %s' % (entry['path'], failure[0], command, failure[1])
    return None


def _check_entries(module):
    """[(entry, new bytes, old bytes or None, content differs)] and the errors of the entries."""
    out, errors, seen = [], [], set()
    for entry in module.params['files']:
        path = entry['path']
        if path in seen:
            errors.append('%s is given twice' % path)
            continue
        seen.add(path)
        if entry['content'] is None:
            errors.append('%s: no content (a template is rendered by the action plugin on the controller)' % path)
            continue
        if not os.path.isdir(os.path.dirname(path) or '/'):
            if module.check_mode:   # a directory created earlier in the same run: the file would be new
                out.append((entry, to_bytes(entry['content']), None, True))
                continue
            errors.append('%s: the directory %s does not exist' % (path, os.path.dirname(path)))
            continue
        if os.path.islink(path):
            errors.append('%s is a symbolic link: refusing to replace it or write through it' % path)
            continue
        if os.path.isdir(path):
            errors.append('%s is a directory' % path)
            continue
        problem = None if module.check_mode else _owner_problem(entry) or _mode_problem(module, entry)
        if problem:
            errors.append('%s: %s' % (path, problem))
            continue
        new = to_bytes(entry['content'])
        old = _read(path)
        out.append((entry, new, old, old != new))
    return out, errors


def _reason(exc):
    """The text of an exception and of the ones behind it (backup_local hides the OSError in __cause__)."""
    texts = []
    while exc is not None and len(texts) < 4:
        texts.append(to_native(exc).strip())
        exc = exc.__cause__ or exc.__context__
    return ': '.join(text for text in texts if text)


def _write_temp(path, data):
    """A new temporary file beside path with data in it (on disk); its name. Nothing is left behind on failure."""
    handle, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.%s.' % os.path.basename(path), suffix='.new')
    try:
        with os.fdopen(handle, 'wb') as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


_BACKUP_SUFFIX = r'\.\d+\.(\d{4}-\d{2}-\d{2}@\d{2}:\d{2}:\d{2})~'


def _backup(path):
    """A copy of path beside it, named as AnsibleModule.backup_local names them, with the file's owner, group,
    mode and times; created exclusively (never through a link). Nothing is left behind on failure."""
    dest = '%s.%d.%s' % (path, os.getpid(), time.strftime('%Y-%m-%d@%H:%M:%S~', time.localtime()))
    handle = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_NOFOLLOW', 0), 0o600)
    try:
        with os.fdopen(handle, 'wb') as out, open(path, 'rb') as source:
            shutil.copyfileobj(source, out)
            out.flush()
            os.fsync(out.fileno())
        info = os.stat(path)
        try:
            os.chown(dest, info.st_uid, info.st_gid)
        except PermissionError:
            pass
        shutil.copystat(path, dest)
    except BaseException:
        os.unlink(dest)
        raise
    return dest


def _rotate(path, keep):
    """Remove all but the `keep` newest backup copies of path (by the time in their name, then by when they
    were made); the paths removed."""
    directory, base = os.path.split(path)
    pattern = re.compile(re.escape(base) + _BACKUP_SUFFIX + '$')
    found = []
    for name in os.listdir(directory or '.'):
        match = pattern.match(name)
        if not match:
            continue
        full = os.path.join(directory, name)
        info = os.lstat(full)
        if stat.S_ISREG(info.st_mode):
            found.append((match.group(1), info.st_ctime_ns, name, full))
    removed = []
    for _when, _made, _name, full in sorted(found)[:-keep]:
        os.unlink(full)
        removed.append(full)
    return removed


def _write_error(path, what, exc):
    """The message of a failed write: the file, what was being written, and the reason (no traceback)."""
    reason = os.strerror(exc.errno) if isinstance(exc, OSError) and exc.errno else _reason(exc)
    hint = ' (the file system of %s is full)' % os.path.dirname(path) if getattr(exc, 'errno', None) in (
        errno.ENOSPC, errno.EDQUOT) else ''
    return '%s: cannot write %s: %s%s' % (path, what, reason, hint)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    changed_ids, backups, post_commands, removed = [], {}, [], []
    report = dict(changed_ids=changed_ids, backups=backups, post_commands=post_commands, backups_removed=removed)
    entries, errors = _check_entries(module)
    if module.params['backup_keep'] < 0:
        errors.append('backup_keep must be 0 (keep every backup) or more, got %d' % module.params['backup_keep'])
    if errors:
        module.fail_json(msg='; '.join(errors), changed=False, **report)
    limit = module.params['diff_max_bytes'] or 104448
    temps, diffs = {}, []
    try:
        # 1. every new content beside its destination, checked: nothing is replaced unless all pass
        for entry, new, _old, differs in entries:
            if not differs or module.check_mode:
                continue
            try:
                temps[entry['path']] = tmp = _write_temp(entry['path'], new)
            except OSError as exc:
                module.fail_json(msg='No file was replaced. ' + _write_error(entry['path'], 'the new content beside it', exc),
                                 changed=False, **report)
            problem = _validate(module, entry, shlex.quote(tmp)) if entry['validate'] else None
            if problem:
                errors.append(problem)
        if errors:
            module.fail_json(msg='No file was replaced. ' + '; '.join(errors), changed=False, **report)
        # 1b. the backup copies, all before the first file is replaced
        for entry, _new, old, differs in entries:
            if differs and old is not None and module.params['backup'] and not module.check_mode:
                try:
                    backups[entry['path']] = _backup(entry['path'])
                except OSError as exc:
                    for made in backups.values():
                        os.unlink(made)
                    backups.clear()
                    module.fail_json(msg='No file was replaced. ' + _write_error(entry['path'], 'its backup copy', exc),
                                     changed=False, **report)
        # 2. into place, then owner, group and mode; a failure here still reports what changed
        for entry, new, old, differs in entries:
            path, key, file_changed = entry['path'], entry['id'] or entry['path'], differs
            try:
                if differs and not module.check_mode:
                    module.atomic_move(temps.pop(path), path, unsafe_writes=False)
                    changed_ids.append(key)
                    if path in backups and module.params['backup_keep'] > 0:
                        removed.extend(_rotate(path, module.params['backup_keep']))
                    file_changed = False
                    if entry['post_command']:
                        failure = _run(module, entry['post_command'])
                        if failure:
                            raise RuntimeError('%s failed (rc %d): %s' % ((entry['post_command'],) + failure))
                        post_commands.append(key)
                if old is not None or not module.check_mode:
                    file_changed = module.set_fs_attributes_if_different(_file_args(module, entry, path), file_changed)
            except Exception as exc:  # pylint: disable=broad-except
                module.fail_json(msg='%s: %s (files already replaced: %s)' % (
                    path, _reason(exc), ', '.join(changed_ids) or 'none'), changed=bool(changed_ids), **report)
            if file_changed and key not in changed_ids:
                changed_ids.append(key)
            if module._diff and differs:
                diffs.append(_diff(entry, old, new, limit))
    finally:
        for tmp in temps.values():
            if os.path.exists(tmp):
                os.unlink(tmp)
    result = dict(report, changed=bool(changed_ids))
    if diffs:
        result['diff'] = diffs
    module.exit_json(**result)


if __name__ == '__main__':
    main()
