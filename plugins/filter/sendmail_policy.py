# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The filter that merges and validates a sendmail server's policy (documented in sendmail_policy.yml); the logic
is in plugin_utils/_policy/."""

from __future__ import annotations


def sendmail_policy(data):
    """build_policy (plugin_utils/_policy), imported on the first call: Ansible loads every filter file of the
    collection when a task first uses any of its filters, and the roles' tasks use the others (fqdn_errors,
    dkim_settings, platform_error), never this one, so they need not import the whole validator."""
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import build_policy
    return build_policy(data)


class FilterModule:
    """mailops.sendmail.sendmail_policy"""

    def filters(self):
        return {'sendmail_policy': sendmail_policy}
