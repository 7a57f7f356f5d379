"""file_differs: when a role may skip writing a file."""

import hashlib

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mailops.sendmail.plugins.plugin_utils._files import file_differs

TEXT = 'Connect:127.0.0.1\tRELAY\n# caf\u00e9\n'


def state(text=TEXT, **over):
    entry = dict(exists=True, type='file', checksum=hashlib.sha1(text.encode('utf-8')).hexdigest(),
                 mode='0644', owner='root', group='root', size=len(text.encode('utf-8')))
    entry.update(over)
    return entry


def test_same_content_owner_group_mode_is_not_different():
    assert file_differs(state(), TEXT, 'root', 'root', '0644') is False


def test_unchecked_attributes_are_ignored():
    assert file_differs(state(owner='mail', mode='0600'), TEXT) is False


@pytest.mark.parametrize('entry, args', [
    (None, ()),
    (dict(exists=False), ()),
    (state(type='directory'), ()),
    (state(text=TEXT + 'x'), ()),
    (state(owner='mail'), ('root',)),
    (state(group='mail'), (None, 'root')),
    (state(mode='0600'), (None, None, '0644')),
    (state(mode='0644'), (None, None, '0640')),
])
def test_any_difference_means_write(entry, args):
    assert file_differs(entry, TEXT, *args) is True


def test_content_is_compared_byte_for_byte():
    assert file_differs(state(), TEXT.rstrip('\n')) is True
    assert file_differs(state(), TEXT.replace('\n', '\r\n')) is True


def test_modes_compare_as_numbers():
    assert file_differs(state(mode='0644'), TEXT, mode='644') is False
    assert file_differs(state(mode='0644'), TEXT, mode=0o644) is False


def test_bad_arguments_are_named():
    with pytest.raises(AnsibleFilterError, match='octal mode'):
        file_differs(state(), TEXT, mode='rw-r--r--')
    with pytest.raises(AnsibleFilterError, match='content must be text'):
        file_differs(state(), b'bytes')
    with pytest.raises(AnsibleFilterError, match='host_state'):
        file_differs('not a dict', TEXT)


@pytest.mark.parametrize('mode, kept', [('0600', '0600'), ('0644', '0644'), ('0640', '0640'), ('0664', '0644'),
                                        ('0666', '0644'), ('0755', '0644'), ('2755', '0644'), ('4600', '0600')])
def test_kept_attributes_of_an_existing_file(mode, kept):
    """An existing file keeps its owner and group, and its mode less group/other write, execute and set-id bits,
    whatever the defaults for a new file say."""
    from ansible_collections.mailops.sendmail.plugins.plugin_utils._files import kept_attributes
    assert kept_attributes(state(owner='root', group='smmsp', mode=mode), 'root', 'root', '0644') == dict(
        owner='root', group='smmsp', mode=kept)


@pytest.mark.parametrize('entry', [None, dict(exists=False), dict(exists=False, link=True), state(type='directory')])
def test_kept_attributes_of_a_new_file_are_the_defaults(entry):
    from ansible_collections.mailops.sendmail.plugins.plugin_utils._files import kept_attributes
    assert kept_attributes(entry, 'root', 'smmsp', '644') == dict(owner='root', group='smmsp', mode='0644')
    assert kept_attributes(entry) == dict(owner=None, group=None, mode=None)


def test_a_kept_mode_that_differs_means_write():
    """A group-writable file is rewritten to its kept mode: file_differs with the kept attributes says so."""
    from ansible_collections.mailops.sendmail.plugins.plugin_utils._files import kept_attributes
    current = state(group='smmsp', mode='0664')
    want = kept_attributes(current, 'root', 'root', '0600')
    assert file_differs(current, TEXT, want['owner'], want['group'], want['mode']) is True
    current = state(group='smmsp', mode='0640')
    want = kept_attributes(current, 'root', 'root', '0600')
    assert file_differs(current, TEXT, want['owner'], want['group'], want['mode']) is False
