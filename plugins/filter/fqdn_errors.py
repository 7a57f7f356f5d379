# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fqdn role's check of a host's name, address and aliases (documented in fqdn_errors.yml).

A file of its own, apart from the sendmail policy's filters: the fqdn role's validation loads only the grammar it
uses, not the policy validator.
"""

from __future__ import annotations

from ansible_collections.mailops.sendmail.plugins.plugin_utils._fqdn import fqdn_errors


class FilterModule:
    """mailops.sendmail.fqdn_errors"""

    def filters(self):
        return {'fqdn_errors': fqdn_errors}
