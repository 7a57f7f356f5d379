# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The action mailops.sendmail.sendmail_policy: merge and validate the layered policy on the controller.

Its options (``ARGUMENT_SPEC``, module_utils/_policy_spec.py) are documented in
plugins/modules/sendmail_policy.py: the action always runs on the controller.

The layered lists are read from the host's variables as they are, and only the
entries that contain a Jinja template are templated: templating a 20,000-entry
list whole (what a set_fact with the filter does) walks and copies every string.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping

from ansible.plugins.action import ActionBase

from ansible_collections.mailops.sendmail.plugins.module_utils._policy_spec import ARGUMENT_SPEC
from ansible_collections.mailops.sendmail.plugins.module_utils._tls import check_files
from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import LAYERED_KEYS, build_policy, policy_texts
from ansible_collections.mailops.sendmail.plugins.plugin_utils._sendmail_role import (
    PLATFORM_KEYS, UNDEFINED, file_table, role_settings)

_MARKERS = ('{{', '{%', '{#')


def _has_template(value):
    """Whether a string anywhere in value could be a Jinja template."""
    if isinstance(value, str):
        return any(marker in value for marker in _MARKERS)
    if isinstance(value, Mapping):
        return any(_has_template(key) or _has_template(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_template(item) for item in value)
    # Anything else but plain scalars (an inline !vault value, for one) is left to the templar.
    return not isinstance(value, (bool, int, float, type(None)))


def _decrypted(value):
    """value with inline !vault values as their plain text, the same object if it has none.

    ansible-core < 2.19: the templar returns a !vault value as it is (AnsibleVaultEncryptedUnicode,
    not a str; str() decrypts it). From 2.19 on the templar has decrypted it and nothing here
    changes (no value carries ``__ENCRYPTED__``).
    """
    if getattr(value, '__ENCRYPTED__', False):
        return str(value)
    if isinstance(value, Mapping):
        items = {key: _decrypted(item) for key, item in value.items()}
        return items if any(items[key] is not item for key, item in value.items()) else value
    if isinstance(value, (list, tuple)):
        items = [_decrypted(item) for item in value]
        return items if any(new is not old for new, old in zip(items, value)) else value
    return value


class PolicyAction(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def _resolve(self, value):
        """value with its templates rendered; a list entry by entry, the others whole."""
        if isinstance(value, (list, tuple)):
            return [_decrypted(self._templar.template(item)) if _has_template(item) else item for item in value]
        if _has_template(value):
            return _decrypted(self._templar.template(value))   # rendered through: its result is final
        return value

    def _variable(self, task_vars, name, default=UNDEFINED):
        """The host's variable name, rendered once per run (the settings read whether a PEM is given, and its
        check reads its text again), or default when the host does not have it."""
        if name not in task_vars:
            return default
        if name not in self._rendered:
            self._rendered[name] = self._resolve(task_vars[name])
        return self._rendered[name]

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        self._rendered = {}
        result = super(PolicyAction, self).run(tmp, task_vars)
        del tmp
        _valid, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        if args['platform_error']:
            # An unsupported OS first: its names and paths were never loaded, so its settings mean nothing.
            return dict(result, changed=False, failed=True, msg=args['platform_error'])
        platform = args['platform']
        missing = [key for key in PLATFORM_KEYS if not platform.get(key)] if platform is not None else []
        if missing:
            return dict(result, changed=False, failed=True,
                        msg='platform: %s missing or empty (it needs %s)' % (', '.join(missing), ', '.join(PLATFORM_KEYS)))
        if args['settings'] is None:
            # The role's variables, each rendered only when it holds a template: a task argument of some forty
            # templates would be compiled and rendered in every run for every host.
            data = role_settings(lambda name: self._variable(task_vars, name), task_vars.get('ansible_facts'))
        else:
            data = dict(args['settings'])
        # The SMTP AUTH users with their passwords: read here, like the PEMs, so that no password is an
        # argument of a task; build_policy checks them and returns names and states only.
        if isinstance(data.get('auth'), Mapping) and 'sendmail_auth_users' in task_vars:
            data['auth'] = dict(data['auth'], users=self._resolve(task_vars['sendmail_auth_users']))
        if isinstance(data.get('smart_host_auth'), Mapping) and 'sendmail_smart_host_auth_password' in task_vars:
            data['smart_host_auth'] = dict(data['smart_host_auth'],
                                           password=self._resolve(task_vars['sendmail_smart_host_auth_password']))
        for key in LAYERED_KEYS:
            var = 'sendmail_' + key
            if var in task_vars:
                data[key] = self._resolve(task_vars[var])
        policy = build_policy(data)
        policy['errors'].extend(self._pem_errors(policy['tls'], task_vars))
        if args['refuse_invalid'] and policy['errors']:
            # Only the errors: the message must show (a policy with AuthInfo passwords would censor it all),
            # and an error names the entry and the rule it breaks, never a password.
            host = task_vars.get('inventory_hostname', 'this host')
            return dict(result, changed=False, failed=True, policy=dict(errors=policy['errors']),
                        msg='\n  '.join(['Invalid sendmail settings for %s:' % host] + policy['errors']))
        texts = policy_texts(policy)
        result.update(changed=False, policy=texts)
        if platform is not None and not policy['errors']:
            # The sendmail role's file table, built here once: its state read and its write take it as it is.
            result['files'] = file_table(texts, platform)
        if policy['secrets']:
            # AuthInfo passwords in the access map: the result (the map as text) stays out of every log.
            result['_ansible_no_log'] = True
        return result

    def _pem_errors(self, tls, task_vars):
        """The STARTTLS PEMs of the inventory checked before any host changes: the key belongs to the
        certificate, the certificate is valid today and (with sendmail_tls_ca) its chain leads to that CA.
        They are written to a private directory here for OpenSSL and removed at once; no PEM text is ever
        part of the result."""
        managed = {entry['var'][len('sendmail_tls_'):]: entry for entry in tls['files']}
        if 'cert' not in managed or 'key' not in managed:
            return []
        texts = {}
        for part in managed:
            value = self._variable(task_vars, 'sendmail_tls_' + part, '')
            if not isinstance(value, str) or '-----BEGIN ' not in value:
                return ['sendmail_tls_%s: must be PEM text (-----BEGIN ...), got %s'
                        % (part, 'a value that is not' if part == 'key' else repr(value)[:60])]
            texts[part] = pem_text(value)
        work = tempfile.mkdtemp(prefix='mailops-tls-')
        try:
            paths = {}
            for part, text in texts.items():
                paths[part] = os.path.join(work, part + '.pem')
                handle = os.open(paths[part], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(handle, 'w') as stream:
                    stream.write(text)
            problem, detail = check_files(paths['cert'], paths['key'], paths.get('ca'))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if problem is None:
            return []
        where = {'cert': 'sendmail_tls_cert', 'key': 'sendmail_tls_key (for sendmail_tls_cert)',
                 'ca': 'sendmail_tls_ca',
                 'chain': 'sendmail_tls_cert' + (' (against sendmail_tls_ca)' if 'ca' in texts else '')}[problem]
        return ['%s (written to %s): %s' % (where, managed.get(problem if problem != 'chain' else 'cert',
                                                               managed['cert'])['path'], detail)]


def pem_text(value):
    """A PEM as the role writes it: no surrounding blank space, one newline at the end."""
    return value.strip() + '\n'
