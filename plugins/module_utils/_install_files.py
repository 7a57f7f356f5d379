# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host side of mailops.sendmail.install_files, and the argument spec its action shares.

The action (plugins/action/install_files.py, with plugins/plugin_utils/_install_plan.py) renders
and compares on the controller; what differs comes here in one call, phase by phase: every new
content of a phase is written beside its destination and checked, then (only when every check of
the phase passed) moved into place, each followed by its rebuild command.
"""

from __future__ import annotations

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

# One spec for the action (which takes every option) and the module (which gets content, never a
# template, file or each: the action resolves those on the controller).
ARGUMENT_SPEC = dict(
    files=dict(type='list', elements='dict', required=True,
               required_one_of=[('content', 'template', 'file')],
               mutually_exclusive=[('content', 'template', 'file')],
               options=dict(
                   path=dict(type='path'),
                   id=dict(type='str'),
                   content=dict(type='str'),
                   template=dict(type='str'),
                   file=dict(type='str'),
                   vars=dict(type='dict', default={}),
                   each=dict(type='list', elements='dict'),
                   owner=dict(type='str'),
                   group=dict(type='str'),
                   mode=dict(type='raw'),
                   keep_attributes=dict(type='bool', default=False),
                   validate=dict(type='raw'),
                   post_command=dict(type='raw'),
                   built=dict(type='path'),
                   rebuild=dict(type='bool', default=False),
                   triggers=dict(type='list', elements='str', default=[]),
                   phase=dict(type='int', default=1),
                   unsafe_writes=dict(type='bool', default=False),
                   backup=dict(type='bool'),
                   diff_hide=dict(type='str'),
               )),
    state=dict(type='dict'),
    directories=dict(type='list', elements='path', default=[]),
    absent=dict(type='list', elements='path', default=[]),
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


def _command_problem(command, field, needs_path=False):
    """Why a validate or post_command value is unusable, or None: a string, or a list of strings."""
    if isinstance(command, str):
        words = [command]
    elif isinstance(command, (list, tuple)) and command and all(isinstance(w, str) for w in command):
        words = list(command)
    else:
        return '%s must be a command line or a list of its words, got %r' % (field, command)
    if needs_path and not any('%s' in word for word in words):
        return '%s must contain %%s (the path of the new content): %s' % (field, command)
    return None


def _with_path(command, tmp):
    """The validate command for the new content in ``tmp``: %s replaced (quoted in a command line)."""
    if isinstance(command, str):
        return command % shlex.quote(tmp)
    return [word.replace('%s', tmp) for word in command]


def _shown(command):
    return command if isinstance(command, str) else ' '.join(shlex.quote(word) for word in command)


def _validate(module, entry, tmp):
    failure = _run(module, _with_path(entry['validate'], tmp))
    if failure:
        return '%s: the new content was refused (rc %d) by %s: %s' % (
            entry['path'], failure[0], _shown(entry['validate']), failure[1])
    return None


def _check_entries(module):
    """[(entry, new bytes, old bytes or None, content differs)] and the errors of the entries."""
    out, errors, seen = [], [], set()
    for entry in module.params['files']:
        path = entry['path']
        if not path:
            errors.append('a file has no path')
            continue
        if path in seen:
            errors.append('%s is given twice' % path)
            continue
        seen.add(path)
        if entry['content'] is None:
            errors.append('%s: no content (a template or file is read by the action plugin on the controller)' % path)
            continue
        problem = (entry['validate'] is not None and _command_problem(entry['validate'], 'validate', True)) \
            or (entry['post_command'] is not None and _command_problem(entry['post_command'], 'post_command'))
        if problem:
            errors.append('%s: %s' % (path, problem))
            continue
        if not os.path.isdir(os.path.dirname(path) or '/'):
            if module.check_mode:   # a directory this call (or an earlier task) would make: the file would be new
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


def _make_directories(module, report):
    """Make the missing directories (root's, 0755), top down; a directory that exists is left as it is."""
    for directory in module.params['directories']:
        if os.path.lexists(directory):
            if os.path.islink(directory) or not os.path.isdir(directory):
                module.fail_json(msg='No file was replaced. %s exists and is not a directory' % directory,
                                 changed=bool(report['directories']), **report)
            continue
        if not module.check_mode:
            try:
                os.mkdir(directory, 0o755)
                os.chown(directory, 0, 0)
                os.chmod(directory, 0o755)
                module.set_default_selinux_context(directory, False)
            except OSError as exc:
                module.fail_json(msg='No file was replaced. ' + _write_error(directory, 'the directory', exc),
                                 changed=bool(report['directories']), **report)
        report['directories'].append(directory)


def _fail(module, report, msg):
    changed = bool(report['changed_ids'] or report['post_commands'] or report['directories'])
    module.fail_json(msg=msg, changed=changed, **report)


def _install(module, entries, report, diffs):
    """One phase: check every new content, then (when all passed) back up, replace and rebuild."""
    params, errors, temps = module.params, [], {}
    none_yet = 'No file was replaced. ' if not report['changed_ids'] else 'No file of this step was replaced. '
    try:
        # 1. every new content beside its destination, checked: nothing is replaced unless all pass
        for entry, new, _old, differs in entries:
            if not differs or module.check_mode:
                continue
            try:
                temps[entry['path']] = tmp = _write_temp(entry['path'], new)
            except OSError as exc:
                _fail(module, report, none_yet + _write_error(entry['path'], 'the new content beside it', exc))
            problem = _validate(module, entry, tmp) if entry['validate'] is not None else None
            if problem:
                errors.append(problem)
        if errors:
            _fail(module, report, none_yet + '; '.join(errors))
        # 1b. the backup copies, all before the first file of the phase is replaced
        made = {}
        for entry, _new, old, differs in entries:
            backup = params['backup'] if entry['backup'] is None else entry['backup']
            if differs and old is not None and backup and not module.check_mode:
                try:
                    made[entry['path']] = _backup(entry['path'])
                except OSError as exc:
                    for copy in made.values():
                        os.unlink(copy)
                    _fail(module, report, none_yet + _write_error(entry['path'], 'its backup copy', exc))
        report['backups'].update(made)
        # 2. into place, then owner, group and mode, and the rebuild; a failure here still reports what changed
        for entry, new, old, differs in entries:
            path, key, file_changed = entry['path'], entry['id'] or entry['path'], differs
            try:
                if differs and not module.check_mode:
                    module.atomic_move(temps.pop(path), path, unsafe_writes=entry['unsafe_writes'])
                    report['changed_ids'].append(key)
                    file_changed = False
                # Owner, group and mode before anything reads the new file: a new map holding
                # passwords is never left with the default mode, and its rebuild copies the right ones.
                if old is not None or not module.check_mode:
                    file_changed = module.set_fs_attributes_if_different(_file_args(module, entry, path), file_changed)
                if differs and not module.check_mode and path in made and params['backup_keep'] > 0:
                    report['backups_removed'].extend(_rotate(path, params['backup_keep']))
                if entry['post_command'] is not None and (differs or entry['rebuild']):
                    if not module.check_mode:
                        failure = _run(module, entry['post_command'])
                        if failure:
                            raise RuntimeError('%s failed (rc %d): %s' % ((_shown(entry['post_command']),) + failure))
                        # m4, makemap or newaliases made it: its context is theirs, not the policy's default
                        if entry['built'] and os.path.lexists(entry['built']):
                            module.set_default_selinux_context(entry['built'], False)
                    report['post_commands'].append(key)
            except Exception as exc:  # pylint: disable=broad-except
                _fail(module, report, '%s: %s (files already replaced: %s)' % (
                    path, _reason(exc), ', '.join(report['changed_ids']) or 'none'))
            if file_changed and key not in report['changed_ids']:
                report['changed_ids'].append(key)
            if module._diff and differs:
                diffs.append(_diff(entry, old, new, params['diff_max_bytes'] or 104448))
    finally:
        for tmp in temps.values():
            if os.path.exists(tmp):
                os.unlink(tmp)


def _remove(module, report):
    """Remove the files of O(absent) that exist (a symbolic link itself, never what it points to)."""
    for path in module.params['absent']:
        if not os.path.lexists(path):
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            _fail(module, report, '%s is a directory: absent removes files only' % path)
        if not module.check_mode:
            try:
                os.unlink(path)
            except OSError as exc:
                _fail(module, report, '%s: cannot remove it: %s' % (path, _reason(exc)))
        report['removed'].append(path)


def _with_report(fail_json, report):
    """fail_json that always returns what was done so far: AnsibleModule's own helpers (atomic_move on
    ansible-core < 2.19, set_fs_attributes_if_different) fail through it, and the role restarts sendmail
    for what changed before the failure."""
    def fail(**kwargs):
        for key, value in report.items():
            kwargs.setdefault(key, value)
        kwargs.setdefault('changed', any(report[key] for key in ('changed_ids', 'post_commands', 'directories',
                                                                 'removed')))
        fail_json(**kwargs)
    return fail


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    report = dict(changed_ids=[], backups={}, post_commands=[], backups_removed=[], directories=[], removed=[])
    module.fail_json = _with_report(module.fail_json, report)
    if module.params['backup_keep'] < 0:
        module.fail_json(msg='backup_keep must be 0 (keep every backup) or more, got %d'
                         % module.params['backup_keep'], changed=False, **report)
    _make_directories(module, report)
    entries, errors = _check_entries(module)
    if errors:
        _fail(module, report, '; '.join(errors))
    diffs = []
    for phase in sorted({entry['phase'] for entry, _new, _old, _differs in entries}):
        _install(module, [item for item in entries if item[0]['phase'] == phase], report, diffs)
    _remove(module, report)
    if module._diff:
        diffs.extend(dict(before_header=path, after_header=path, before=dict(path=path, state='absent'),
                          after=dict(path=path, state='directory')) for path in report['directories'])
        diffs.extend(dict(before_header=path, after_header=path, before=dict(path=path, state='file'),
                          after=dict(path=path, state='absent')) for path in report['removed'])
    result = dict(report, changed=any(report[key] for key in (
        'changed_ids', 'post_commands', 'directories', 'removed')))
    if diffs:
        result['diff'] = diffs
    module.exit_json(**result)
