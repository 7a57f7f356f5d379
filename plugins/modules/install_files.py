#!/usr/bin/python
# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: install_files
short_description: Render a table of files once, compare them with the host, and write what differs in one call
description:
  - Takes a table of files (each a template, a role file or a text, with its owner, group and mode, the command
    that must accept a new content, and the command that rebuilds what is built from it). Each is rendered once,
    on the controller, exactly as M(ansible.builtin.template) would render it.
  - With O(state) (the result of M(mailops.sendmail.host_state)) the comparison is made on the controller too,
    and only the files that differ (content, owner, group or mode), or whose built file (O(files[].built)) is
    missing or older than them, go to the host. When nothing differs the host is not contacted at all.
  - What goes to the host is written in one call, phase by phase (O(files[].phase)). Within a phase every new
    content is first written beside its destination and checked with its O(files[].validate) command; only when
    every check passed (and, with O(backup=true), every backup copy was made) are the files moved into place
    (each atomically) and given its owner, group and mode, each followed by its O(files[].post_command). When one
    check fails, no file of the phase (nor of a later one) is replaced and the task fails with the command's
    output. Unknown owners and groups, and a destination that is a symbolic link, are refused the same way, before
    any file is replaced.
  - A write that fails (a full disk) fails the task with the reason and leaves no temporary file or partial
    backup behind.
  - RV(triggered) names what the changed files ask for (O(files[].triggers)), for example a restart; a file with
    a O(files[].post_command) asks only once that command ran. A failed call reports what it did before it
    failed (RV(changed_ids), RV(post_commands), RV(triggered)).
  - Supports check mode and diff mode.
version_added: 0.1.0
author:
  - mailops team (@mailops)
options:
  files:
    description: The files to write.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description:
          - The destination on the host; its directory must exist or be made by this call (O(directories), or the
            C(missing_dirs) of O(state)). A destination that is a symbolic link is refused (it is never replaced
            or written through). Required unless O(files[].each) is given.
        type: path
      id:
        description: A name for the file, returned in RV(changed_ids) when it changed; defaults to O(files[].path).
        type: str
      content:
        description: The text to write. Exactly one of O(files[].content), O(files[].template) and O(files[].file).
        type: str
      template:
        description: A template, found and rendered on the controller like the C(src) of M(ansible.builtin.template).
        type: str
      file:
        description: A file, found on the controller like the C(src) of M(ansible.builtin.copy) (a role's C(files/)).
        type: str
      vars:
        description: More variables for O(files[].template).
        type: dict
        default: {}
      each:
        description:
          - Repeat this entry once per item. Each item needs C(path) (the entry's O(files[].path) and
            O(files[].id)) and may give C(owner), C(group) and C(mode); the template sees it as C(item).
        type: list
        elements: dict
      owner:
        description: The owner of the file; unchanged when omitted.
        type: str
      group:
        description: The group of the file; unchanged when omitted.
        type: str
      mode:
        description: The octal mode of the file, for example C("0644"); unchanged when omitted.
        type: raw
      keep_attributes:
        description:
          - With O(state), a file that exists keeps its owner and group and its mode less group and other write,
            execute, set-id and sticky bits; O(files[].owner), O(files[].group) and O(files[].mode) apply to a new
            file only.
        type: bool
        default: false
      validate:
        description:
          - A command that must accept the new content before it replaces the file; C(%s) in it is the path of the
            temporary file. A command line (split like a shell would, but run without one) or a list of its words.
        type: raw
      post_command:
        description:
          - A command run right after this file's content was replaced, in the same call (for example rebuilding the
            database made from it), or when its built file is stale (O(files[].built), O(files[].rebuild)). A command
            line or a list of its words, run without a shell; not in check mode, and not when only the owner, group
            or mode changed.
          - When it fails, the task fails and reports in RV(changed_ids) the files replaced so far.
        type: raw
      built:
        description:
          - The file that O(files[].post_command) builds from this one (for example C(/etc/mail/access.db)). With
            O(state), which must report it too, a built file that is missing or older than this one is rebuilt
            even when this file does not change (a run that stopped between writing and rebuilding).
          - On a host where SELinux is enabled, the built file gets its default SELinux context after each rebuild, as
            C(restorecon) gives it, since the command made it (the files the module writes get the context of the file
            they replace, or the default one).
        type: path
      rebuild:
        description: Run O(files[].post_command) even when the file does not change.
        type: bool
        default: false
      triggers:
        description: Names returned in RV(triggered) when this file changed or was rebuilt.
        type: list
        elements: str
        default: []
      phase:
        description:
          - Files are written phase by phase, lowest first; all checks of a phase pass before any of its files is
            replaced. A file that the checks of others use (a helper script) goes in an earlier phase.
        type: int
        default: 1
      unsafe_writes:
        description:
          - Write in place when the file cannot be replaced by a rename (a bind-mounted C(/etc/hosts) in a
            container), like the C(unsafe_writes) of M(ansible.builtin.template).
        type: bool
        default: false
      backup:
        description: Whether to keep a backup copy of this file when it is replaced; O(backup) when omitted.
        type: bool
      diff_hide:
        description:
          - A regular expression; lines of the old or new content that it matches are shown as a placeholder in
            diff mode (for example C((?i)^AuthInfo:) for the passwords of an access map).
        type: str
  state:
    description:
      - The registered result of M(mailops.sendmail.host_state) for every O(files[].path) (and every
        O(files[].built)). Without it every file goes to the host, which compares itself.
    type: dict
  directories:
    description: Directories to make (root's, mode 0755) before the files are written; existing ones are left alone.
    type: list
    elements: path
    default: []
  absent:
    description:
      - Files to remove after every file was written (a symbolic link is removed itself). With O(state), only those
        it reports as existing.
    type: list
    elements: path
    default: []
  backup:
    description:
      - Keep a timestamped copy (C(NAME.PID.YYYY-MM-DD@HH:MM:SS~), beside the file, with its owner, group and mode)
        of every file whose content is replaced.
    type: bool
    default: false
  backup_keep:
    description:
      - With O(backup=true), how many backup copies to keep per replaced file, the newest; older ones (of the same
        name pattern) are removed in the same call, after the file was replaced. C(0) keeps them all.
    type: int
    default: 0
  diff_max_bytes:
    description:
      - Files larger than this show no text in diff mode, only that they changed. When omitted, the
        C(MAX_FILE_SIZE_FOR_DIFF) setting (104448 by default).
    type: int
attributes:
  action:
    description: Renders and compares on the controller; the host is contacted only when something must change.
    support: full
  check_mode:
    description: Reports what would change, with its diff; replaces, makes, removes and runs nothing.
    support: full
  diff_mode:
    description: One diff per file that differs; lines matching O(files[].diff_hide) are shown as a placeholder.
    support: full
"""

EXAMPLES = r"""
- name: Read the files and the databases built from them
  mailops.sendmail.host_state:
    paths: [/etc/mail/access, /etc/mail/access.db, /etc/mail/sendmail.mc]
  register: state

- name: Write the access map and sendmail.mc where they differ, each checked first
  mailops.sendmail.install_files:
    state: "{{ state }}"
    backup: true
    files:
      - id: access
        path: /etc/mail/access
        content: "Connect:198.51.100.5\tRELAY\n"
        owner: root
        group: root
        mode: "0644"
        built: /etc/mail/access.db
        post_command: [/bin/sh, -c, 'makemap hash /etc/mail/access < /etc/mail/access']
      - id: mc
        path: /etc/mail/sendmail.mc
        template: sendmail.mc.j2
        owner: root
        group: root
        mode: "0644"
        validate: [m4, '%s']
        triggers: [restart]
  register: installed

- name: Restart sendmail when sendmail.mc changed
  ansible.builtin.debug:
    msg: sendmail.mc changed, the daemon would be restarted now
  when: "'restart' in installed.triggered"
"""

RETURN = r"""
changed_ids:
  description: The ids (or paths) of the files that changed, in the order given.
  returned: always
  type: list
  elements: str
  sample: [access]
post_commands:
  description: The ids (or paths) of the files whose O(files[].post_command) ran (in check mode, would run).
  returned: always
  type: list
  elements: str
  sample: [access]
sent:
  description:
    - The ids (or paths) of the files that went to the host, because they differ or their built file is stale;
      empty when the host was not contacted.
  returned: always
  type: list
  elements: str
  sample: [access]
triggered:
  description:
    - The O(files[].triggers) of the files in RV(changed_ids) that have no O(files[].post_command), and of the files
      in RV(post_commands); sorted, each once.
  returned: always
  type: list
  elements: str
  sample: [restart]
directories:
  description: The directories made (in check mode, that would be made).
  returned: always
  type: list
  elements: str
  sample: [/etc/mail/lists]
removed:
  description: The files of O(absent) removed (in check mode, that would be removed).
  returned: always
  type: list
  elements: str
  sample: [/etc/mail/lists/old]
backups:
  description: The backup copy of each replaced file, by path (with O(backup=true)).
  returned: always
  type: dict
  sample: {/etc/mail/access: /etc/mail/access.4242.2026-11-26@20:30:00~}
backups_removed:
  description: The older backup copies removed to keep O(backup_keep) per file.
  returned: always
  type: list
  elements: str
  sample: [/etc/mail/access.4171.2026-11-20@08:00:00~]
"""

from ansible_collections.mailops.sendmail.plugins.module_utils._install_files import main


if __name__ == '__main__':
    main()
