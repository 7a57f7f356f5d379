# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):
    """What the DNS verification modules (the *_verify modules) share.

    The options match ``dns_argument_spec()`` in ``plugins/module_utils/_dns.py``.
    Use it with ``extends_documentation_fragment: [mailops.sendmail.dns]``.
    """

    DOCUMENTATION = r'''
requirements:
  - dnspython
attributes:
  check_mode:
    support: full
    description: The module only reads DNS and behaves the same in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no diff.
options:
  nameservers:
    description:
      - IP addresses (or host names) of the nameservers to ask.
      - When not given or empty, the system resolver's nameservers (C(/etc/resolv.conf)).
    type: list
    elements: str
  port:
    description: Port of the nameservers.
    type: int
    default: 53
  timeout:
    description: Seconds to wait for one answer from one nameserver.
    type: float
    default: 3.0
  retries:
    description:
      - How many times to retry a query that timed out (at most O(retries) + 1 tries).
      - SERVFAIL and REFUSED are not retried; the next nameserver is asked instead.
    type: int
    default: 2
  workers:
    description:
      - Maximum number of names, domains or addresses (whichever the module checks) looked up at
        the same time (threads).
      - Lookups start one at a time; as soon as they are seen to wait on the network, the
        remaining ones are spread over up to O(workers) threads. A nameserver on the same
        machine answers faster than the answers are parsed, and one thread is then fastest.
    type: int
    default: 16
'''
