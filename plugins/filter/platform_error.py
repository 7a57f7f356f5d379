# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The platform_error filter (documented in platform_error.yml); the table is plugin_utils/_platforms.py."""

from __future__ import annotations

from ansible_collections.mailops.sendmail.plugins.plugin_utils._platforms import platform_error


class FilterModule:
    """mailops.sendmail platform filter."""

    def filters(self):
        return {'platform_error': platform_error}
