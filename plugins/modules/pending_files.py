#!/usr/bin/python
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: pending_files
short_description: Tell which files a role would write, by rendering them on the controller
description:
  - Renders each template (or reads each file of the role's C(files/)) on the controller, exactly as
    M(ansible.builtin.template) and M(ansible.builtin.copy) would, and compares it with the state of the
    host that M(mailops.sendmail.host_state) returned, by content (SHA-1), owner, group and mode.
  - Returns the ids of the files that differ. Nothing is sent to or run on the host, also not in check mode.
  - Unlike C(lookup('ansible.builtin.template')), it does not deep-copy every variable for each file,
    which with 20,000-entry maps in the inventory costs seconds per file.
  - 'An action plugin: it always runs on the controller.'
version_added: 0.2.0
author:
  - mailops team (@mailops)
options:
  files:
    description: The files to compare.
    type: list
    elements: dict
    required: true
    suboptions:
      id:
        description: A name for the file, returned in RV(pending) when it differs; unique.
        type: str
        required: true
      path:
        description: The file's path on the host, as a key of O(state).
        type: str
        required: true
      template:
        description: A template, found like the C(src) of M(ansible.builtin.template). One of O(files[].template) and O(files[].file).
        type: str
      file:
        description: A file, found like the C(src) of M(ansible.builtin.copy) (a role's C(files/)).
        type: str
      vars:
        description: More variables for the template, like C(template_vars) of the template lookup.
        type: dict
        default: {}
      owner:
        description: The owner the file must have; not compared when omitted.
        type: str
      group:
        description: The group the file must have; not compared when omitted.
        type: str
      mode:
        description: The octal mode the file must have, for example C("0644"); not compared when omitted.
        type: raw
      keep_attributes:
        description:
          - Keep the owner, group and mode of a file the host already has; O(files[].owner), O(files[].group)
            and O(files[].mode) then apply only to a new file (or to one that is not a regular file).
          - The kept mode loses the bits no data file of a mail server needs and that sendmail itself refuses
            (write for group and others, execute, set-id, sticky), so C(0664) becomes C(0644) and C(0600)
            stays C(0600).
          - RV(attributes) returns what the file must have.
        type: bool
        default: false
  state:
    description: The C(files) returned by M(mailops.sendmail.host_state); a path missing from it counts as missing.
    type: dict
    required: true
attributes:
  action:
    support: full
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Read the files on the host
  mailops.sendmail.host_state:
    paths: [/etc/mail/access]
  register: state

- name: Compare them with what the role would write
  mailops.sendmail.pending_files:
    state: "{{ state.files }}"
    files:
      - {id: access, path: /etc/mail/access, template: access.j2, owner: root, group: root, mode: "0644"}
  register: compared

- name: Deploy the access map only when it differs
  ansible.builtin.template:
    src: access.j2
    dest: /etc/mail/access
    owner: root
    group: root
    mode: "0644"
  when: "'access' in compared.pending"
"""

RETURN = r"""
attributes:
  description:
    - By id, the owner, group and mode each file must have (those given, or with O(files[].keep_attributes)
      those the host's file has); null where not given.
  returned: always
  type: dict
  sample: {access: {owner: root, group: root, mode: "0600"}}
pending:
  description: The ids of the files that differ from (or are missing on) the host, in the order given.
  returned: always
  type: list
  elements: str
  sample: [access]
"""

from ansible.module_utils.basic import AnsibleModule

# Also the argument spec of the action plugin (plugins/action/pending_files.py), which does the work.
ARGUMENT_SPEC = dict(
    files=dict(type='list', elements='dict', required=True,
               required_one_of=[('template', 'file')], mutually_exclusive=[('template', 'file')],
               options=dict(
                   id=dict(type='str', required=True),
                   path=dict(type='str', required=True),
                   template=dict(type='str'),
                   file=dict(type='str'),
                   vars=dict(type='dict', default={}),
                   owner=dict(type='str'),
                   group=dict(type='str'),
                   mode=dict(type='raw'),
                   keep_attributes=dict(type='bool', default=False),
               )),
    state=dict(type='dict', required=True),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg='mailops.sendmail.pending_files runs on the controller (its action plugin); '
                         'it cannot run as a module on the host')


if __name__ == '__main__':
    main()
