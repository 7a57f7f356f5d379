#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: dnsbl_verify
short_description: Verify that a mail server's addresses are not listed on DNS blocklists
version_added: 0.1.0
description:
  - "Asks each DNS blocklist zone in O(zones) about each of the server's O(addresses) (RFC 5782:
    the IPv4 octets or IPv6 nibbles reversed, under the zone)."
  - An A record means listed, and fails naming the zone, the returned codes (C(127.0.0.x)) and the
    zone's TXT reason. NXDOMAIN (or no A record) means not listed.
  - "A zone that does not answer (SERVFAIL, REFUSED, timeout) fails as V(unavailable): whether the
    address is listed is not known. An answer in C(127.255.255.0/24), how some lists refuse a query
    (for example one through a public resolver), fails as V(refused), not as a listing."
  - "Read-only. Works on the controller (C(delegate_to: localhost)) and on targets."
author:
  - mailops team (@mailops)
extends_documentation_fragment:
  - mailops.sendmail.dns
options:
  addresses:
    description: The server's own addresses, IPv4 and/or IPv6.
    type: list
    elements: str
    required: true
  zones:
    description: The blocklist zones, for example C(zen.spamhaus.org).
    type: list
    elements: str
    required: true
notes:
  - Public blocklists answer only queries from resolvers they accept; give O(nameservers) a
    resolver of your own (the system resolver by default), not a public one.
  - "The DNS modules form the action group C(mailops.sendmail.dns): set their shared options
    once with C(module_defaults: {group/mailops.sendmail.dns: {nameservers: [...]}})."
seealso:
  - module: mailops.sendmail.ptr_verify
  - name: RFC 5782, DNS blacklists and whitelists
    description: How a list is asked.
    link: https://www.rfc-editor.org/rfc/rfc5782
'''

EXAMPLES = r'''
- name: The server's addresses are on no blocklist
  mailops.sendmail.dnsbl_verify:
    addresses: [198.51.100.10, "2001:db8::10"]
    zones: [bl.example]
  delegate_to: localhost

- name: A listed address fails with the list's reason
  mailops.sendmail.dnsbl_verify:
    addresses: [198.51.100.12]
    zones: [bl.example]
    nameservers: [198.51.100.53]
  delegate_to: localhost
  register: dnsbl_check
  ignore_errors: true

- name: Show the codes and reasons of each listing
  ansible.builtin.debug:
    msg: "{{ dnsbl_check.checks | selectattr('status', 'eq', 'listed') | map(attribute='reasons') | list }}"
'''

RETURN = r'''
msg:
  description: The failure (or a count and the first failures), or a summary.
  returned: always
  type: str
  sample: "none of 198.51.100.10, 2001:db8::10 listed on bl.example"
listed:
  description: How many address and zone pairs are listings.
  returned: always
  type: int
  sample: 0
failures:
  description: Every failing query (by its name) with its reason.
  returned: always
  type: dict
  sample:
    12.100.51.198.bl.example: >-
      12.100.51.198.bl.example A: expected 198.51.100.12 not listed on bl.example,
      found 198.51.100.12 listed: 127.0.0.2 (TXT: "spam source")
checks:
  description: One result per zone and address, zone by zone, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    zone:
      description: The blocklist zone.
      type: str
    address:
      description: The address asked about.
      type: str
    query:
      description: The name asked.
      type: str
      sample: 10.100.51.198.bl.example
    failed:
      description: Whether this pair failed.
      type: bool
    status:
      description: V(not_listed), V(listed), V(unavailable), V(refused) or V(error).
      type: str
    msg:
      description: What was expected and what was found.
      type: str
    codes:
      description: The A records of a listing.
      type: list
      elements: str
      sample: [127.0.0.2]
    reasons:
      description: The TXT records of a listing.
      type: list
      elements: str
'''

from ansible_collections.mailops.sendmail.plugins.module_utils._dns import run_module
from ansible_collections.mailops.sendmail.plugins.module_utils._dnsbl_verify import (
    ARGUMENT_SPEC,
    MUTUALLY_EXCLUSIVE,
    REQUIRED_ONE_OF,
    run,
)


def main():
    run_module(ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE, REQUIRED_ONE_OF, run)


if __name__ == '__main__':
    main()
