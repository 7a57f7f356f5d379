#!/usr/bin/env bash
# ansible-test needs the collection under ansible_collections/<ns>/<name>:
# run it on a copy of the tracked files.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/mailops-sanity.XXXXXX)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/mailops/sendmail"
mkdir -p "$dest"
(cd "$root" && git ls-files -co --exclude-standard | grep -v -E '^(\.cache|bench)/' | tar -cf - -T -) | tar -C "$dest" -xf -
cd "$dest"
git init -q && git add -A && git -c user.email=ci@invalid -c user.name=ci commit -qm sanity
# The tests that need their own venvs (ansible-doc, validate-modules, pep8,
# yamllint, import) cannot bootstrap pip here: ansible-test downloads its
# get-pip script from a host outside the package registries. Those concerns are
# covered by ansible-lint and tests/unit/test_docs.py (ansible-doc of every plugin).
tests=(compile no-assert shebang line-endings empty-init symlinks action-plugin-docs
       ignores no-smart-quotes no-get-exception
       no-illegal-filenames shellcheck)
args=()
for t in "${tests[@]}"; do args+=(--test "$t"); done
ansible-test sanity --python "$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
    --color no "${args[@]}" "$@"

