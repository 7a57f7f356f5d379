#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: a_verify
short_description: Verify that host names resolve to the expected addresses
version_added: 0.1.0
description:
  - Looks up the A and/or AAAA records of one or many host names and compares
    the addresses found with the expected ones (O(expected), or per name in O(names)).
  - With O(match=exact) (the default) a name must resolve to exactly the expected
    addresses of the looked-up families. With O(match=subset) it must resolve to one or
    more of them and to nothing else, for example a name checked against the
    addresses of several servers.
  - Fails when a name resolves elsewhere, partly elsewhere (one address wrong, or with
    O(match=exact) missing), not at all (NXDOMAIN or NODATA), or when the lookup fails
    (SERVFAIL, REFUSED, timeout after O(retries)). The message names the record,
    the expected and the found values.
  - Many names are checked in one call, concurrently (bounded thread pool); every
    name gets a result and all failing names are listed in RV(failures).
  - "Read-only. Works on the controller (C(delegate_to: localhost)) and on targets."
author:
  - mailops team (@mailops)
extends_documentation_fragment:
  - mailops.sendmail.dns
options:
  name:
    description:
      - Fully qualified host name to check, with or without trailing dot.
      - Exactly one of O(name) and O(names) is required.
    type: str
  names:
    description:
      - Many host names to check in one call.
      - "Each entry is a name, checked against O(expected), or a mapping
        C({name: <name>, expected: [<address>, ...]}) with the addresses of that name
        (O(expected) is then not needed for it); O(match) applies to every name."
      - Duplicates (also with and without trailing dot, or in another case) are checked
        once; the same name with different expected addresses is an error.
    type: list
    elements: raw
  expected:
    description:
      - The addresses the name(s) must resolve to, IPv4 and/or IPv6.
      - For each record type in O(record_types) the addresses found are compared with
        the expected addresses of that family, as O(match) says.
      - Required unless every entry of O(names) gives its own C(expected).
    type: list
    elements: str
  match:
    description:
      - How the addresses found must match the expected ones.
      - V(exact) - the addresses found are exactly the expected addresses, no fewer and
        no more (of the families in O(record_types)).
      - V(subset) - at least one address is found and every address found is expected
        (the name resolves to one or more of them and to nothing else). This is how
        M(mailops.sendmail.mx_verify) matches an MX host.
    type: str
    choices: [exact, subset]
    default: exact
  record_types:
    description:
      - Which address records to look up.
    type: list
    elements: str
    choices: [A, AAAA]
    default: [A]
notes:
  - The query goes to the nameservers directly (UDP, TCP if truncated); CNAME
    chains are followed and reported in RV(checks[].cname).
  - "The DNS modules form the action group C(mailops.sendmail.dns): set their shared options
    once with C(module_defaults: {group/mailops.sendmail.dns: {nameservers: [...]}})."
seealso:
  - module: mailops.sendmail.mx_verify
  - module: mailops.sendmail.ptr_verify
'''

EXAMPLES = r'''
- name: The mail server's name resolves to its own address
  mailops.sendmail.a_verify:
    name: mail.example.org
    expected: [198.51.100.10]
  delegate_to: localhost

- name: IPv4 and IPv6, against a given nameserver
  mailops.sendmail.a_verify:
    name: mail.example.org.
    expected: [198.51.100.10, "2001:db8::10"]
    record_types: [A, AAAA]
    nameservers: [198.51.100.53]
    timeout: 2
    retries: 1

- name: Every mail server's name resolves to its own addresses, in one call
  mailops.sendmail.a_verify:
    names:
      - {name: mail.example.org, expected: [198.51.100.10, "2001:db8::10"]}
      - {name: mx2.example.org, expected: [198.51.100.11]}
    record_types: [A, AAAA]
  delegate_to: localhost

- name: Many names in one call, each resolving to one or more of the servers' addresses and nothing else
  mailops.sendmail.a_verify:
    names: "{{ groups['mail_servers'] | map('extract', hostvars, 'fqdn_name') | list }}"
    expected: "{{ groups['mail_servers'] | map('extract', hostvars, 'fqdn_ip') | flatten | list }}"
    match: subset
  register: a_check
  ignore_errors: true

- name: Show every failing name
  ansible.builtin.debug:
    var: a_check.failures

- name: A name that must not resolve elsewhere fails with what it found
  mailops.sendmail.a_verify:
    name: www.example.org
    expected: [198.51.100.10, 198.51.100.11]
    match: subset
  register: www_check
  ignore_errors: true
'''

RETURN = r'''
msg:
  description: The failure (or a count and the first failures), or a success summary.
  returned: always
  type: str
  sample: "mail.example.org A: expected 198.51.100.10, found 198.51.100.99 (unexpected: 198.51.100.99; missing: 198.51.100.10)"
addresses:
  description: The addresses found for O(name), IPv4 first, sorted.
  returned: when O(name) is used
  type: list
  elements: str
  sample: [198.51.100.10]
failures:
  description: Every failing name with its reason.
  returned: always
  type: dict
  sample: {"old.example.org": "old.example.org A: expected 198.51.100.10, found nothing: the name does not exist (NXDOMAIN)"}
checks:
  description: One result per name, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The name checked, lower case, without trailing dot.
      type: str
      sample: mail.example.org
    failed:
      description: Whether this name failed.
      type: bool
    status:
      description:
        - V(ok), V(mismatch) (only other addresses), V(partial) (some addresses wrong, or with
          O(match=exact) missing), V(nxdomain), V(nodata), V(servfail), V(refused), V(timeout),
          V(error) or V(invalid) (bad name).
      type: str
      sample: ok
    msg:
      description: What was expected and what was found.
      type: str
      sample: "mail.example.org A: 198.51.100.10 as expected"
    expected:
      description: The expected addresses of the looked-up families this name was compared with, sorted.
      type: list
      elements: str
      sample: [198.51.100.10]
    addresses:
      description: All addresses found (of O(record_types)), IPv4 first, sorted.
      type: list
      elements: str
      sample: [198.51.100.10]
    missing:
      description: Expected addresses not found (with O(match=subset) not a failure).
      type: list
      elements: str
    unexpected:
      description: Addresses found that were not expected.
      type: list
      elements: str
    cname:
      description: The CNAME chain followed from the name, if any.
      type: list
      elements: str
      sample: []
'''

from ansible_collections.mailops.sendmail.plugins.module_utils._dns import run_module
from ansible_collections.mailops.sendmail.plugins.module_utils._a_verify import (
    ARGUMENT_SPEC,
    MUTUALLY_EXCLUSIVE,
    REQUIRED_ONE_OF,
    run,
)


def main():
    run_module(ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE, REQUIRED_ONE_OF, run)


if __name__ == '__main__':
    main()
