#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: spf_verify
short_description: Verify that a mail server may send for domains by their SPF records
version_added: 0.1.0
description:
  - Evaluates the SPF record (RFC 7208) of one or many domains for each address the server
    sends from, as a receiver does (C(check_host())), and compares the result with the
    required one (O(result), default V(pass); or per domain in O(domains)).
  - The evaluation follows C(include:), C(a), C(mx), C(ptr), C(exists), C(ip4), C(ip6), C(all),
    C(redirect=) and macros, counts the DNS lookups (more than 10 is a V(permerror)) and the
    lookups that find nothing (more than 2 is a V(permerror)).
  - "The results are those of RFC 7208: V(pass), V(fail), V(softfail), V(neutral), V(none) (no SPF
    record), V(permerror) (a broken record: a syntax error, two records, too many lookups, an
    C(include:) of a domain without record) and V(temperror) (a lookup failed: SERVFAIL, REFUSED,
    timeout)."
  - "Every failure names the domain, the address, the required and the found result, and why:
    the mechanism that matched and the record it is in, or the error."
  - Every lookup goes to O(nameservers) (not the system resolver unless none is given), so an
    authoritative-only server such as a primary can be asked.
  - "Read-only. Works on the controller (C(delegate_to: localhost)) and on targets."
author:
  - mailops team (@mailops)
extends_documentation_fragment:
  - mailops.sendmail.dns
options:
  domain:
    description:
      - The domain to check (the domain of the envelope sender, C(MAIL FROM)).
      - Exactly one of O(domain) and O(domains) is required.
    type: str
  domains:
    description:
      - Many domains to check in one call.
      - "Each entry is a domain, required to give O(result), or a mapping
        C({domain: <name>, result: <result>}) with the result required for that domain."
      - Duplicates (also with and without trailing dot, or in another case) are checked once; the
        same domain with different results is an error.
    type: list
    elements: raw
  addresses:
    description:
      - The addresses the server sends from (IPv4 and/or IPv6); each is evaluated.
    type: list
    elements: str
    required: true
  result:
    description:
      - The result each address must get, for the domains without their own.
      - V(fail) checks that an address may B(not) send for a domain.
    type: str
    choices: [pass, fail, softfail, neutral, none, permerror, temperror]
    default: pass
  sender:
    description:
      - The sender's local part or address, for the macros C(%{s}), C(%{l}) and C(%{o}).
      - A local part is put before each domain. Default C(postmaster@<domain>).
    type: str
  helo:
    description:
      - The server's HELO name, for the macro C(%{h}). Default the domain.
    type: str
notes:
  - The evaluator is the collection's own, on the module's DNS client (the nameservers, timeouts
    and retries given here). pyspf was not used because it can only resolve through the system
    resolver (dnspython's process-wide default), which would have to be replaced for every task
    of a controller's worker.
  - C(exp=) is not evaluated (it only words the rejection); C(%{p}) expands to C(unknown).
  - "The DNS modules form the action group C(mailops.sendmail.dns): set their shared options
    once with C(module_defaults: {group/mailops.sendmail.dns: {nameservers: [...]}})."
seealso:
  - module: mailops.sendmail.dmarc_verify
  - module: mailops.sendmail.dkim_verify
  - name: RFC 7208, Sender Policy Framework
    description: The specification the evaluation follows.
    link: https://www.rfc-editor.org/rfc/rfc7208
'''

EXAMPLES = r'''
- name: The server may send for its domain, from both its addresses
  mailops.sendmail.spf_verify:
    domain: example.org
    addresses: [198.51.100.10, "2001:db8::10"]
  delegate_to: localhost

- name: Another host may not send for it
  mailops.sendmail.spf_verify:
    domain: example.org
    addresses: [198.51.100.99]
    result: fail
  delegate_to: localhost

- name: Many domains in one call; one of them publishes no SPF record on purpose
  mailops.sendmail.spf_verify:
    domains:
      - example.org
      - {domain: shop.example.org, result: none}
    addresses: [198.51.100.10]
    nameservers: [198.51.100.53]
  delegate_to: localhost
  register: spf_check

- name: Show each domain's result and why
  ansible.builtin.debug:
    msg: "{{ spf_check.checks | map(attribute='msg') | list }}"
'''

RETURN = r'''
msg:
  description: The failure (or a count and the first failures), or a success summary.
  returned: always
  type: str
  sample: 'example.org SPF for 198.51.100.10: expected pass, found fail (-all matched in "v=spf1 ip4:198.51.100.11 -all" at example.org)'
result:
  description: The result of O(domain) (several, comma-separated, when the addresses got different ones).
  returned: when O(domain) is used
  type: str
  sample: pass
failures:
  description: Every failing domain with its reason.
  returned: always
  type: dict
  sample: {"example.net": "example.net SPF for 198.51.100.10: expected pass, found none (no \"v=spf1\" TXT record at example.net)"}
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
      description: Whether an address did not get the required result.
      type: bool
    status:
      description: The required result when every address got it, else the first other result found (or V(invalid), V(error)).
      type: str
      sample: pass
    msg:
      description: What was required and what was found, with the mechanism or the error.
      type: str
    expected:
      description: The required result.
      type: str
      sample: pass
    result:
      description: The result found (several, comma-separated, when the addresses differ).
      type: str
      sample: pass
    results:
      description: The result per address.
      type: dict
      sample: {"198.51.100.10": "pass"}
    reasons:
      description: Per address, why (the mechanism that matched and its record, or the error).
      type: dict
    lookups:
      description: Per address, the DNS lookups the evaluation counted against the limit of 10.
      type: dict
      sample: {"198.51.100.10": 1}
    record:
      description: The domain's own SPF record, if it has one.
      type: str
      sample: "v=spf1 mx -all"
'''

from ansible_collections.mailops.sendmail.plugins.module_utils._dns import run_module
from ansible_collections.mailops.sendmail.plugins.module_utils._spf_verify import (
    ARGUMENT_SPEC,
    MUTUALLY_EXCLUSIVE,
    REQUIRED_ONE_OF,
    run,
)


def main():
    run_module(ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE, REQUIRED_ONE_OF, run)


if __name__ == '__main__':
    main()
