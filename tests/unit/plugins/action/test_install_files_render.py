"""install_files renders a role's template byte for byte as ansible.builtin.template does,
on whichever ansible-core runs the tests (plugin_utils/_render.py has a path per release
range; tests/matrix.sh runs this on each release of requires_ansible)."""

import grp
import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
OWNER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name

# What the role templates use, and the corners where a renderer could differ: ansible_managed and
# the template_* variables, trim_blocks without lstrip_blocks, backslashes, an include found
# through the search path, non-ASCII text, None, a result that looks like a Python literal,
# the entry's vars, a #jinja2: header and trailing newlines.
TEMPLATES = {
    'main.j2': (
        '{{ ansible_managed | comment }}\n'
        '# {{ template_path }} {{ template_destpath | basename }} {{ template_fullpath | basename }}'
        ' {{ template_host is string }} {{ template_uid }}\n'
        '{% for item in items %}\n'
        '  {{ item.name }}\t{{ item.value }}\n'
        '{% endfor %}\n'
        '{% if flag %}\n'
        '    indented {{ "a\\\\tb" }} \\t \\\\ "\\n" {{ \'x\\ny\' }}\n'
        '  {% endif %}\n'
        '{% include "part.j2" %}\n'
        '{{ extra_var }} \u00fcn\u00efcode \u2014 {{ none_var }} {{ items | map(attribute="value") | list }}\n'
        '{#- a comment -#}\n'
        '   {%- set x = 1 %}\n'
        '{{ x }}\n'
        '\n\n'),
    'part.j2': 'part {{ extra_var | upper }}\n',
    'literal.j2': "{{ items | map(attribute='name') | list }}",
    'header.j2': '#jinja2: trim_blocks: False\n{% if flag %}\nnot trimmed\n{% endif %}\n',
    'empty.j2': '{% if not flag %}never{% endif %}',
}

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    items: [{name: one, value: 1}, {name: two, value: 'zwei \u00e9'}]
    flag: true
    none_var: null
  roles: [r]
"""

TASKS = """
- name: With ansible.builtin.template
  ansible.builtin.template:
    src: "{{{{ item }}}}"
    dest: "{out}/template/{{{{ item }}}}.out"
    mode: '0644'
  vars:
    extra_var: from the task
  loop: {names}
- name: With mailops.sendmail.install_files
  mailops.sendmail.install_files:
    files: {files}
"""


@pytest.fixture(scope='module')
def rendered(tmp_path_factory, ansible_json_env):
    tmp = tmp_path_factory.mktemp('render')
    templates = tmp / 'roles' / 'r' / 'templates'
    templates.mkdir(parents=True)
    (tmp / 'roles' / 'r' / 'tasks').mkdir()
    for name, text in TEMPLATES.items():
        (templates / name).write_text(text, encoding='utf-8')
    out = tmp / 'out'
    (out / 'template').mkdir(parents=True)
    (out / 'install').mkdir()
    files = [dict(path=str(out / 'install' / (name + '.out')), template=name, owner=OWNER, group=GROUP, mode='0644',
                  vars=dict(extra_var='from the task')) for name in TEMPLATES]
    (tmp / 'roles' / 'r' / 'tasks' / 'main.yml').write_text(
        TASKS.format(out=out, names=sorted(TEMPLATES), files=files), encoding='utf-8')
    (tmp / 'play.yml').write_text(PLAYBOOK, encoding='utf-8')
    proc = subprocess.run([str(BIN / 'ansible-playbook'), '-i', 'localhost,', '-e', f'ansible_python_interpreter={sys.executable}',
                           str(tmp / 'play.yml')], cwd=tmp,
                          env=ansible_json_env(tmp), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return out


@pytest.mark.parametrize('name', sorted(TEMPLATES))
def test_install_files_renders_like_the_template_module(rendered, name):
    expected = (rendered / 'template' / (name + '.out')).read_bytes()
    assert (rendered / 'install' / (name + '.out')).read_bytes() == expected
    if name == 'main.j2':       # the test exercises what it says
        assert b'part FROM THE TASK' in expected and '\u00fcn\u00efcode'.encode() in expected
        assert b'main.j2 main.j2.out main.j2' in expected
