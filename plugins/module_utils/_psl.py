# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Public Suffix List (the ``publicsuffixlist`` package, ICANN and private sections), imported in
one guarded place and read once per process: the relay judgement of the policy on the controller
(plugin_utils/_policy/_relay.py) and the organizational domain of dmarc_verify (on either side)."""

from __future__ import annotations

import functools
import traceback

PSL_IMPORT_ERROR = None
try:
    from publicsuffixlist import PublicSuffixList
except ImportError:
    PublicSuffixList = None
    PSL_IMPORT_ERROR = traceback.format_exc()

HAS_PSL = PublicSuffixList is not None


@functools.lru_cache(maxsize=None)
def public_suffix_list():
    """The list, read once per process (None without the package)."""
    return None if PublicSuffixList is None else PublicSuffixList()
