# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where sendmail listens (ss output) against the validated listen entries (documented in
sendmail_listen_check.yml)."""

from __future__ import annotations

from ansible_collections.mailops.sendmail.plugins.plugin_utils._listen import check_listen


class FilterModule:
    """mailops.sendmail.sendmail_listen_check"""

    def filters(self):
        return {'sendmail_listen_check': check_listen}
