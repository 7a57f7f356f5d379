# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's connection settings as plain values, worked out once when the inventory is read.

lab/inventory spells them as templates of the lab's environment (MAILOPS_LAB, MAILOPS_LAB_BASE, HOME), so
that labs live side by side in one inventory. Ansible renders such a template again for every task of every
host, also a skipped one; a production inventory holds plain addresses. This plugin (enabled by the
repository's ansible.cfg and by each molecule scenario's config_options; lab tooling, not part of the collection) gives every lab host the same values
already rendered, as host variables, which take precedence over the inventory's templates: the lab then
costs per task what a production inventory costs. Without it the templates give the same values.
"""

from __future__ import annotations

import os

from ansible.inventory.host import Host
from ansible.plugins.vars import BaseVarsPlugin

DOCUMENTATION = """
    name: lab_hosts
    short_description: the lab's connection settings, rendered once
    description: ansible_host and the lab's ssh settings for every lab host (a host with lab_offset).
    options:
      stage:
        ini:
          - key: stage
            section: lab_hosts
        env:
          - name: ANSIBLE_VARS_PLUGIN_STAGE
    extends_documentation_fragment:
      - vars_plugin_staging
"""

PREFIX = '198.51.100'     # lab_prefix in lab/inventory/group_vars/all.yml


def lab_settings(offset, environ=None):
    """The settings lab/inventory/group_vars/all.yml and hosts.yml template, for the host at this offset."""
    environ = os.environ if environ is None else environ
    name = environ.get('MAILOPS_LAB', 'mailops')
    base = int(environ.get('MAILOPS_LAB_BASE', '0'))
    ssh_dir = '%s/.cache/mailops-lab/%s' % (environ.get('HOME', ''), name)
    return {
        'lab_name': name,
        'lab_base': base,
        'lab_ssh_dir': ssh_dir,
        'ansible_host': '%s.%d' % (PREFIX, base + int(offset)),
        'ansible_ssh_private_key_file': ssh_dir + '/id_ed25519',
        'ansible_control_path_dir': ssh_dir + '/cp',
        'ansible_ssh_common_args': ('-o UserKnownHostsFile=%s/known_hosts -o GlobalKnownHostsFile=/dev/null '
                                    '-o StrictHostKeyChecking=yes -o IdentitiesOnly=yes' % ssh_dir),
    }


class VarsModule(BaseVarsPlugin):

    REQUIRES_ENABLED = True

    def get_vars(self, loader, path, entities, cache=True):
        super(VarsModule, self).get_vars(loader, path, entities)
        data = {}
        for entity in entities:
            if not isinstance(entity, Host):
                continue
            offset = entity.vars.get('lab_offset')
            if offset is not None:
                data.update(lab_settings(offset))
        return data
