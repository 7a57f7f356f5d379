"""lab/vars_plugins/lab_hosts.py gives every lab host the connection settings lab/inventory spells as templates,
already rendered: the same values as the templates (rendered by Ansible with the plugin off), for two labs."""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAMES = ['ansible_host', 'lab_name', 'lab_base', 'lab_ssh_dir', 'ansible_ssh_private_key_file',
         'ansible_control_path_dir', 'ansible_ssh_common_args']


def _settings(host, env, plugin):
    """The rendered values of NAMES for host, as a task sees them (debug runs on the controller)."""
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK='ansible.builtin.json', ANSIBLE_LOAD_CALLBACK_PLUGINS='1', **env)
    if not plugin:
        env['ANSIBLE_VARS_ENABLED'] = 'ansible.builtin.host_group_vars'
    msg = '{{ {%s} }}' % ', '.join("'%s': %s" % (name, name) for name in NAMES)
    out = subprocess.run(['ansible', host, '-i', 'lab/inventory', '-i', 'bench/inventory', '-m', 'ansible.builtin.debug',
                          '-a', json.dumps({'msg': msg})], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    # As text: ansible-core before 2.19 renders lab_base's template ('{{ ... | int }}') to the string '0'.
    return {name: str(value) for name, value in json.loads(out.stdout)['plays'][0]['tasks'][0]['hosts'][host]['msg'].items()}


@pytest.mark.parametrize('host, env', [
    ('mx1', {}),
    ('outsider', {'MAILOPS_LAB': 'itest-trixie', 'MAILOPS_LAB_BASE': '128'}),
    ('fleet20', {'MAILOPS_LAB': 'bench', 'MAILOPS_LAB_BASE': '96'}),
])
def test_the_plugin_gives_what_the_templates_give(host, env):
    rendered = _settings(host, env, plugin=False)
    assert _settings(host, env, plugin=True) == rendered
    offset = {'mx1': 3, 'outsider': 7, 'fleet20': 28}[host]
    assert rendered['ansible_host'] == '198.51.100.%d' % (int(env.get('MAILOPS_LAB_BASE', '0')) + offset)


def _raw(host, plugin):
    """The host's variables as the inventory holds them, before any rendering."""
    env = dict(os.environ)
    if not plugin:
        env['ANSIBLE_VARS_ENABLED'] = 'ansible.builtin.host_group_vars'
    out = subprocess.run(['ansible-inventory', '-i', 'lab/inventory', '--host', host], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_ansible_cfg_enables_the_plugin_and_its_values_are_plain():
    """With the plugin (the repository's ansible.cfg) no connection setting is left to render per task; without it
    the lab still works from the templates."""
    on, off = _raw('mx2', True), _raw('mx2', False)
    for name in NAMES:
        assert '{{' not in str(on[name]), (name, on[name])
    assert off['ansible_host'] == '{{ lab_prefix }}.{{ lab_base | int + 4 }}'
    assert '{{' in off['lab_ssh_dir'] and '{{' in off['ansible_ssh_common_args']


@pytest.mark.parametrize('scenario', sorted(p.name for p in (ROOT / 'molecule').iterdir() if (p / 'molecule.yml').is_file()))
def test_every_molecule_scenario_enables_the_plugin(scenario):
    """Molecule writes its own ansible.cfg from config_options, so each scenario enables the plugin itself."""
    import yaml
    defaults = yaml.safe_load((ROOT / 'molecule' / scenario / 'molecule.yml').read_text())['provisioner']['config_options']['defaults']
    assert defaults['vars_plugins'] == '${MOLECULE_PROJECT_DIRECTORY}/lab/vars_plugins'
    assert [name.strip() for name in defaults['vars_plugins_enabled'].split(',')] == ['ansible.builtin.host_group_vars', 'lab_hosts']
