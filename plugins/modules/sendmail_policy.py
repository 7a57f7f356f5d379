#!/usr/bin/python
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sendmail_policy
short_description: Merge and validate a sendmail host's layered policy, with the large maps as ready text
description:
  - Reads the base, group and host layers of every map of the policy straight from the host's variables (for
    C(access) the variables C(sendmail_access), C(sendmail_group_access) and C(sendmail_host_access); likewise for
    C(relay_domains), C(local_host_names), C(virtusertable), C(mailertable), C(genericstable), C(aliases),
    C(alias_files) and C(dnsbl); an undefined one
    counts as empty), merges and validates them together with O(settings), exactly as the filter
    P(mailops.sendmail.sendmail_policy#filter) does, and returns the result in RV(policy).
  - In RV(policy), the C(access), C(virtusertable) and C(aliases) lists are replaced by their lines as one text
    each (C(access_text), C(virtusertable_text), C(aliases_text)) and their sizes (C(access_count), ...), so that a
    template inserts one string instead of looping over every entry.
  - Only the entries that contain a Jinja template are templated. With 20,000-entry maps this saves the seconds
    that templating the whole lists (and copying every string) costs in a C(set_fact) with the filter.
  - 'An action plugin: it always runs on the controller and changes nothing, also not in check mode.'
version_added: 0.1.0
author:
  - mailops team (@mailops)
options:
  settings:
    description:
      - The other inputs of the filter P(mailops.sendmail.sendmail_policy#filter), for example C(mode), C(listen),
        C(smart_host), C(features), C(defines), C(sendmail_version), C(mc_extra_lines), C(allow_open_relay),
        C(aliases_allow_files), C(aliases_allow_programs), and the masquerading settings C(masquerade_as),
        C(masquerade_domains), C(exposed_users), C(masquerade_envelope), C(allmasquerade), C(masquerade_entire_domain),
        C(limited_masquerade), C(generics_domains) and C(generics_entire_domain).
      - Without it the action reads them as the role M(mailops.sendmail.sendmail) has them, from the host's
        variables C(sendmail_<setting>) (for example C(sendmail_mode), C(sendmail_listen), C(sendmail_tls_cert_file),
        C(sendmail_auth_mechanisms)), each templated only when it holds a template, with the role's defaults for an
        empty C(sendmail_listen) (every IPv4 address for a server, loopback for a client) and for the SMTP AUTH
        realm (the host's FQDN); that is how the role calls it. Outside the role an undefined variable is the
        filter's default.
    type: dict
  refuse_invalid:
    description:
      - Fail when the merged policy has errors, with a message that names the host and lists every error (the
        C(sendmail) role uses this), instead of returning them in RV(policy) for a later task to judge.
      - The failed result holds only C(errors) in RV(policy).
    type: bool
    default: false
  platform_error:
    description:
      - Why the host's platform is not supported (what the filter P(mailops.sendmail.platform_error#filter) returns),
        or empty. When set, the action fails with it at once, before it reads any setting (the C(sendmail) role
        passes it so that its first task refuses an unsupported OS and its policy in one step).
    type: str
    default: ''
    version_added: 0.1.0
  platform:
    description:
      - The names and paths of the host's sendmail, as the role M(mailops.sendmail.sendmail) has them per OS
        family. With them (and a policy without errors) the action also returns RV(files), the role's file table.
    type: dict
    version_added: 0.1.0
    suboptions:
      helper:
        description: Path of the role's helper on the host (it runs the checks and rebuilds).
        type: path
      conf_dir:
        description: sendmail's configuration directory, for example C(/etc/mail).
        type: path
      conf_group:
        description: The group of the maps and class files a new file gets, for example C(smmsp).
        type: str
      map_type:
        description: The makemap type of the maps, for example C(hash).
        type: str
      aliases_file:
        description: The aliases file, for example C(/etc/aliases).
        type: path
attributes:
  action:
    description: Runs on the controller (its action plugin); it never contacts the host.
    support: full
  check_mode:
    description: Runs in check mode and returns the same as in a normal run; it never changes anything.
    support: full
  diff_mode:
    description: It changes nothing, so there is no diff.
    support: none
"""

EXAMPLES = r"""
- name: Merge and validate the policy of this host
  mailops.sendmail.sendmail_policy:
    settings:
      mode: server
      listen: [{name: MTA-v4, port: smtp, addr: 0.0.0.0}]   # required: where sendmail listens
      allow_open_relay: false
  register: merged

- name: Refuse invalid settings
  ansible.builtin.fail:
    msg: "{{ merged.policy.errors | join('; ') }}"
  when: merged.policy.errors | length > 0

- name: Write the access map
  ansible.builtin.copy:
    content: "{{ merged.policy.access_text }}"
    dest: /etc/mail/access
    owner: root
    group: root
    mode: "0644"
"""

RETURN = r"""
policy:
  description:
    - What P(mailops.sendmail.sendmail_policy#filter) returns (C(errors), C(relay_domains), C(local_host_names),
      C(alias_files), C(alias_files_absent), C(dnsbl), C(listen), C(smart_host), C(features), C(defines),
      C(mc_extra_lines)), with C(access), C(virtusertable) and C(aliases) given as C(<name>_text) (one line per
      entry, each ending in a newline) and C(<name>_count).
    - The policy is usable only when C(errors) is empty.
  returned: always
  type: dict
  sample:
    errors: []
    access_text: "Connect:198.51.100.5\tRELAY\n"
    access_count: 1
    relay_domains: [example.test]
files:
  description:
    - With O(platform), every file the role M(mailops.sendmail.sendmail) writes, one entry each, in the order they are
      written (the O(mailops.sendmail.install_files#module:files) of its write and the
      O(mailops.sendmail.host_state#module:table) of its read).
  returned: when O(platform) is given and the policy has no errors
  type: list
  elements: dict
  sample:
    - {id: access, path: /etc/mail/access, template: access.j2, owner: root, group: root, mode: '0600',
       keep_attributes: true, validate: [/usr/local/sbin/mailops-sendmail, check-map, hash, '%s'],
       post_command: [/usr/local/sbin/mailops-sendmail, build-map, hash, /etc/mail/access], built: /etc/mail/access.db}
"""

from ansible_collections.mailops.sendmail.plugins.module_utils._policy_spec import main


if __name__ == '__main__':
    # Documentation only: the action plugin does the work, on the controller. Reached only when this
    # file is run as a module on a host.
    main()
