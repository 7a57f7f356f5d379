"""The host_state action, run for real by ansible-playbook on localhost: the file table becomes paths and
read_at_start on the controller, and nothing else of it (templates' variables, list members) reaches the
module."""

import json
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent

PLAYBOOK = """\
- name: Read a file table
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Read
      mailops.sendmail.host_state:
        table: "{{ table }}"
        paths: ["{{ extra }}"]
      register: read
    - name: Show
      ansible.builtin.debug:
        var: read
"""


def test_the_table_is_read_and_stays_on_the_controller(tmp_path, ansible_json_env):
    conf, member = tmp_path / 'opendkim.conf', 'member-only-the-controller-sees'
    conf.write_text('Mode s\n')
    table = [{'id': 'conf', 'path': str(conf), 'template': 'opendkim.conf.j2', 'triggers': ['restart']},
             {'id': 'lists', 'each': [{'path': str(tmp_path / 'list'), 'members': [member]}],
              'template': 'alias-file.j2', 'vars': {'big': 'x' * 1000}}]
    (tmp_path / 'pb.yml').write_text(PLAYBOOK)
    (tmp_path / 'vars.json').write_text(json.dumps({'table': table, 'extra': str(tmp_path)}))
    res = subprocess.run([str(BIN / 'ansible-playbook'), '-i', 'localhost,', str(tmp_path / 'pb.yml'), '-e',
                          f'@{tmp_path / "vars.json"}', '-e', f'ansible_python_interpreter={sys.executable}'],
                         capture_output=True, text=True, env=ansible_json_env(tmp_path), check=False)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    read = json.loads(res.stdout)['plays'][0]['tasks'][0]['hosts']['localhost']
    assert sorted(read['files']) == sorted([str(tmp_path), str(conf), str(tmp_path / 'list')])
    assert read['files'][str(conf)]['exists'] and not read['files'][str(tmp_path / 'list')]['exists']
    args = read['invocation']['module_args']
    assert args['table'] == [] and args['read_at_start'] == [str(conf)], args
    assert member not in json.dumps(args) and 'x' * 1000 not in json.dumps(args)
