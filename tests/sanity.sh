#!/usr/bin/env bash
# ansible-test needs the collection under ansible_collections/<ns>/<name>:
# run it on a copy of the tracked files.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/mailops-sanity.XXXXXX)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/mailops/sendmail"
mkdir -p "$dest"
(cd "$root" && git ls-files -co --exclude-standard | grep -v '^\.cache/' | tar -cf - -T -) | tar -C "$dest" -xf -
# ansible-test bootstraps pip in its venvs with a get-pip script it downloads
# from a host this machine cannot reach; stand in with ensurepip + PyPI.
pipver=$(python3 -c 'import re, ansible_test._internal.python_requirements as m, inspect; print(re.search(r"pip=.([0-9.]+).", inspect.getsource(m)).group(1))')
getpip="$HOME/.ansible/test/cache/get_pip_${pipver//./_}.py"
if [ ! -f "$getpip" ]; then
    mkdir -p "$(dirname "$getpip")"
    cat >"$getpip" <<'PY'
"""Stand-in for get-pip.py: install the bundled pip, then pip install the arguments."""
import ensurepip
import subprocess
import sys

ensurepip.bootstrap()
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + sys.argv[1:]))
PY
fi
cd "$dest"
git init -q && git add -A && git -c user.email=ci@invalid -c user.name=ci commit -qm sanity
ansible-test sanity --python "$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
    --skip-test pylint --color no "$@" 2>&1 | grep -v -E "^(WARNING: Location|Using cached|Installing requirements)" 

