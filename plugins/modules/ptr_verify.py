#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: ptr_verify
short_description: Verify forward-confirmed reverse DNS of mail server addresses
version_added: 0.1.0
description:
  - For each address, looks up the PTR record of its C(in-addr.arpa) or C(ip6.arpa)
    name and the A (IPv4) or AAAA (IPv6) records of every PTR name.
  - Passes when a PTR name resolves back to the address (forward-confirmed reverse
    DNS) and, with O(expected_name), when that name is O(expected_name).
  - Fails, naming the record and the expected and found values, when there is no
    PTR record, when no PTR name resolves back to the address, when the PTR name is
    not O(expected_name), or when a lookup fails (SERVFAIL, REFUSED, timeout after O(retries)).
  - Many addresses are checked in one call, concurrently (bounded thread pool).
  - "Read-only. Works on the controller (C(delegate_to: localhost)) and on targets."
author:
  - mailops team (@mailops)
extends_documentation_fragment:
  - mailops.sendmail.dns
options:
  address:
    description:
      - IPv4 or IPv6 address to check.
      - Exactly one of O(address) and O(addresses) is required.
    type: str
  addresses:
    description:
      - Many addresses to check in one call.
      - "Each entry is an address, checked against O(expected_name), or a mapping
        C({address: <address>, expected_name: <name>}) with the name of that address
        (for many servers in one call)."
      - Duplicates (also in another notation) are checked once; the same address with
        different expected names is an error.
    type: list
    elements: raw
  expected_name:
    description:
      - The name the PTR record must give (with or without trailing dot), for every address
        that does not give its own in O(addresses).
      - When not given, any PTR name that resolves back to the address passes.
    type: str
notes:
  - "The DNS modules form the action group C(mailops.sendmail.dns): set their shared options
    once with C(module_defaults: {group/mailops.sendmail.dns: {nameservers: [...]}})."
seealso:
  - module: mailops.sendmail.a_verify
  - module: mailops.sendmail.mx_verify
'''

EXAMPLES = r'''
- name: Reverse DNS of the mail server is forward-confirmed and names the server
  mailops.sendmail.ptr_verify:
    addresses: [198.51.100.10, "2001:db8::10"]
    expected_name: mail.example.org
  delegate_to: localhost

- name: Any forward-confirmed name will do
  mailops.sendmail.ptr_verify:
    address: 198.51.100.10
    nameservers: [198.51.100.53]
  register: ptr_check

- name: Show the PTR names
  ansible.builtin.debug:
    var: ptr_check.ptr_names

- name: The reverse DNS of every mail server, in one call
  mailops.sendmail.ptr_verify:
    addresses:
      - {address: 198.51.100.10, expected_name: mail.example.org}
      - {address: "2001:db8::10", expected_name: mail.example.org}
      - {address: 198.51.100.11, expected_name: mx2.example.org}
  delegate_to: localhost
'''

RETURN = r'''
msg:
  description: The failure (or a count and the first failures), or a success summary.
  returned: always
  type: str
  sample: "10.100.51.198.in-addr.arpa PTR: mail.example.org, which resolves back to 198.51.100.10"
ptr_names:
  description: The PTR names of O(address).
  returned: when O(address) is used
  type: list
  elements: str
  sample: [mail.example.org]
failures:
  description: Every failing address with its reason.
  returned: always
  type: dict
  sample:
    198.51.100.30: >-
      30.100.51.198.in-addr.arpa PTR: expected a name resolving back to 198.51.100.30,
      found nothing: the name does not exist (NXDOMAIN)
checks:
  description: One result per address, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    address:
      description: The address checked (compressed IPv6 form).
      type: str
      sample: 198.51.100.10
    failed:
      description: Whether this address failed.
      type: bool
    status:
      description:
        - V(ok), V(unconfirmed) (no PTR name resolves back), V(mismatch) (PTR is not O(expected_name)),
          V(nxdomain), V(nodata), V(servfail), V(refused), V(timeout), V(error) or V(invalid) (bad address).
      type: str
      sample: ok
    msg:
      description: What was expected and what was found.
      type: str
    ptr:
      description: The reverse name looked up.
      type: str
      sample: 10.100.51.198.in-addr.arpa
    ptr_names:
      description: The names in the PTR records.
      type: list
      elements: str
      sample: [mail.example.org]
    forward:
      description: The addresses each PTR name resolves to (A for IPv4, AAAA for IPv6).
      type: dict
      sample: {"mail.example.org": ["198.51.100.10"]}
    expected_name:
      description: The name the PTR record had to give, if any.
      type: str
      sample: mail.example.org
    confirmed:
      description: The PTR names that resolve back to the address.
      type: list
      elements: str
      sample: [mail.example.org]
'''

from ansible_collections.mailops.sendmail.plugins.module_utils._dns import run_module
from ansible_collections.mailops.sendmail.plugins.module_utils._ptr_verify import (
    ARGUMENT_SPEC,
    MUTUALLY_EXCLUSIVE,
    REQUIRED_ONE_OF,
    run,
)


def main():
    run_module(ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE, REQUIRED_ONE_OF, run)


if __name__ == '__main__':
    main()
