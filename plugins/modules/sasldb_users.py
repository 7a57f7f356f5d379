#!/usr/bin/python
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sasldb_users
short_description: Keep Cyrus SASL users and their passwords in sasldb2, never showing a password
description:
  - Adds, updates and removes users of a Cyrus SASL C(sasldb2) file (what sendmail's SMTP AUTH checks passwords
    against with the SASL setting C(pwcheck_method) C(auxprop)), with C(saslpasswd2), the password on its standard input.
  - A password is set only when it differs. Each one is checked first with libsasl2's own C(sasl_checkpass)
    against the file (through C(ctypes), with a private SASL configuration that reads only that file), so a
    run with nothing to change changes nothing and no password is written again.
  - No password is ever part of the result, the diff or a message; the diff names the users only.
version_added: 0.1.0
author:
  - mailops team (@mailops)
options:
  users:
    description: 'The users, each C({name, password}) or C({name, state: absent}).'
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The user name, without the realm.
        type: str
        required: true
      password:
        description: The password (required unless O(users[].state=absent)).
        type: str
      state:
        description: C(absent) removes the user.
        type: str
        choices: [present, absent]
        default: present
  realm:
    description: The SASL realm of the users (sendmail's C(confAUTH_REALM), by default the host's FQDN).
    type: str
    required: true
  path:
    description: The sasldb2 file.
    type: path
    default: /etc/sasldb2
  group:
    description: The group of the file (owner root, mode 0640), put back when it differs.
    type: str
    default: root
requirements:
  - C(saslpasswd2), C(sasldblistusers2) and libsasl2 with its sasldb plugin on the host (Debian C(sasl2-bin) and
    C(libsasl2-modules); Red Hat C(cyrus-sasl)).
attributes:
  check_mode:
    description: Reports what it would add, update or remove; changes nothing.
    support: full
  diff_mode:
    description: The user names before and after (never a password).
    support: full
"""

EXAMPLES = r"""
- name: Keep the SMTP AUTH users of the mail server
  mailops.sendmail.sasldb_users:
    realm: mx1.example.com
    group: sasl
    users:
      - {name: alice, password: "{{ vault_alice_smtp_password }}"}
      - {name: bob, state: absent}
"""

RETURN = r"""
added:
  description: The users added.
  returned: always
  type: list
  elements: str
updated:
  description: The users whose password was set again because it differed.
  returned: always
  type: list
  elements: str
removed:
  description: The users removed.
  returned: always
  type: list
  elements: str
"""

import ctypes
import ctypes.util
import grp
import os
import shutil
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule

SASL_OK = 0


def list_users(module, path, realm):
    """The user names of ``realm`` in the sasldb file (none when it does not exist)."""
    if not os.path.exists(path):
        return set()
    rc, out, err = module.run_command(['sasldblistusers2', '-f', path])
    if rc != 0:
        module.fail_json(msg='sasldblistusers2 -f %s failed: %s' % (path, err.strip() or out.strip()))
    names = set()
    for line in out.splitlines():
        user, _sep, _rest = line.partition(':')
        name, _at, user_realm = user.rpartition('@')
        if name and user_realm == realm:
            names.add(name)
    return names


class PasswordCheck:
    """libsasl2's sasl_checkpass against one sasldb file, with a SASL configuration of its own (SASL_CONF_PATH):
    what the host's sendmail would answer, without its configuration or a network round trip."""

    def __init__(self, module, path, realm):
        self.conn = None
        self.work = tempfile.mkdtemp(prefix='mailops-sasl-')
        name = ctypes.util.find_library('sasl2') or 'libsasl2.so.2'
        with open(os.path.join(self.work, 'mailops-check.conf'), 'w') as stream:
            stream.write('pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: %s\n' % path)
        os.environ['SASL_CONF_PATH'] = self.work
        try:
            self.lib = ctypes.CDLL(name)
        except OSError as err:
            self.close()
            module.fail_json(msg='cannot load libsasl2 (%s) to compare the passwords: %s' % (name, err))
        rc = self.lib.sasl_server_init(None, b'mailops-check')
        conn = ctypes.c_void_p()
        if rc == SASL_OK:
            rc = self.lib.sasl_server_new(b'smtp', None, realm.encode(), None, None, None, 0, ctypes.byref(conn))
        if rc != SASL_OK:
            self.close()
            module.fail_json(msg='libsasl2 could not start a password check (SASL error %d)' % rc)
        self.conn = conn

    def matches(self, name, password):
        user, secret = name.encode(), password.encode()
        return self.lib.sasl_checkpass(self.conn, user, len(user), secret, len(secret)) == SASL_OK

    def close(self):
        if self.conn is not None:
            self.lib.sasl_dispose(ctypes.byref(self.conn))
            self.conn = None
        shutil.rmtree(self.work, ignore_errors=True)


def fix_attributes(module, path, group):
    """Owner root, the group, mode 0640: whether anything was changed (or would be, in check mode)."""
    if not os.path.exists(path):
        return False
    info = os.stat(path)
    gid = grp.getgrnam(group).gr_gid
    if info.st_uid == 0 and info.st_gid == gid and stat.S_IMODE(info.st_mode) == 0o640:
        return False
    if not module.check_mode:
        os.chown(path, 0, gid)
        os.chmod(path, 0o640)
    return True


def main():
    module = AnsibleModule(
        argument_spec=dict(
            users=dict(type='list', elements='dict', required=True, options=dict(
                name=dict(type='str', required=True),
                password=dict(type='str', no_log=True),
                state=dict(type='str', choices=['present', 'absent'], default='present'),
            ), required_if=[('state', 'present', ['password'])]),
            realm=dict(type='str', required=True),
            path=dict(type='path', default='/etc/sasldb2'),
            group=dict(type='str', default='root'),
        ),
        supports_check_mode=True,
    )
    users, realm, path = module.params['users'], module.params['realm'], module.params['path']
    before = list_users(module, path, realm)
    added, updated, removed = [], [], []
    present = [u for u in users if u['state'] == 'present']
    check = PasswordCheck(module, path, realm) if present and before else None
    try:
        for user in present:
            if user['name'] not in before:
                added.append(user['name'])
            elif not check.matches(user['name'], user['password']):
                updated.append(user['name'])
    finally:
        if check is not None:
            check.close()
    removed = [u['name'] for u in users if u['state'] == 'absent' and u['name'] in before]
    if not module.check_mode:
        for user in present:
            if user['name'] in added or user['name'] in updated:
                rc, out, err = module.run_command(['saslpasswd2', '-p', '-c', '-u', realm, '-f', path, user['name']],
                                                  data=user['password'])
                if rc != 0:
                    module.fail_json(msg='saslpasswd2 could not set the password of %s: %s'
                                     % (user['name'], err.strip() or out.strip()))
        for name in removed:
            rc, out, err = module.run_command(['saslpasswd2', '-d', '-u', realm, '-f', path, name])
            if rc != 0:
                module.fail_json(msg='saslpasswd2 could not remove %s: %s' % (name, err.strip() or out.strip()))
    attributes = fix_attributes(module, path, module.params['group'])
    after = sorted((before | set(added)) - set(removed))
    changed = bool(added or updated or removed or attributes)
    result = dict(changed=changed, added=added, updated=updated, removed=removed)
    if module._diff and changed:
        result['diff'] = dict(before_header='%s (%s)' % (path, realm), after_header='%s (%s)' % (path, realm),
                              before=''.join('%s\n' % n for n in sorted(before)),
                              after=''.join('%s%s\n' % (n, ' (password set)' if n in updated else '')
                                            for n in after))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
