# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of mailops.sendmail.dnsbl_verify: the check in-process on the controller, else the module."""

from __future__ import annotations

from ansible_collections.mailops.sendmail.plugins.module_utils import _dnsbl_verify
from ansible_collections.mailops.sendmail.plugins.plugin_utils._dns_action import DnsCheckAction


class ActionModule(DnsCheckAction):

    CHECK = _dnsbl_verify
