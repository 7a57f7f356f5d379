#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: mail_dns_check
short_description: Run every DNS check of one mail server in one call, with a summary table
version_added: 0.1.0
description:
  - "Runs, for one mail server, the checks of M(mailops.sendmail.a_verify), M(mailops.sendmail.mx_verify),
    M(mailops.sendmail.ptr_verify), M(mailops.sendmail.spf_verify), M(mailops.sendmail.dkim_verify),
    M(mailops.sendmail.dmarc_verify) and M(mailops.sendmail.dnsbl_verify) in this order, each with the same
    code, results and messages as the module of its own, and returns one summary of them all."
  - A check runs when its option (O(a), O(mx), O(ptr), O(spf), O(dkim), O(dmarc), O(dnsbl)) is given, and is
    skipped, with the reason in its summary row, when the option is left out, when its C(skip) gives a reason,
    or when its list of domains, keys or zones is empty.
  - Every check runs, and the module fails when any of them failed, with the message of each failed check.
    Every message names the record, the expected and the found value.
  - The server's name is O(name) (the A check and the name PTR must give) and its addresses are O(addresses)
    (which A and AAAA records are looked up follows their families).
  - "Read-only. Works on the controller (C(delegate_to: localhost)) and on targets. This is the check of the
    role M(mailops.sendmail.dns_check)."
author:
  - mailops team (@mailops)
extends_documentation_fragment:
  - mailops.sendmail.dns
options:
  name:
    description: The mail server's fully qualified name.
    type: str
    required: true
  addresses:
    description: The mail server's own addresses, IPv4 and/or IPv6.
    type: list
    elements: str
    required: true
  host:
    description: The label of the summary (RV(summary.host)), for example the inventory name; default O(name).
    type: str
  a:
    description: "The A/AAAA records of O(name) (M(mailops.sendmail.a_verify)): give V({}) to run it with the defaults."
    type: dict
    suboptions:
      match:
        description: V(exact) - every address of O(addresses) and no other; V(subset) - one or more of them and no other.
        type: str
        choices: [exact, subset]
        default: exact
      skip:
        description: Skip the check and show this reason in its summary row; empty runs it.
        type: str
        default: ''
  mx:
    description: The MX of the server's mail domains point at O(addresses) (M(mailops.sendmail.mx_verify)).
    type: dict
    suboptions:
      domains:
        description: The mail domains; empty skips the check.
        type: list
        elements: str
        default: []
      require:
        description: V(any) MX host or V(all) MX hosts of a domain must resolve to O(addresses).
        type: str
        choices: [any, all]
        default: any
      allow_implicit_mx:
        description: Accept a domain without MX whose own A/AAAA record is one of O(addresses).
        type: bool
        default: false
      skip:
        description: Skip the check and show this reason in its summary row; empty runs it.
        type: str
        default: ''
  ptr:
    description: "Forward-confirmed reverse DNS of O(addresses) names O(name) (M(mailops.sendmail.ptr_verify)):
      give V({}) to run it."
    type: dict
    suboptions:
      skip:
        description: Skip the check and show this reason in its summary row; empty runs it.
        type: str
        default: ''
  spf:
    description: The SPF record of each domain gives every address of O(addresses) a result (M(mailops.sendmail.spf_verify)).
    type: dict
    suboptions:
      domains:
        description: The domains, or C({domain, result}) mappings with a result of their own; empty skips the check.
        type: list
        elements: raw
        default: []
      result:
        description: The result every address must get.
        type: str
        choices: [pass, fail, softfail, neutral, none, permerror, temperror]
        default: pass
      skip:
        description: Skip the check and show this reason in its summary row; empty runs it.
        type: str
        default: ''
  dkim:
    description: The DKIM key records (M(mailops.sendmail.dkim_verify)).
    type: dict
    suboptions:
      keys:
        description:
          - The key records, as mappings C({domain, selector}) with C(public_key) (PEM or base64) or
            C(private_key_path) (a PEM file where the check runs; read, never returned), or neither (the record
            only); empty skips the check.
        type: list
        elements: raw
        default: []
      skip:
        description: Skip the check and show this reason in its summary row; empty runs it.
        type: str
        default: ''
  dmarc:
    description: Each domain publishes a valid DMARC policy (M(mailops.sendmail.dmarc_verify)).
    type: dict
    suboptions:
      domains:
        description: The domains; empty skips the check.
        type: list
        elements: str
        default: []
      min_policy:
        description: The weakest policy accepted.
        type: str
        choices: [none, quarantine, reject]
        default: none
      skip:
        description: Skip the check and show this reason in its summary row; empty runs it.
        type: str
        default: ''
  dnsbl:
    description: No address of O(addresses) is listed on the blocklist zones (M(mailops.sendmail.dnsbl_verify)).
    type: dict
    suboptions:
      zones:
        description: The blocklist zones, for example C(zen.spamhaus.org); empty skips the check.
        type: list
        elements: str
        default: []
      skip:
        description: Skip the check and show this reason in its summary row; empty runs it.
        type: str
        default: ''
  summary_path:
    description:
      - Write RV(summary) as JSON to this file on the controller (also when the checks run on a target);
        not written in check mode, nor when the file already holds the same summary (C(changed) says whether it
        was written).
    type: path
notes:
  - The checks use the shared lookup options (O(nameservers), O(port), O(timeout), O(retries), O(workers)), one
    after another.
  - "The DNS modules form the action group C(mailops.sendmail.dns): set their shared options
    once with C(module_defaults: {group/mailops.sendmail.dns: {nameservers: [...]}})."
seealso:
  - module: mailops.sendmail.a_verify
  - module: mailops.sendmail.mx_verify
  - module: mailops.sendmail.ptr_verify
  - module: mailops.sendmail.spf_verify
  - module: mailops.sendmail.dkim_verify
  - module: mailops.sendmail.dmarc_verify
  - module: mailops.sendmail.dnsbl_verify
'''

EXAMPLES = r'''
- name: Every DNS check of the mail server in one call
  mailops.sendmail.mail_dns_check:
    name: mail.example.org
    addresses: [198.51.100.10, "2001:db8::10"]
    a: {}
    mx: {domains: [example.org]}
    ptr: {}
    spf: {domains: [example.org]}
    dkim:
      keys:
        - {domain: example.org, selector: brisbane, public_key: "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="}
    dmarc: {domains: [example.org], min_policy: quarantine}
    dnsbl: {zones: [bl.example]}
  delegate_to: localhost
  register: dns

- name: Show the summary table, a row per record checked
  ansible.builtin.debug:
    msg: "{{ dns.table }}"

- name: A listed server fails naming the list, its code and its reason; reverse DNS is not checked
  mailops.sendmail.mail_dns_check:
    name: host-12.isp.example
    addresses: [198.51.100.12]
    a: {}
    ptr: {skip: the ISP publishes the reverse DNS}
    dnsbl: {zones: [bl.example]}
    nameservers: [198.51.100.53]
  delegate_to: localhost
  register: listed
  ignore_errors: true

- name: Show the message of each failed check
  ansible.builtin.debug:
    msg: "{{ listed.failures }}"
'''

RETURN = r'''
msg:
  description: The head line of the summary, followed by the message of each failed check.
  returned: always
  type: str
  sample: "DNS of mail.example.org (198.51.100.10, 2001:db8::10): 9 passed, 0 failed, 0 skipped"
failures:
  description: The message of each failed check (as its own module would fail with), in the order of the checks.
  returned: success or a failed check
  type: list
  elements: str
summary:
  description: One row per thing checked (a name, a domain, a key record, an address on a list).
  returned: success or a failed check
  type: dict
  contains:
    host:
      description: O(host), or O(name).
      type: str
    name:
      description: O(name).
      type: str
    addresses:
      description: O(addresses).
      type: list
      elements: str
    passed:
      description: How many rows passed.
      type: int
    failed:
      description: How many rows failed.
      type: int
    skipped:
      description: How many checks were skipped.
      type: int
    checks:
      description: The rows, C({check, item, result, reason}); C(result) is V(pass), V(fail) or
        V(skipped), and a skipped check's reason says why.
      type: list
      elements: dict
      sample:
        - {check: A, item: mail.example.org, result: pass, reason: "mail.example.org A: 198.51.100.10 as expected"}
        - {check: PTR, item: '-', result: skipped, reason: ptr not given}
table:
  description: The summary as text, a line per row with aligned columns (check, item, result, reason).
  returned: success or a failed check
  type: list
  elements: str
  sample:
    - "DNS of mail.example.org (198.51.100.10): 1 passed, 0 failed, 6 skipped"
    - "check  item             result  reason"
    - "A      mail.example.org pass    mail.example.org A: 198.51.100.10 as expected"
check_results:
  description:
    - Each check's own result by its option name (V(a), V(mx), V(ptr), V(spf), V(dkim), V(dmarc), V(dnsbl)), as
      its module returns it (C(checks), C(failures), C(msg)) with C(failed), or C(skipped=true) and C(msg), the
      reason.
  returned: success or a failed check
  type: dict
summary_path:
  description: The file the summary was written to.
  returned: when O(summary_path) is given and not in check mode
  type: str
'''

from ansible_collections.mailops.sendmail.plugins.module_utils._dns import run_module
from ansible_collections.mailops.sendmail.plugins.module_utils._mail_dns_check import (
    ARGUMENT_SPEC,
    MUTUALLY_EXCLUSIVE,
    REQUIRED_ONE_OF,
    run,
)


def main():
    run_module(ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE, REQUIRED_ONE_OF, run)


if __name__ == '__main__':
    main()
