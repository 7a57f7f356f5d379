# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The supported platforms, and their files rendered by the roles as on a host of each (localhost with the
platform's facts): tests/unit/test_platforms.py checks them, tests/integration/platforms builds the mc."""

import json
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
VARS = REPO / 'roles' / 'sendmail' / 'vars'

# name: (os_family, distribution, major release, version)
PLATFORMS = {
    'debian11': ('Debian', 'Debian', '11', '11.11'),
    'debian12': ('Debian', 'Debian', '12', '12.12'),
    'debian13': ('Debian', 'Debian', '13', '13.2'),
    'rhel8': ('RedHat', 'RedHat', '8', '8.10'),
    'rhel9': ('RedHat', 'RedHat', '9', '9.6'),
    'rhel10': ('RedHat', 'RedHat', '10', '10.0'),
    'rocky8': ('RedHat', 'Rocky', '8', '8.10'),
    'rocky9': ('RedHat', 'Rocky', '9', '9.6'),
    'rocky10': ('RedHat', 'Rocky', '10', '10.0'),
    'alma8': ('RedHat', 'AlmaLinux', '8', '8.10'),
    'alma9': ('RedHat', 'AlmaLinux', '9', '9.6'),
    'alma10': ('RedHat', 'AlmaLinux', '10', '10.0'),
    'fedora41': ('RedHat', 'Fedora', '41', '41'),
    'fedora43': ('RedHat', 'Fedora', '43', '43'),
}
UNSUPPORTED = {
    'ubuntu': ('Debian', 'Ubuntu', '24', '24.04'),
    'debian10': ('Debian', 'Debian', '10', '10.13'),
    'centos7': ('RedHat', 'CentOS', '7', '7.9'),
    'rhel7': ('RedHat', 'RedHat', '7', '7.9'),
    'suse': ('Suse', 'SLES', '15', '15.6'),
}
GROUP_VARS = """
sendmail_mode: server
sendmail_access:
  - {key: "Connect:192.0.2.10", action: RELAY}
  - {key: "From:spammer@bad.example", action: REJECT}
sendmail_relay_domains: [relay.example]
sendmail_local_host_names: [example.com]
sendmail_virtusertable:
  - {address: sales@example.com, target: alice}
  - {address: "@example.com", target: "error:nouser User unknown"}
sendmail_mailertable:
  - {domain: partner.example, route: "esmtp:[relay.partner.example]"}
sendmail_aliases:
  - {name: root, members: [admin]}
  - {name: everyone, members: [alice, ":include:/srv/mail-lists/everyone"]}
sendmail_alias_files:
  - {path: /srv/mail-lists/everyone, members: [dave, erin]}
sendmail_dnsbl:
  - {zone: bl.example.net, message: "550 5.7.1 Rejected: $&{client_addr} is listed"}
fqdn_ip: 192.0.2.25
fqdn_set_hostname: false
__test_hosts_state: {files: {/etc/hosts: {content: "127.0.0.1 localhost\\n192.0.2.99 other.example other\\n"}}}
"""

PLAYBOOK = """
- name: Validate as site.yml does, with each platform's facts
  hosts: all
  gather_facts: false
  tasks:
    - name: The platform's facts
      ansible.builtin.set_fact:
        os_family: "{{ __test_facts[0] }}"
        distribution: "{{ __test_facts[1] }}"
        distribution_major_version: "{{ __test_facts[2] }}"
        distribution_version: "{{ __test_facts[3] }}"
        service_mgr: systemd
        cacheable: true
    - name: Validate the fqdn settings
      ansible.builtin.import_role:
        name: mailops.sendmail.fqdn
        tasks_from: validate
    - name: Validate the sendmail settings
      ansible.builtin.import_role:
        name: mailops.sendmail.sendmail
        tasks_from: validate
    - name: The names and paths this host resolved
      ansible.builtin.copy:
        content: "{{ dict(__test_keys | zip(query('ansible.builtin.vars', *__test_keys))) | to_json }}"
        dest: "{{ __test_out }}/{{ inventory_hostname }}/vars.json"
        mode: '0644'
      vars:
        __test_keys: "{{ lookup('ansible.builtin.file', __test_keys_file) | from_json }}"
    - name: Every file of the sendmail role's table
      ansible.builtin.template:
        src: "{{ __test_roles }}/sendmail/templates/{{ item.template }}"
        dest: "{{ __test_out }}/{{ inventory_hostname }}/{{ item.id }}{{ item.path | default('') | replace('/', '_') }}"
        mode: '0644'
      vars:
        __sendmail_class_names: "{{ item.vars.__sendmail_class_names | default([]) }}"
      loop: "{{ __sendmail_files | selectattr('template', 'defined') | rejectattr('each', 'defined') | list
                + __sendmail_policy.alias_files | map('combine', {'id': 'lists', 'template': 'alias-file.j2'}) | list }}"
    - name: The fqdn role's /etc/hosts
      ansible.builtin.template:
        src: "{{ __test_roles }}/fqdn/templates/hosts.j2"
        dest: "{{ __test_out }}/{{ inventory_hostname }}/hosts"
        mode: '0644'
      vars:
        __fqdn_state: "{{ __test_hosts_state }}"
"""


def debian_keys():
    return sorted(yaml.safe_load((VARS / 'Debian.yml').read_text()))


def inventory(tmp, hosts):
    tmp.mkdir(parents=True, exist_ok=True)
    inventory = {'all': {'hosts': {
        name: {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
               '__test_facts': list(facts), 'fqdn_name': f'mx.{name}.example'}
        for name, facts in hosts.items()}}}
    (tmp / 'hosts.yml').write_text(yaml.safe_dump(inventory))
    (tmp / 'group_vars').mkdir()
    group = yaml.safe_load(GROUP_VARS)
    group.update(__test_out=str(tmp / 'out'), __test_roles=str(REPO / 'roles'),
                 __test_keys_file=str(tmp / 'keys.json'))
    (tmp / 'group_vars' / 'all.yml').write_text(yaml.safe_dump(group))
    (tmp / 'keys.json').write_text(json.dumps(debian_keys()))
    (tmp / 'site.yml').write_text(PLAYBOOK)
    for name in hosts:
        (tmp / 'out' / name).mkdir(parents=True)


def run_playbook(tmp, env):
    return subprocess.run(
        [str(Path(sys.executable).parent / 'ansible-playbook'), '-i', str(tmp / 'hosts.yml'), '--forks', '8',
         str(tmp / 'site.yml')],
        cwd=tmp, env=env, capture_output=True, text=True, timeout=600, check=False)


def render(tmp, env, hosts=None):
    """{platform: {'vars': the resolved names and paths, file id + path: rendered text}} for ``hosts``
    (default: every supported platform), rendered in ``tmp``; fails with Ansible's output."""
    hosts = PLATFORMS if hosts is None else hosts
    inventory(tmp, hosts)
    run = run_playbook(tmp, env)
    if run.returncode != 0:
        raise AssertionError(run.stdout[-4000:] + run.stderr[-2000:])
    out = {}
    for name in hosts:
        files = {p.name: p.read_text() for p in (tmp / 'out' / name).iterdir()}
        out[name] = dict(files, vars=json.loads(files.pop('vars.json')))
    return out


def mc(files):
    """The sendmail.mc of one platform's rendered files."""
    return next(text for name, text in files.items() if name.startswith('mc_'))
