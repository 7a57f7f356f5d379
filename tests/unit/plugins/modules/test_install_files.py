"""install_files: main() run in-process on real files in tmp_path."""

import grp
import json
import os
import pwd
import stat

import pytest
from core_compat import patch_module_args

from ansible_collections.mailops.sendmail.plugins.modules import install_files

OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def run_module(capsys, files, **args):
    """(exit code, JSON result) of the module's main() with these arguments."""
    with patch_module_args(dict(args, files=files)):
        with pytest.raises(SystemExit) as exc:
            install_files.main()
    return exc.value.code, json.loads(capsys.readouterr().out)


def entry(path, content, **over):
    """A files[] entry owned by the current user, mode 0644 unless overridden."""
    return dict(dict(path=str(path), content=content, owner=OWNER, group=GROUP, mode='0644'), **over)


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def leftovers(directory):
    """Temporary files (.name.*.new) of the module left in directory."""
    return sorted(p.name for p in directory.iterdir() if p.name.startswith('.') and p.name.endswith('.new'))


def frozen(path):
    """A file's identity and times, to prove it was not rewritten."""
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    st = os.stat(path)
    return st.st_ino, st.st_mtime_ns, st.st_ctime_ns


def test_new_and_changed_files_are_written_and_ids_kept_in_order(tmp_path, capsys):
    """Content and mode land on disk; changed_ids follows the given order, the path standing in for a missing id."""
    changed, new, same = tmp_path / 'access', tmp_path / 'aliases', tmp_path / 'virtusertable'
    changed.write_text('old\n')
    changed.chmod(0o600)
    same.write_text('same\n')
    same.chmod(0o644)
    rc, result = run_module(capsys, [
        entry(changed, 'Connect:10\tRELAY\n', id='zz-access', mode='0640'),
        entry(same, 'same\n', id='virtusertable'),
        entry(new, 'postmaster: root\n'),
    ])
    assert rc == 0, result
    assert result['changed'] is True
    assert result['changed_ids'] == ['zz-access', str(new)]
    assert result['backups'] == {}
    assert changed.read_text() == 'Connect:10\tRELAY\n' and mode_of(changed) == 0o640
    assert new.read_text() == 'postmaster: root\n' and mode_of(new) == 0o644
    assert (os.stat(new).st_uid, os.stat(new).st_gid) == (os.getuid(), os.getgid())
    assert leftovers(tmp_path) == []


def test_unchanged_file_is_not_rewritten(tmp_path, capsys):
    """Same content, owner, group and mode: changed=False and the file keeps its inode and mtime."""
    path = tmp_path / 'access'
    path.write_text('Connect:10\tRELAY\n')
    path.chmod(0o644)
    before = frozen(path)
    rc, result = run_module(capsys, [entry(path, 'Connect:10\tRELAY\n', id='access', validate='/bin/false %s')])
    assert rc == 0, result
    assert (result['changed'], result['changed_ids']) == (False, [])
    st = os.stat(path)
    assert (st.st_ino, st.st_mtime_ns, st.st_ctime_ns) == before
    assert 'diff' not in result


def test_mode_only_difference_is_fixed_and_reported(tmp_path, capsys):
    """A wrong mode alone is corrected in place (same inode, same content) and the id is reported."""
    path = tmp_path / 'access'
    path.write_text('x\n')
    path.chmod(0o600)
    inode = os.stat(path).st_ino
    rc, result = run_module(capsys, [entry(path, 'x\n', id='access', mode='0644')], _ansible_diff=True)
    assert rc == 0, result
    assert (result['changed'], result['changed_ids']) == (True, ['access'])
    assert mode_of(path) == 0o644
    assert os.stat(path).st_ino == inode and path.read_text() == 'x\n'


@pytest.mark.parametrize('validate', ["/bin/sh -c 'grep -q ok %s'", '/bin/false %s'])
def test_failed_validate_replaces_no_file(tmp_path, capsys, validate):
    """One refused entry fails the task naming its path; no file of the call changes, no temporary file stays."""
    checked, other = tmp_path / 'sendmail.mc', tmp_path / 'access'
    checked.write_text('ok old\n')
    other.write_text('old access\n')
    rc, result = run_module(capsys, [
        entry(other, 'new access\n', id='access'),
        entry(checked, 'not good\n', id='mc', validate=validate),
    ])
    assert rc == 1
    assert result['failed'] is True
    assert result['msg'].startswith('No file was replaced. %s: the new content was refused (rc 1) by %s'
                                    % (checked, validate))
    assert checked.read_text() == 'ok old\n'
    assert other.read_text() == 'old access\n'
    assert leftovers(tmp_path) == []


def test_passing_validate_sees_the_new_content(tmp_path, capsys):
    """validate runs on a temporary file beside the destination holding the new text; then the file is replaced."""
    path, seen, name = tmp_path / 'sendmail.mc', tmp_path / 'seen-by-validate', tmp_path / 'name-seen'
    path.write_text('old\n')
    copy = """/bin/sh -c 'grep -q new "$0" && cp "$0" %s && echo "$0" > %s' %%s""" % (seen, name)
    rc, result = run_module(capsys, [
        entry(path, 'new ok\n', id='mc', validate=copy),
        entry(tmp_path / 'access', 'fresh\n', validate="/bin/sh -c 'grep -q fresh %s'"),
    ])
    assert rc == 0, result
    assert result['changed_ids'] == ['mc', str(tmp_path / 'access')]
    assert seen.read_text() == 'new ok\n'
    checked = name.read_text().strip()
    assert os.path.dirname(checked) == str(tmp_path)
    assert os.path.basename(checked).startswith('.sendmail.mc.') and checked.endswith('.new')
    assert path.read_text() == 'new ok\n'
    assert leftovers(tmp_path) == []


def test_check_mode_changes_nothing_and_shows_the_diff(tmp_path, capsys):
    """Check mode with diff: reported changed with before/after, but nothing on disk moves."""
    changed, new = tmp_path / 'access', tmp_path / 'aliases'
    changed.write_text('old\n')
    changed.chmod(0o600)
    before = frozen(changed)
    rc, result = run_module(capsys, [entry(changed, 'new\n', id='access'), entry(new, 'root: admin\n', id='aliases')],
                            backup=True, _ansible_check_mode=True, _ansible_diff=True)
    assert rc == 0, result
    assert (result['changed'], result['changed_ids']) == (True, ['access', 'aliases'])
    assert result['diff'] == [
        dict(before_header=str(changed), after_header=str(changed), before='old\n', after='new\n'),
        dict(before_header=str(new), after_header=str(new), before='', after='root: admin\n'),
    ]
    st = os.stat(changed)
    assert (st.st_ino, st.st_mtime_ns, st.st_ctime_ns) == before
    assert changed.read_text() == 'old\n' and mode_of(changed) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ['access']


def test_check_mode_without_diff_returns_no_diff(tmp_path, capsys):
    """Without _ansible_diff the result has no diff, even when a file would change."""
    path = tmp_path / 'access'
    path.write_text('old\n')
    rc, result = run_module(capsys, [entry(path, 'new\n')], _ansible_check_mode=True)
    assert rc == 0 and result['changed'] is True
    assert 'diff' not in result
    assert path.read_text() == 'old\n'


def test_large_file_diff_has_no_text(tmp_path, capsys):
    """A file larger than diff_max_bytes shows that it changed, not its text."""
    path = tmp_path / 'access'
    path.write_text('old\n')
    big = 'x' * 200 + '\n'
    rc, result = run_module(capsys, [entry(path, big, id='access')], diff_max_bytes=100, _ansible_diff=True)
    assert rc == 0, result
    assert result['diff'] == [dict(before_header=str(path), after_header=str(path), before='', after='',
                                   dst_larger=100)]
    assert path.read_text() == big


def test_backup_keeps_the_old_content(tmp_path, capsys):
    """backup=true returns, per replaced file, a copy holding the old content; a new file has none."""
    path, new = tmp_path / 'access', tmp_path / 'aliases'
    path.write_text('old\n')
    rc, result = run_module(capsys, [entry(path, 'new\n'), entry(new, 'a: b\n')], backup=True)
    assert rc == 0, result
    assert list(result['backups']) == [str(path)]
    backup = result['backups'][str(path)]
    assert os.path.dirname(backup) == str(tmp_path) and backup != str(path)
    with open(backup) as handle:
        assert handle.read() == 'old\n'
    assert path.read_text() == 'new\n'


def test_same_path_twice_is_refused(tmp_path, capsys):
    path = tmp_path / 'access'
    path.write_text('old\n')
    rc, result = run_module(capsys, [entry(path, 'one\n'), entry(path, 'two\n', id='again')])
    assert rc == 1
    assert result['msg'] == '%s is given twice' % path
    assert path.read_text() == 'old\n'


def test_missing_directory_is_refused(tmp_path, capsys):
    path = tmp_path / 'no-such-dir' / 'access'
    rc, result = run_module(capsys, [entry(path, 'x\n')])
    assert rc == 1
    assert result['msg'] == '%s: the directory %s does not exist' % (path, tmp_path / 'no-such-dir')
    assert not path.parent.exists()


def test_template_without_content_is_refused(tmp_path, capsys):
    """A template is rendered by the action plugin; the module alone refuses an entry without content."""
    path = tmp_path / 'sendmail.mc'
    rc, result = run_module(capsys, [dict(path=str(path), template='sendmail.mc.j2')])
    assert rc == 1
    assert result['msg'] == ('%s: no content (a template or file is read by the action plugin on the controller)'
                             % path)
    assert not path.exists()


def test_path_that_is_a_directory_is_refused(tmp_path, capsys):
    """A destination that is a directory fails the task with a message naming it."""
    path = tmp_path / 'access'
    path.mkdir()
    rc, result = run_module(capsys, [entry(path, 'x\n')])
    assert rc == 1
    assert str(path) in result['msg']
    assert path.is_dir() and list(path.iterdir()) == []


def test_unknown_owner_is_refused_before_any_file_is_replaced(tmp_path, capsys):
    """An owner that does not exist fails the call before the first file is moved into place."""
    first, second = tmp_path / 'first', tmp_path / 'second'
    first.write_text('old first\n')
    second.write_text('old second\n')
    bad = dict(entry(second, 'new second\n'), owner='no-such-user-mailops')
    rc, result = run_module(capsys, [entry(first, 'new first\n'), bad])
    assert rc == 1
    assert 'no such user: no-such-user-mailops' in result['msg'] and str(second) in result['msg']
    assert first.read_text() == 'old first\n' and second.read_text() == 'old second\n'


def test_check_mode_with_a_directory_not_made_yet_reports_the_new_file(tmp_path, capsys):
    """In check mode a file whose directory an earlier task would create counts as new: changed, with
    its diff, and nothing is created."""
    path = tmp_path / 'lists' / 'staff'
    rc, result = run_module(capsys, [entry(path, 'alice\n')], _ansible_check_mode=True, _ansible_diff=True)
    assert rc == 0, result
    assert result['changed'] is True and result['changed_ids'] == [str(path)]
    assert result['diff'][0]['before'] == '' and result['diff'][0]['after'] == 'alice\n'
    assert not path.parent.exists()


def test_diff_of_a_file_with_bytes_that_are_not_utf8(tmp_path, capsys):
    """Old content that is not UTF-8 is replaced, and the diff shows it with replacement characters."""
    path = tmp_path / 'relay-domains'
    path.write_bytes(b'# caf\xe9\n')
    rc, result = run_module(capsys, [entry(path, 'example.test\n')], _ansible_diff=True)
    assert rc == 0, result
    assert path.read_text() == 'example.test\n'
    assert result['diff'][0]['before'] == '# caf\ufffd\n'


def test_diff_hides_the_lines_diff_hide_matches_in_old_and_new_content(tmp_path, capsys):
    path = tmp_path / 'access'
    path.write_text('Connect:10\tRELAY\nAuthInfo:old.example\t"U:a" "P:old-secret"\n')
    new = 'Connect:10\tRELAY\nAuthinfo:new.example\t"U:a" "P:new-secret"\nConnect:11\tOK\n'
    rc, result = run_module(capsys, [entry(path, new, diff_hide='(?i)^AuthInfo:')], _ansible_diff=True)
    assert rc == 0, result
    assert path.read_text() == new
    diff = result['diff'][0]
    assert 'old-secret' not in diff['before'] and 'new-secret' not in diff['after']
    assert diff['before'].splitlines()[1] == diff['after'].splitlines()[1] == '(a line that holds a secret, not shown)'
    assert diff['after'].endswith('Connect:11\tOK\n')


def test_invalid_mode_is_refused_before_any_file_is_replaced(tmp_path, capsys):
    first, second = tmp_path / 'first', tmp_path / 'second'
    first.write_text('old first\n')
    second.write_text('old second\n')
    rc, result = run_module(capsys, [entry(first, 'new first\n'), entry(second, 'new second\n', mode='0999')])
    assert rc == 1
    assert str(second) in result['msg'] and 'mode' in result['msg']
    assert first.read_text() == 'old first\n' and second.read_text() == 'old second\n'
    assert result['changed_ids'] == []


def test_post_command_runs_after_the_new_content_is_in_place(tmp_path, capsys):
    """The post command sees the new content (it copies the file), only for files whose content changed."""
    changed, same = tmp_path / 'access', tmp_path / 'virtusertable'
    changed.write_text('old\n')
    same.write_text('same\n')
    files = [entry(changed, 'new\n', id='access', post_command='/bin/cp %s %s.db' % (changed, changed)),
             entry(same, 'same\n', id='virtusertable', post_command='/bin/cp %s %s.db' % (same, same))]
    rc, result = run_module(capsys, files)
    assert rc == 0, result
    assert result['post_commands'] == ['access'] and result['changed_ids'] == ['access']
    assert (tmp_path / 'access.db').read_text() == 'new\n'
    assert not (tmp_path / 'virtusertable.db').exists()


def test_post_command_does_not_run_in_check_mode(tmp_path, capsys):
    path = tmp_path / 'access'
    path.write_text('old\n')
    rc, result = run_module(capsys, [entry(path, 'new\n', post_command='/bin/cp %s %s.db' % (path, path))],
                            _ansible_check_mode=True)
    # Reported as the command that would run; nothing ran.
    assert rc == 0 and result['changed'] is True and result['post_commands'] == [str(path)]
    assert path.read_text() == 'old\n' and not (tmp_path / 'access.db').exists()


def test_failed_post_command_reports_what_was_replaced(tmp_path, capsys):
    """A post command that fails fails the task, naming it, and still lists the files already replaced
    (their handlers must run)."""
    first, second = tmp_path / 'sendmail.mc', tmp_path / 'access'
    first.write_text('old mc\n')
    second.write_text('old\n')
    files = [entry(first, 'new mc\n', id='mc'), entry(second, 'new\n', id='access', post_command='/bin/false')]
    rc, result = run_module(capsys, files)
    assert rc == 1
    assert '/bin/false failed' in result['msg'] and str(second) in result['msg']
    assert result['changed'] is True and result['changed_ids'] == ['mc', 'access'] and result['post_commands'] == []
    assert first.read_text() == 'new mc\n' and second.read_text() == 'new\n'


def test_destination_that_is_a_symlink_is_refused(tmp_path, capsys):
    """A symbolic link at the destination is neither written through nor replaced; no file of the call changes."""
    victim, link, other = tmp_path / 'victim', tmp_path / 'access', tmp_path / 'virtusertable'
    victim.write_text('victim\n')
    link.symlink_to(victim)
    other.write_text('old\n')
    rc, result = run_module(capsys, [entry(other, 'new\n'), entry(link, 'new access\n', id='access')])
    assert rc == 1
    assert result['msg'] == '%s is a symbolic link: refusing to replace it or write through it' % link
    assert link.is_symlink() and victim.read_text() == 'victim\n' and other.read_text() == 'old\n'


def _stamp(day):
    return '2026-01-%02d@00:00:00~' % day


def test_backups_are_rotated_in_the_same_call(tmp_path, capsys):
    """backup_keep=3: the new backup and the two newest older ones stay; older copies of the same file go, and
    nothing else is touched (other files' backups, look-alike names)."""
    path = tmp_path / 'access'
    path.write_text('current\n')
    old = [tmp_path / ('access.%d.%s' % (100 + day, _stamp(day))) for day in (3, 1, 4, 2)]
    for backup in old:
        backup.write_text(backup.name)
    others = [tmp_path / ('virtusertable.100.%s' % _stamp(1)), tmp_path / 'access.db',
              tmp_path / 'access.bak', tmp_path / ('access.x.%s' % _stamp(1))]
    for other in others:
        other.write_text('other\n')
    rc, result = run_module(capsys, [entry(path, 'new\n', id='access')], backup=True, backup_keep=3)
    assert rc == 0, result
    made = result['backups'][str(path)]
    assert open(made).read() == 'current\n'
    assert sorted(result['backups_removed']) == sorted(str(tmp_path / ('access.%d.%s' % (100 + d, _stamp(d))))
                                                       for d in (1, 2))
    kept = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith('access.') and p.name.endswith('~')
                  and not p.name.startswith('access.x.'))
    assert kept == sorted([os.path.basename(made), 'access.103.' + _stamp(3), 'access.104.' + _stamp(4)])
    assert all(other.exists() for other in others)


def test_backup_keep_zero_keeps_every_backup(tmp_path, capsys):
    path = tmp_path / 'access'
    path.write_text('current\n')
    old = [tmp_path / ('access.100.%s' % _stamp(day)) for day in range(1, 6)]
    for backup in old:
        backup.write_text('x')
    rc, result = run_module(capsys, [entry(path, 'new\n')], backup=True, backup_keep=0)
    assert rc == 0, result
    assert result['backups_removed'] == [] and all(backup.exists() for backup in old)


def _run_with_file_size_limit(args, limit):
    """The module run as Ansible runs it (a process, JSON on stdin) where no file may grow past `limit`
    bytes (RLIMIT_FSIZE: writes fail with EFBIG, as on a full disk they fail with ENOSPC)."""
    import resource
    import signal
    import subprocess
    import sys
    from pathlib import Path

    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    collections = Path(__file__).resolve().parents[4] / '.cache' / 'collections'
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE='1',
               PYTHONPATH=str(collections) + os.pathsep + os.environ.get('PYTHONPATH', ''))
    proc = subprocess.run([sys.executable, '-m', 'ansible_collections.mailops.sendmail.plugins.modules.install_files'],
                          input=json.dumps({'ANSIBLE_MODULE_ARGS': args}), capture_output=True, text=True, env=env,
                          preexec_fn=limited, check=False)
    assert 'Traceback' not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


def test_write_that_fails_leaves_nothing_and_says_why(tmp_path):
    """A new content that cannot be written (here: larger than the file size limit) fails the call with the
    reason and no traceback; no file is replaced and no temporary file stays."""
    first, second = tmp_path / 'sendmail.mc', tmp_path / 'access'
    first.write_text('old mc\n')
    second.write_text('old access\n')
    result = _run_with_file_size_limit(dict(files=[entry(first, 'new mc\n', id='mc'),
                                                   entry(second, 'x' * 5000, id='access')]), 1000)
    assert result['failed'] is True
    assert result['msg'] == 'No file was replaced. %s: cannot write the new content beside it: File too large' % second
    assert first.read_text() == 'old mc\n' and second.read_text() == 'old access\n'
    assert leftovers(tmp_path) == [] and sorted(p.name for p in tmp_path.iterdir()) == ['access', 'sendmail.mc']


def test_backup_that_fails_replaces_nothing_and_leaves_no_partial_copy(tmp_path):
    """The backup copies are made before any file is replaced: one that cannot be written fails the call, no
    file is replaced, and no partial copy (nor the copies already made) stays."""
    small, big = tmp_path / 'relay-domains', tmp_path / 'access'
    small.write_text('old small\n')
    big.write_text('y' * 5000)
    result = _run_with_file_size_limit(dict(backup=True, files=[entry(small, 'new small\n'), entry(big, 'z\n')]),
                                       1000)
    assert result['failed'] is True
    assert result['msg'] == 'No file was replaced. %s: cannot write its backup copy: File too large' % big
    assert small.read_text() == 'old small\n' and big.read_text() == 'y' * 5000
    assert sorted(p.name for p in tmp_path.iterdir()) == ['access', 'relay-domains']


def test_an_earlier_phase_is_in_place_before_the_checks_of_a_later_one(tmp_path, capsys):
    """The helper that checks the others is written first (phase 0): the check of phase 1 runs the new one."""
    helper, access = tmp_path / 'helper', tmp_path / 'access'
    helper.write_text('#!/bin/sh\nexit 1\n')                  # the old helper refuses everything
    helper.chmod(0o755)
    rc, result = run_module(capsys, [
        entry(access, 'new\n', id='access', validate=[str(helper), '%s']),
        entry(helper, '#!/bin/sh\ngrep -q new "$1"\n', id='helper', mode='0755', phase=0),
    ])
    assert rc == 0, result
    assert result['changed_ids'] == ['helper', 'access']
    assert access.read_text() == 'new\n'


def test_a_failed_check_in_a_later_phase_keeps_its_files_and_reports_the_earlier_ones(tmp_path, capsys):
    helper, access = tmp_path / 'helper', tmp_path / 'access'
    access.write_text('old\n')
    rc, result = run_module(capsys, [
        entry(helper, '#!/bin/sh\nexit 3\n', id='helper', mode='0755', phase=0),
        entry(access, 'new\n', id='access', validate=[str(helper), '%s']),
    ])
    assert rc == 1 and result['changed'] is True
    assert result['changed_ids'] == ['helper']
    assert result['msg'].startswith('No file of this step was replaced. %s: the new content was refused (rc 3)' % access)
    assert access.read_text() == 'old\n' and leftovers(tmp_path) == []


def test_commands_as_lists_take_the_path_as_one_word(tmp_path, capsys):
    """A list command runs without a shell: the temporary path is one word, whatever it holds."""
    directory = tmp_path / 'dir with space'
    directory.mkdir()
    path = directory / 'access'
    seen = tmp_path / 'seen'
    rc, result = run_module(capsys, [entry(path, 'x\n', validate=['/bin/cp', '%s', str(seen)],
                                           post_command=['/bin/cp', str(path), str(path) + '.db'])])
    assert rc == 0, result
    assert seen.read_text() == 'x\n' and (directory / 'access.db').read_text() == 'x\n'
    assert result['post_commands'] == [str(path)]


@pytest.mark.parametrize('validate, message', [
    (['/bin/true'], 'validate must contain %s'),
    ([], 'validate must be a command line or a list of its words'),
    (['/bin/true', 3], 'validate must be a command line or a list of its words'),
])
def test_unusable_commands_are_refused_before_anything_is_written(tmp_path, capsys, validate, message):
    path = tmp_path / 'access'
    rc, result = run_module(capsys, [entry(path, 'x\n', validate=validate)])
    assert rc == 1 and message in result['msg'] and not path.exists()


def test_rebuild_runs_the_post_command_of_an_unchanged_file(tmp_path, capsys):
    """A built file older than its source (the action says rebuild): the command runs, the file stays."""
    path = tmp_path / 'access'
    path.write_text('same\n')
    path.chmod(0o644)
    before = frozen(path)
    rc, result = run_module(capsys, [entry(path, 'same\n', id='access', rebuild=True,
                                           post_command=['/bin/cp', str(path), str(path) + '.db'])])
    assert rc == 0, result
    assert result['changed'] is True and result['changed_ids'] == [] and result['post_commands'] == ['access']
    assert (tmp_path / 'access.db').read_text() == 'same\n'
    st = os.stat(path)
    assert (st.st_ino, st.st_mtime_ns, st.st_ctime_ns) == before


def test_missing_directories_are_made_before_the_files(tmp_path, capsys):
    top, sub = tmp_path / 'lists', tmp_path / 'lists' / 'staff'
    path = sub / 'everyone'
    rc, result = run_module(capsys, [entry(path, 'alice\n')], directories=[str(top), str(sub)])
    assert rc == 0, result
    assert result['directories'] == [str(top), str(sub)] and path.read_text() == 'alice\n'
    assert stat.S_IMODE(os.stat(sub).st_mode) == 0o755 and os.stat(sub).st_uid == 0
    # An existing directory is left as it is, and not reported.
    sub.chmod(0o750)
    rc, result = run_module(capsys, [entry(path, 'alice\n')], directories=[str(top), str(sub)])
    assert rc == 0 and result['directories'] == [] and result['changed'] is False
    assert stat.S_IMODE(os.stat(sub).st_mode) == 0o750


def test_check_mode_reports_directories_and_files_without_making_them(tmp_path, capsys):
    sub = tmp_path / 'lists'
    rc, result = run_module(capsys, [entry(sub / 'everyone', 'alice\n')], directories=[str(sub)],
                            _ansible_check_mode=True)
    assert rc == 0 and result['changed'] is True
    assert result['directories'] == [str(sub)] and not sub.exists()


def test_absent_files_are_removed_after_the_writes(tmp_path, capsys):
    old, link, kept = tmp_path / 'old', tmp_path / 'link', tmp_path / 'kept'
    old.write_text('x\n')
    kept.write_text('k\n')
    link.symlink_to(kept)
    rc, result = run_module(capsys, [], absent=[str(old), str(link), str(tmp_path / 'never')],
                            _ansible_check_mode=True)
    assert rc == 0 and result['removed'] == [str(old), str(link)] and old.exists()
    rc, result = run_module(capsys, [], absent=[str(old), str(link), str(tmp_path / 'never')])
    assert rc == 0 and result['changed'] is True and result['removed'] == [str(old), str(link)]
    assert not old.exists() and not os.path.lexists(link) and kept.read_text() == 'k\n'
    rc, result = run_module(capsys, [], absent=[str(tmp_path)])
    assert rc == 1 and 'is a directory' in result['msg']


def test_a_new_file_has_its_mode_before_its_rebuild_reads_it(tmp_path, capsys):
    """A new access map with passwords: its rebuild (which copies the map's mode to the .db) already sees 0600."""
    path = tmp_path / 'access'
    seen = tmp_path / 'mode-seen-by-the-rebuild'
    rc, result = run_module(capsys, [entry(path, 'AuthInfo:relay "P:secret"\n', mode='0600',
                                           post_command=['/bin/sh', '-c', 'stat -c %a "$0" > "$1"', str(path),
                                                         str(seen)])])
    assert rc == 0, result
    assert seen.read_text() == '600\n' and mode_of(path) == 0o600


def test_a_failure_inside_ansible_helpers_still_reports_what_was_replaced(tmp_path, capsys, monkeypatch):
    """atomic_move fails through fail_json on ansible-core < 2.19 (and set_fs_attributes_if_different on every
    release): the result still lists what was replaced before, so the role restarts for it."""
    from ansible.module_utils.basic import AnsibleModule
    first, second = tmp_path / 'sendmail.mc', tmp_path / 'access'
    real = AnsibleModule.atomic_move

    def atomic_move(self, src, dest, unsafe_writes=False, keep_dest_attrs=True):
        if dest == str(second):
            self.fail_json(msg='Could not replace file: %s' % dest)
        return real(self, src, dest, unsafe_writes=unsafe_writes)
    monkeypatch.setattr(AnsibleModule, 'atomic_move', atomic_move)
    rc, result = run_module(capsys, [entry(first, 'mc\n', id='mc', post_command='/bin/true'),
                                     entry(second, 'access\n', id='access')])
    assert rc == 1 and result['msg'] == 'Could not replace file: %s' % second
    assert result['changed'] is True and result['changed_ids'] == ['mc'] and result['post_commands'] == ['mc']


def test_an_entry_may_keep_no_backup(tmp_path, capsys):
    """The helper script: an executable backup copy on root's PATH would be a second, stale helper."""
    helper, access = tmp_path / 'helper', tmp_path / 'access'
    helper.write_text('#!/bin/sh\n')
    access.write_text('old\n')
    rc, result = run_module(capsys, [entry(helper, '#!/bin/sh\nexit 0\n', mode='0755', backup=False),
                                     entry(access, 'new\n')], backup=True)
    assert rc == 0, result
    assert list(result['backups']) == [str(access)]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith('helper')) == ['helper']


def test_diff_mode_shows_directories_made_and_files_removed(tmp_path, capsys):
    old, new_dir = tmp_path / 'old', tmp_path / 'lists'
    old.write_text('x\n')
    rc, result = run_module(capsys, [], directories=[str(new_dir)], absent=[str(old)],
                            _ansible_check_mode=True, _ansible_diff=True)
    assert rc == 0
    assert [(d['before'], d['after']) for d in result['diff']] == [
        ({'path': str(new_dir), 'state': 'absent'}, {'path': str(new_dir), 'state': 'directory'}),
        ({'path': str(old), 'state': 'file'}, {'path': str(old), 'state': 'absent'})]
