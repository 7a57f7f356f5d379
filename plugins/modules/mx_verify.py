#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: mx_verify
short_description: Verify that mail domains' MX records point at this mail server
version_added: 0.1.0
description:
  - Looks up the MX records of one or many mail domains, follows every MX
    exchange to its A/AAAA records and checks that O(require=any) MX host or
    O(require=all) of them resolve to an address of this server (O(expected)).
  - An MX host matches when it resolves to one or more of the O(expected) addresses and to no
    other address, as M(mailops.sendmail.a_verify) does with O(mailops.sendmail.a_verify#module:match=subset).
    O(expected) lists all addresses of the server, and an MX host may publish only some of them,
    for example only its IPv4 address.
  - "Reports clearly, per domain: no MX (the RFC 5321 section 5.1 implicit MX on the
    domain's own A/AAAA records: reported, and a failure unless O(allow_implicit_mx=true)),
    a null MX (RFC 7505 C(0 .): the domain accepts no mail, a failure), an MX that
    points at a CNAME (RFC 2181 section 10.3) or is an IP address literal (both
    invalid: such a host never counts as a match), NXDOMAIN, SERVFAIL, REFUSED and
    timeouts (after O(retries))."
  - Many domains are checked in one call, concurrently (bounded thread pool);
    lookups of MX hosts shared by many domains are made once. Every domain gets a
    result and all failing domains are listed in RV(failures).
  - "Read-only. Works on the controller (C(delegate_to: localhost)) and on targets."
author:
  - mailops team (@mailops)
extends_documentation_fragment:
  - mailops.sendmail.dns
options:
  domain:
    description:
      - Mail domain to check, with or without trailing dot.
      - Exactly one of O(domain) and O(domains) is required.
    type: str
  domains:
    description:
      - Many mail domains to check in one call.
      - Duplicates (also with and without trailing dot) are checked once.
    type: list
    elements: str
  expected:
    description:
      - The addresses of this mail server, IPv4 and/or IPv6.
      - An MX host matches when its addresses (of O(record_types)) are one or more of these and no other.
    type: list
    elements: str
    required: true
  require:
    description:
      - V(any) - at least one MX host must resolve to expected addresses only.
      - V(all) - every MX host must resolve to expected addresses only.
    type: str
    choices: [any, all]
    default: any
  allow_implicit_mx:
    description:
      - Accept a domain without MX records when its own A/AAAA records (the implicit
        MX of RFC 5321 section 5.1) are expected addresses.
      - When false, a domain without MX always fails (the implicit MX is still reported).
    type: bool
    default: false
  record_types:
    description:
      - Address records looked up for each MX host.
      - Default is the types of the addresses in O(expected) (V(A) for IPv4, V(AAAA) for IPv6).
    type: list
    elements: str
    choices: [A, AAAA]
notes:
  - The module fails when any domain fails; RV(checks) and RV(failures) are returned
    either way, so use C(ignore_errors) or C(failed_when) to act on them.
  - "The DNS modules form the action group C(mailops.sendmail.dns): set their shared options
    once with C(module_defaults: {group/mailops.sendmail.dns: {nameservers: [...]}})."
seealso:
  - module: mailops.sendmail.a_verify
  - module: mailops.sendmail.ptr_verify
  - name: RFC 7505 (null MX)
    description: A "Null MX" No Service Resource Record for Domains That Accept No Mail.
    link: https://www.rfc-editor.org/rfc/rfc7505
'''

EXAMPLES = r'''
- name: The domain's MX points at this server
  mailops.sendmail.mx_verify:
    domain: example.org
    expected: [198.51.100.10]
  delegate_to: localhost

- name: All domains of the server in one call, every MX host must be ours
  mailops.sendmail.mx_verify:
    domains: "{{ sendmail_local_host_names }}"
    expected: ["{{ fqdn_ip }}"]
    require: all
    nameservers: [198.51.100.53]
    timeout: 2
    retries: 1
  delegate_to: localhost
  register: mx_check
  ignore_errors: true

- name: List the failing domains with their reasons
  ansible.builtin.debug:
    var: mx_check.failures

- name: A domain served through its A record only (no MX) is fine here
  mailops.sendmail.mx_verify:
    domain: host-only.example.org
    expected: [198.51.100.10, "2001:db8::10"]
    allow_implicit_mx: true
'''

RETURN = r'''
msg:
  description: The failure (or a count and the first failures), or a success summary.
  returned: always
  type: str
  sample: "example.org MX: expected an MX host resolving to 198.51.100.10, found 10 mx.other.example (198.51.100.99)"
mx:
  description: The MX records of O(domain), sorted by preference (as in RV(checks[].mx)).
  returned: when O(domain) is used
  type: list
  elements: dict
  sample:
    - {"preference": 10, "exchange": "mail.example.org", "addresses": ["198.51.100.10"], "status": "ok", "problem": ""}
failures:
  description: Every failing domain with its reason.
  returned: always
  type: dict
  sample: {"gone.example.org": "gone.example.org MX: expected an MX host resolving to 198.51.100.10, found nothing: the domain does not exist (NXDOMAIN)"}
checks:
  description: One result per domain, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    domain:
      description: The domain checked, lower case, without trailing dot.
      type: str
      sample: example.org
    failed:
      description: Whether this domain failed.
      type: bool
    status:
      description:
        - V(ok), V(mismatch) (MX hosts resolve elsewhere or not at all), V(invalid_mx)
          (an MX host is a CNAME, an IP literal or a null MX among others), V(no_mx)
          (implicit MX not allowed), V(null_mx), V(nxdomain), V(servfail), V(refused),
          V(timeout), V(error) or V(invalid) (bad domain name).
        - V(servfail), V(refused), V(timeout) and V(error) are also used when the MX lookup
          worked but no MX host could be looked up.
      type: str
      sample: ok
    msg:
      description: What was expected and what was found.
      type: str
    implicit_mx:
      description: True when the domain has no MX record (mail goes to its A/AAAA records).
      type: bool
    null_mx:
      description: True when the domain has a null MX (RFC 7505).
      type: bool
    cname:
      description: The CNAME chain followed from the domain for its MX lookup, if any.
      type: list
      elements: str
    mx:
      description:
        - MX records sorted by preference, then exchange. For an implicit MX, one entry
          with preference 0 and the domain itself as exchange.
      type: list
      elements: dict
      contains:
        preference:
          description: MX preference.
          type: int
        exchange:
          description: MX host, lower case, without trailing dot (V(.) for a null MX).
          type: str
        addresses:
          description: Addresses of the MX host (of O(record_types)), sorted.
          type: list
          elements: str
        status:
          description:
            - V(ok) (the host has addresses and all are expected, so it matches), V(mismatch) (only
              unexpected addresses), V(partial) (expected and unexpected addresses), V(nxdomain),
              V(nodata), V(servfail), V(refused), V(timeout) or V(error).
            - Invalid MX hosts, which never match - V(cname) (the exchange is an alias),
              V(ip_literal) (the exchange is an IP address) and V(null) (a null MX among others).
          type: str
        problem:
          description: Why the host does not match, empty when it does.
          type: str
'''

from ansible_collections.mailops.sendmail.plugins.module_utils._dns import run_module
from ansible_collections.mailops.sendmail.plugins.module_utils._mx_verify import (
    ARGUMENT_SPEC,
    MUTUALLY_EXCLUSIVE,
    REQUIRED_ONE_OF,
    run,
)


def main():
    run_module(ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE, REQUIRED_ONE_OF, run)


if __name__ == '__main__':
    main()
