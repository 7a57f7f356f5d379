"""install_files on the controller (plugin_utils/_install_plan.py): what goes to the host, and with what."""

import hashlib

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.mailops.sendmail.plugins.module_utils._install_files import ARGUMENT_SPEC
from ansible_collections.mailops.sendmail.plugins.plugin_utils._install_plan import (differs, expand, kept_attributes,
                                                                                     plan, triggered)

TEXT = 'Connect:127.0.0.1\tRELAY\n# caf\u00e9\n'
DATA = TEXT.encode('utf-8')
ENTRY_DEFAULTS = {key: spec.get('default') for key, spec in ARGUMENT_SPEC['files']['options'].items()}
TOP_DEFAULTS = {key: spec.get('default') for key, spec in ARGUMENT_SPEC.items() if key != 'files'}


def state(text=TEXT, **over):
    """One entry of host_state's files for a regular file holding text."""
    entry = dict(exists=True, type='file', checksum=hashlib.sha1(text.encode('utf-8')).hexdigest(),
                 mode='0644', owner='root', group='root', size=len(text.encode('utf-8')), mtime_ns=2_000)
    entry.update(over)
    return entry


def entry(path, **over):
    """A files[] entry as the action's argument spec leaves it (every option present)."""
    return dict(ENTRY_DEFAULTS, path=path, **over)


def run_plan(files, state_files=None, path_safety=None, **top):
    args = dict(TOP_DEFAULTS, files=files, **top)
    if state_files is not None:
        args['state'] = dict(files=state_files, path_safety=path_safety or {})
    return plan(None, args, {})


# differs and kept_attributes: when a file may be left alone

def test_same_content_owner_group_mode_does_not_differ():
    assert differs(state(), DATA, 'root', 'root', '0644') is False
    assert differs(state(owner='mail', mode='0600'), DATA) is False     # unchecked attributes are ignored


@pytest.mark.parametrize('current, args', [
    (None, ()),
    (dict(exists=False), ()),
    (state(type='directory'), ()),
    (state(text=TEXT + 'x'), ()),
    (state(owner='mail'), ('root',)),
    (state(group='mail'), (None, 'root')),
    (state(mode='0600'), (None, None, '0644')),
    (state(mode='0644'), (None, None, '0640')),
])
def test_any_difference_means_write(current, args):
    assert differs(current, DATA, *args) is True


def test_content_is_compared_byte_for_byte_and_modes_as_numbers():
    assert differs(state(), TEXT.rstrip('\n').encode()) is True
    assert differs(state(), TEXT.replace('\n', '\r\n').encode()) is True
    assert differs(state(mode='0644'), DATA, mode='644') is False
    assert differs(state(mode='0644'), DATA, mode=0o644) is False
    with pytest.raises(AnsibleActionFail, match='octal mode'):
        differs(state(), DATA, mode='rw-r--r--')


@pytest.mark.parametrize('mode, kept', [('0600', '0600'), ('0644', '0644'), ('0640', '0640'), ('0664', '0644'),
                                        ('0666', '0644'), ('0755', '0644'), ('2755', '0644'), ('4600', '0600')])
def test_kept_attributes_of_an_existing_file(mode, kept):
    """An existing file keeps its owner and group, and its mode less group/other write, execute and set-id bits,
    whatever the attributes for a new file say."""
    assert kept_attributes(state(owner='root', group='smmsp', mode=mode), 'root', 'root', '0644') == dict(
        owner='root', group='smmsp', mode=kept)


@pytest.mark.parametrize('current', [None, dict(exists=False), dict(exists=False, link=True), state(type='directory')])
def test_kept_attributes_of_a_new_file_are_the_given_ones(current):
    assert kept_attributes(current, 'root', 'smmsp', '644') == dict(owner='root', group='smmsp', mode='0644')
    assert kept_attributes(current) == dict(owner=None, group=None, mode=None)


# plan: what goes to the host

def test_nothing_differs_means_no_call_to_the_host():
    files = [entry('/etc/mail/access', content=TEXT, owner='root', group='root', mode='0644', triggers=['x'])]
    module_args, triggers = run_plan(files, {'/etc/mail/access': state()})
    assert module_args is None
    assert triggers == {'/etc/mail/access': (['x'], False)}


def test_only_what_differs_goes_with_its_attributes_and_without_controller_keys():
    files = [entry('/etc/mail/access', id='access', content=TEXT, owner='root', group='root', mode='0600',
                   keep_attributes=True),
             entry('/etc/mail/virtusertable', id='virtusertable', content='a\tb\n', owner='root', group='smmsp',
                   mode='0644', keep_attributes=True, validate=['check', '%s'], triggers=['restart']),
             entry('/etc/mail/local-host-names', id='lhn', content='x\n', owner='root', group='smmsp', mode='0644')]
    module_args, _triggers = run_plan(files, {
        '/etc/mail/access': state(mode='0664'),                     # kept mode: 0664 less group write
        '/etc/mail/virtusertable': state(text='a\tb\n', group='mail', mode='0640'),   # kept as it is
        '/etc/mail/local-host-names': dict(exists=False)})
    sent = {f['id']: f for f in module_args['files']}
    assert list(sent) == ['access', 'lhn']
    assert (sent['access']['owner'], sent['access']['group'], sent['access']['mode']) == ('root', 'root', '0644')
    assert sent['access']['content'] == TEXT and sent['access']['rebuild'] is False
    assert (sent['lhn']['owner'], sent['lhn']['group'], sent['lhn']['mode']) == ('root', 'smmsp', '0644')
    for one in sent.values():
        assert not {'template', 'file', 'vars', 'each', 'keep_attributes', 'triggers'} & set(one)


def test_a_built_file_older_than_its_source_is_rebuilt_alone():
    files = [entry('/etc/mail/access', id='access', content=TEXT, built='/etc/mail/access.db',
                   post_command='build access')]
    current = {'/etc/mail/access': state(mtime_ns=2_000)}
    for built, stale in ((state(text='db', mtime_ns=3_000), False), (state(text='db', mtime_ns=1_000), True),
                         (dict(exists=False), True)):
        module_args, _triggers = run_plan(files, dict(current, **{'/etc/mail/access.db': built}))
        if stale:
            assert [(f['id'], f['rebuild']) for f in module_args['files']] == [('access', True)]
        else:
            assert module_args is None
    # A source the host does not have yet is written (and so rebuilt) whatever the built file.
    module_args, _triggers = run_plan(files, {'/etc/mail/access': dict(exists=False),
                                              '/etc/mail/access.db': state(text='db')})
    assert module_args['files'][0]['rebuild'] is False


def test_a_built_file_the_state_does_not_know_is_named():
    files = [entry('/etc/mail/access', content=TEXT, built='/etc/mail/access.db')]
    with pytest.raises(AnsibleActionFail, match='no entry for /etc/mail/access.db'):
        run_plan(files, {'/etc/mail/access': state()})
    with pytest.raises(AnsibleActionFail, match='no entry for /etc/mail/other'):
        run_plan([entry('/etc/mail/other', content='x')], {'/etc/mail/access': state()})


def test_each_repeats_the_entry_per_item_with_its_path_and_attributes():
    items = [{'path': '/srv/lists/staff', 'owner': 'list', 'group': 'list', 'mode': '0640', 'members': ['a']},
             {'path': '/srv/lists/all', 'members': ['b']}]
    out = expand([entry(None, id='lists', each=items, template='alias-file.j2', owner='root', group='root',
                        mode='0644', vars={'x': 1})])
    assert [(e['id'], e['path'], e['owner'], e['group'], e['mode']) for e in out] == [
        ('/srv/lists/staff', '/srv/lists/staff', 'list', 'list', '0640'),
        ('/srv/lists/all', '/srv/lists/all', 'root', 'root', '0644')]
    assert out[0]['vars'] == {'x': 1, 'item': items[0]} and out[1]['vars']['item'] is items[1]
    assert expand([entry(None, id='lists', each=[], template='alias-file.j2')]) == []
    with pytest.raises(AnsibleActionFail, match='needs a path'):
        expand([entry(None, each=[{'members': []}], template='alias-file.j2')])
    with pytest.raises(AnsibleActionFail, match='neither path nor each'):
        expand([entry(None, template='alias-file.j2')])


def test_ids_must_be_unique():
    with pytest.raises(AnsibleActionFail, match="the id 'a' is given twice"):
        run_plan([entry('/x', id='a', content='1'), entry('/y', id='a', content='2')])


def test_missing_directories_come_from_the_state_of_the_files_that_go_out():
    files = [entry('/srv/lists/staff', content='a\n'), entry('/srv/other/all', content='b\n')]
    module_args, _triggers = run_plan(
        files, {'/srv/lists/staff': dict(exists=False), '/srv/other/all': state(text='b\n')},
        path_safety={'/srv/lists/staff': {'problem': None, 'missing_dirs': ['/srv', '/srv/lists']},
                     '/srv/other/all': {'problem': None, 'missing_dirs': ['/srv/other']}})
    assert module_args['directories'] == ['/srv', '/srv/lists']       # /srv/other/all does not go out


def test_absent_files_go_only_when_the_host_has_them():
    module_args, _triggers = run_plan([], {'/srv/a': state(), '/srv/b': dict(exists=False),
                                           '/srv/c': dict(exists=False, link=True)},
                                      absent=['/srv/a', '/srv/b', '/srv/c'])
    assert module_args['absent'] == ['/srv/a', '/srv/c']
    assert run_plan([], {'/srv/b': dict(exists=False)}, absent=['/srv/b'])[0] is None


def test_without_state_everything_goes_and_the_module_compares():
    module_args, _triggers = run_plan([entry('/x', content='1', rebuild=True)])
    assert [(f['path'], f['content'], f['rebuild']) for f in module_args['files']] == [('/x', '1', True)]


def test_a_state_that_is_not_host_state_is_refused():
    with pytest.raises(AnsibleActionFail, match='result of mailops.sendmail.host_state'):
        plan(None, dict(TOP_DEFAULTS, files=[], state={'changed': False}), {})


def test_triggered_names_what_changed_or_was_rebuilt_also_after_a_failure():
    triggers = {'mc': (['restart'], True), 'relay-domains': (['restart', 'reload'], False), 'access': ([], True)}
    assert triggered({'changed_ids': ['access']}, triggers) == []
    assert triggered({'changed_ids': ['relay-domains'], 'post_commands': ['mc']}, triggers) == ['reload', 'restart']
    assert triggered({'failed': True, 'post_commands': ['mc']}, triggers) == ['restart']     # a stale cf rebuilt alone
    assert triggered({'failed': True, 'msg': 'no module ran'}, triggers) == []


def test_a_file_with_a_rebuild_triggers_only_once_rebuilt():
    """sendmail.mc replaced but sendmail.cf not built (build-cf failed), or only its mode fixed: the cf the
    daemon would read is the old one, so no restart."""
    triggers = {'mc': (['restart'], True)}
    assert triggered({'failed': True, 'changed_ids': ['mc'], 'post_commands': []}, triggers) == []
    assert triggered({'changed_ids': ['mc'], 'post_commands': ['mc']}, triggers) == ['restart']
