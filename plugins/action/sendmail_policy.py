# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of mailops.sendmail.sendmail_policy: merge and validate the layered policy on the controller."""

from __future__ import annotations

from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy_action import PolicyAction


class ActionModule(PolicyAction):
    pass
