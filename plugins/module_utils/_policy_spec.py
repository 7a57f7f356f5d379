# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The argument spec of mailops.sendmail.sendmail_policy, shared by its action (which does the work, on
the controller: plugins/plugin_utils/_policy_action.py) and its module file (documentation, and a clean
failure when it is ever run on a host)."""

from __future__ import annotations

ARGUMENT_SPEC = dict(
    # Without it: the sendmail role's variables (plugins/plugin_utils/_sendmail_role.py role_settings).
    settings=dict(type='dict'),
    refuse_invalid=dict(type='bool', default=False),
    platform_error=dict(type='str', default=''),
    # The role's names and paths (plugins/plugin_utils/_sendmail_role.py PLATFORM_KEYS): with them the file table.
    platform=dict(type='dict', options=dict(
        helper=dict(type='path'),
        conf_dir=dict(type='path'),
        conf_group=dict(type='str'),
        map_type=dict(type='str'),
        aliases_file=dict(type='path'),
    )),
)

NOT_ON_A_HOST = ('mailops.sendmail.sendmail_policy runs on the controller (its action plugin); '
                 'it cannot run as a module on the host')


def main():
    from ansible.module_utils.basic import AnsibleModule

    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg=NOT_ON_A_HOST)
