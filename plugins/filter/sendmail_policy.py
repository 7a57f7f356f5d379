# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters that merge and validate a sendmail server's policy.

The documentation of each filter is in the YAML file of the same name
beside this one (sendmail_policy.yml, sendmail_listen_check.yml,
fqdn_errors.yml); the logic is in plugin_utils/_policy/.
"""

from __future__ import annotations

from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import (
    build_policy,
    check_listen,
    fqdn_errors,
)


class FilterModule:
    """mailops.sendmail policy filters."""

    def filters(self):
        return {
            'sendmail_policy': build_policy,
            'sendmail_listen_check': check_listen,
            'fqdn_errors': fqdn_errors,
        }
