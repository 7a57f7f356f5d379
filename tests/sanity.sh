#!/usr/bin/env bash
# Every ansible-test sanity test, for the Python versions the collection claims
# (tests/config.yml) that this machine has. ansible-test needs the collection
# under ansible_collections/<ns>/<name>: run it on a copy of the tracked files.
# Extra arguments go to ansible-test (e.g. --test pep8).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

# ansible-test bootstraps pip into each of its venvs with a get-pip script it
# downloads from ci-files.testing.ansible.com, which is not reachable here; it
# uses ~/.ansible/test/cache/get_pip_<version>.py instead when that exists
# (ansible_test/_util/target/setup/requirements.py, bootstrap()). Put a script
# there that installs the same pip from the package registry: ensurepip (the
# wheel bundled with Python, offline), then pip itself upgrades to the version
# ansible-test asked for.
pip_version=$(python3 -c '
import types
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version="3.11"))["pip"])')
cache="$HOME/.ansible/test/cache"
bootstrap="$cache/get_pip_${pip_version//./_}.py"
mkdir -p "$cache"
cat >"$bootstrap.new" <<'EOF'
"""Stand-in for get-pip.py (written by mailops.sendmail tests/sanity.sh).

ansible-test runs it as `python get_pip_X_Y.py [pip options] pip==X.Y [--no-setuptools] [--no-wheel]`
in a new venv without pip. It installs pip from the configured package index instead of the
zipped pip in the real get-pip.py.
"""
import subprocess
import sys

args = sys.argv[1:]
no_setuptools = '--no-setuptools' in args
no_wheel = '--no-wheel' in args
args = [a for a in args if a not in ('--no-setuptools', '--no-wheel')]
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, '-m', 'pip', 'install', '-q', '--disable-pip-version-check'] + args)
# get-pip.py --no-setuptools/--no-wheel leave them out; ensurepip of Python < 3.12 brings setuptools
wanted = ' '.join(args)
drop = [p for p, flag in (('setuptools', no_setuptools), ('wheel', no_wheel)) if flag and p + '==' not in wanted]
if drop:
    subprocess.call([sys.executable, '-m', 'pip', 'uninstall', '-q', '-y', '--disable-pip-version-check'] + drop,
                    stderr=subprocess.DEVNULL)
EOF
if cmp -s "$bootstrap.new" "$bootstrap"; then rm -f "$bootstrap.new"; else mv -f "$bootstrap.new" "$bootstrap"; fi

work=$(mktemp -d /tmp/mailops-sanity.XXXXXX)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/mailops/sendmail"
mkdir -p "$dest"
(cd "$root" && git ls-files -co --exclude-standard | grep -v -E '^\.cache/' | tar -cf - -T -) | tar -C "$dest" -xf -
cd "$dest"
git init -q && git add -A && git -c user.email=ci@invalid -c user.name=ci commit -qm sanity

# The Python versions: those tests/config.yml claims for modules that this
# machine has, on PATH or installed by pyenv (a pyenv shim of a version that is
# not enabled fails; a link to the version's own binary in $work/bin replaces it).
# The first runs every test; the others the tests that are per Python version.
mkdir -p "$work/bin"
mapfile -t pythons < <(python3 - "$work/bin" <<'EOF'
import glob
import os
import subprocess
import sys
import yaml
from ansible_test._internal.constants import SUPPORTED_PYTHON_VERSIONS
from ansible_test._internal.util import str_to_version


def runs(cmd):
    return subprocess.call([cmd, '-c', ''], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) == 0


spec = yaml.safe_load(open('tests/config.yml'))['modules']['python_requires']
assert spec.startswith('>='), spec
pyenv = os.environ.get('PYENV_ROOT') or os.path.expanduser('~/.pyenv')
for v in SUPPORTED_PYTHON_VERSIONS:
    if str_to_version(v) < str_to_version(spec[2:]):
        continue
    if runs('python' + v):
        print(v)
        continue
    for cand in sorted(glob.glob(f'{pyenv}/versions/{v}.*/bin/python{v}'), reverse=True):
        if runs(cand):
            os.symlink(cand, os.path.join(sys.argv[1], 'python' + v))
            print(v)
            break
EOF
)
[ ${#pythons[@]} -gt 0 ] || { echo "sanity: no Python that tests/config.yml claims is installed" >&2; exit 1; }
export PATH="$work/bin:$PATH"
echo "sanity: Python ${pythons[*]}"
ansible-test sanity --python "${pythons[0]}" --color no "$@"
for py in "${pythons[@]:1}"; do
    ansible-test sanity --python "$py" --color no --test compile --test import "$@"
done
