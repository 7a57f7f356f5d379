# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The mail_domains filter (documented in mail_domains.yml); the logic is plugin_utils/_mail_domains.py."""

from __future__ import annotations

from ansible_collections.mailops.sendmail.plugins.plugin_utils._mail_domains import mail_domains


class FilterModule:
    """mailops.sendmail.mail_domains"""

    def filters(self):
        return {'mail_domains': mail_domains}
