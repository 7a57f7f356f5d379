#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
---
module: dkim_verify
short_description: Verify that the DKIM key records of domains are published and hold the signing key
version_added: 0.1.0
description:
  - Looks up the DKIM key record C(<selector>._domainkey.<domain>) (RFC 6376 section 3.6.1) of
    one or many domains and checks that it exists, is one TXT record, parses (C(v=DKIM1) first if
    present, C(k=rsa) or C(k=ed25519), a base64 C(p=) that is a key of that type) and is not
    revoked (an empty C(p=)).
  - With O(public_key) or O(private_key_path) (or per domain in O(domains)) the published key must
    be that key, the public half of the private key the server signs with.
  - Every failure names the record, what was expected and what was found (V(absent),
    V(malformed), V(revoked), V(mismatch), or the lookup error).
  - "Read-only. Works on the controller (C(delegate_to: localhost)) and on targets."
author:
  - mailops team (@mailops)
extends_documentation_fragment:
  - mailops.sendmail.dns
requirements:
  - cryptography (for O(private_key_path), and to match an RSA key given in another encoding than the published one)
options:
  domain:
    description:
      - The signing domain (C(d=)). Exactly one of O(domain) and O(domains) is required.
    type: str
  domains:
    description:
      - Many domains (or selectors of one domain) in one call.
      - "Each entry is a domain, checked with O(selector) and the key options, or a mapping
        C({domain, selector, public_key, private_key_path}) whose keys replace those options for it."
      - The same domain and selector twice with different keys is an error.
    type: list
    elements: raw
  selector:
    description:
      - The selector (C(s=)), for the entries without their own. Required unless every entry has one.
    type: str
  public_key:
    description:
      - The key the record must hold, as PEM (C(BEGIN PUBLIC KEY) or C(BEGIN RSA PUBLIC KEY)), as the
        base64 of a C(p=) value, or as a whole DKIM record (as C(opendkim-genkey) writes it).
      - Mutually exclusive with O(private_key_path).
    type: str
  private_key_path:
    description:
      - "A private key file (PEM, unencrypted) on the host that runs the module: the record must hold
        its public half. The key is read, never returned or logged."
    type: path
notes:
  - "The DNS modules form the action group C(mailops.sendmail.dns): set their shared options
    once with C(module_defaults: {group/mailops.sendmail.dns: {nameservers: [...]}})."
seealso:
  - module: mailops.sendmail.spf_verify
  - module: mailops.sendmail.dmarc_verify
'''

EXAMPLES = r'''
- name: The key record of the signing selector holds the signing key
  mailops.sendmail.dkim_verify:
    domain: example.org
    selector: brisbane
    public_key: "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
  delegate_to: localhost

- name: Several domains and selectors in one call (the record only, any key)
  mailops.sendmail.dkim_verify:
    domains:
      - {domain: example.org, selector: brisbane}
      - {domain: example.org, selector: old}
  delegate_to: localhost
  register: dkim_check
  ignore_errors: true

- name: The retired selector is revoked
  ansible.builtin.debug:
    msg: "{{ dkim_check.failures }}"
'''

RETURN = r'''
msg:
  description: The failure (or a count and the first failures), or a success summary.
  returned: always
  type: str
  sample: "mail._domainkey.example.org DKIM: k=rsa 2048-bit key matches the public half of /etc/dkimkeys/mail.private"
failures:
  description: Every failing key record (by its name) with its reason.
  returned: always
  type: dict
  sample: {"old._domainkey.example.org": "old._domainkey.example.org TXT: expected a DKIM key record, found a revoked key (empty p=): \"v=DKIM1; p=\""}
checks:
  description: One result per domain and selector, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The key record's name.
      type: str
      sample: mail._domainkey.example.org
    domain:
      description: The domain.
      type: str
    selector:
      description: The selector, lower case.
      type: str
    failed:
      description: Whether this record failed.
      type: bool
    status:
      description: V(ok), V(absent), V(malformed), V(revoked), V(mismatch), V(servfail), V(refused), V(timeout), V(error) or V(invalid).
      type: str
      sample: ok
    msg:
      description: What was expected and what was found.
      type: str
    record:
      description: The TXT record found.
      type: str
    key_type:
      description: The record's key type (V(rsa) or V(ed25519)).
      type: str
    key_bits:
      description: The key's size in bits (0 when not known).
      type: int
      sample: 2048
    public_key:
      description: The record's C(p=) value.
      type: str
    tags:
      description: The record's tags.
      type: dict
'''

from ansible_collections.mailops.sendmail.plugins.module_utils._dns import run_module
from ansible_collections.mailops.sendmail.plugins.module_utils._dkim_verify import (
    ARGUMENT_SPEC,
    MUTUALLY_EXCLUSIVE,
    REQUIRED_ONE_OF,
    run,
)


def main():
    run_module(ARGUMENT_SPEC, MUTUALLY_EXCLUSIVE, REQUIRED_ONE_OF, run)


if __name__ == '__main__':
    main()
