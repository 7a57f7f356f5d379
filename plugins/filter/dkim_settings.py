# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The filter that checks the DKIM signing settings of the role mailops.sendmail.dkim.

Its documentation is in dkim_settings.yml beside this file; the logic is in plugin_utils/_dkim.py.
"""

from __future__ import annotations

from ansible_collections.mailops.sendmail.plugins.plugin_utils._dkim import dkim_settings


class FilterModule:
    """mailops.sendmail DKIM filter."""

    def filters(self):
        return {'dkim_settings': dkim_settings}
