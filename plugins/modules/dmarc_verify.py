#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: dmarc_verify
short_description: Verify that domains publish a valid DMARC policy
version_added: 0.1.0
description:
  - Looks up the DMARC record C(_dmarc.<domain>) (RFC 7489) of one or many domains and checks
    that there is exactly one, that it starts with C(v=DMARC1) and that its tags are valid
    (C(p) and C(sp) none, quarantine or reject; C(pct) 0 to 100; C(rua) and C(ruf) URIs;
    C(adkim), C(aspf), C(fo), C(ri)); unknown tags are ignored, as receivers do.
  - A domain without a record of its own gets the record of its organizational domain (the
    public suffix and one label, from the Public Suffix List), whose C(sp=) (else C(p=)) then
    applies; the result says where the record was found.
  - With O(min_policy) the policy that applies must be at least that strong
    (none < quarantine < reject).
  - Returns the policy, the subdomain policy, C(pct) and the reporting addresses.
  - Every failure names the record, what was expected and what was found (V(absent),
    V(invalid), V(weak), or the lookup error).
  - "Read-only. Works on the controller (C(delegate_to: localhost)) and on targets."
author:
  - mailops team (@mailops)
extends_documentation_fragment:
  - mailops.sendmail.dns
requirements:
  - publicsuffixlist (for a domain without a record of its own)
options:
  domain:
    description:
      - The domain to check. Exactly one of O(domain) and O(domains) is required.
    type: str
  domains:
    description:
      - Many domains to check in one call; duplicates are checked once.
    type: list
    elements: str
  min_policy:
    description:
      - The weakest policy accepted.
    type: str
    choices: [none, quarantine, reject]
    default: none
notes:
  - C(pct) below 100 applies the policy to part of the mail only; it is returned, not judged.
  - "The DNS modules form the action group C(mailops.sendmail.dns): set their shared options
    once with C(module_defaults: {group/mailops.sendmail.dns: {nameservers: [...]}})."
seealso:
  - module: mailops.sendmail.spf_verify
  - module: mailops.sendmail.dkim_verify
  - name: RFC 7489, DMARC
    description: The record format and the organizational domain.
    link: https://www.rfc-editor.org/rfc/rfc7489
'''

EXAMPLES = r'''
- name: The domain publishes DMARC with a policy of quarantine or reject
  mailops.sendmail.dmarc_verify:
    domain: example.org
    min_policy: quarantine
  delegate_to: localhost
  register: dmarc_check

- name: Where its aggregate reports go
  ansible.builtin.debug:
    var: dmarc_check.rua

- name: Many domains in one call; a subdomain without a record of its own gets its organization's
  mailops.sendmail.dmarc_verify:
    domains: [example.org, shop.example.org]
    nameservers: [198.51.100.53]
  delegate_to: localhost
'''

RETURN = r'''
msg:
  description: The failure (or a count and the first failures), or a success summary.
  returned: always
  type: str
  sample: "example.org DMARC: policy quarantine, pct 100, rua mailto:dmarc@example.org (_dmarc.example.org)"
policy:
  description: The C(p=) of O(domain)'s record (its own or its organization's).
  returned: when O(domain) is used
  type: str
  sample: quarantine
subdomain_policy:
  description: The C(sp=) of that record (its C(p=) when it has none).
  returned: when O(domain) is used
  type: str
pct:
  description: The C(pct=) of that record (100 when it has none).
  returned: when O(domain) is used
  type: int
rua:
  description: The aggregate report URIs of that record.
  returned: when O(domain) is used
  type: list
  elements: str
  sample: ["mailto:dmarc@example.org"]
ruf:
  description: The failure report URIs of that record.
  returned: when O(domain) is used
  type: list
  elements: str
failures:
  description: Every failing domain with its reason.
  returned: always
  type: dict
  sample: {"example.net": "_dmarc.example.net TXT: expected a DMARC record, found none (the name does not exist (NXDOMAIN))"}
checks:
  description: One result per domain, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    domain:
      description: The domain checked.
      type: str
    failed:
      description: Whether this domain failed.
      type: bool
    status:
      description: V(ok), V(absent), V(invalid), V(weak), V(servfail), V(refused), V(timeout) or V(error).
      type: str
      sample: ok
    msg:
      description: What was expected and what was found.
      type: str
    record:
      description: The DMARC record found.
      type: str
    found_at:
      description: The name the record was found at (the organizational domain's when the domain has none).
      type: str
      sample: _dmarc.example.org
    organizational_domain:
      description: The organizational domain, when it was looked for.
      type: str
    policy:
      description: The record's C(p=).
      type: str
    subdomain_policy:
      description: The record's C(sp=) (its C(p=) when it has none).
      type: str
    applied_policy:
      description: The policy that applies to the domain, compared with O(min_policy).
      type: str
    pct:
      description: The record's C(pct=).
      type: int
    rua:
      description: The aggregate report URIs.
      type: list
      elements: str
    ruf:
      description: The failure report URIs.
      type: list
      elements: str
    tags:
      description: All tags of the record.
      type: dict
'''

from ansible_collections.mailops.sendmail.plugins.module_utils._dns import run_module
from ansible_collections.mailops.sendmail.plugins.module_utils._dmarc_verify import (
    ARGUMENT_SPEC,
    MUTUALLY_EXCLUSIVE,
    REQUIRED_ONE_OF,
    run,
)


def main():
    run_module(ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE, REQUIRED_ONE_OF, run)


if __name__ == '__main__':
    main()
