#!/usr/bin/env bash
# README command 2: every test, on a fresh Debian 12 machine as root.
# Installs what it needs (scripts/setup.sh), then: lint, changelog fragments,
# every ansible-test sanity test, unit tests (with the release check,
# tests/unit/test_release.py: build, install, ansible-doc, ansible-builder) and
# DNS integration tests (then on each older ansible-core release, tests/matrix.sh),
# the molecule scenario of the lab fleet, and the
# change/safety tests on a live lab. Benchmarks are not part of it (bench/).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
export PYTHONDONTWRITEBYTECODE=1
step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }

step "ansible-lint, production profile"
ansible-lint --profile production --offline

step "changelog fragments"
antsibull-changelog lint

step "ansible-test sanity (every test)"
bash tests/sanity.sh

step "unit tests, release check and DNS module integration tests (real NSD)"
python -m pytest -q -p no:cacheprovider tests/unit tests/integration/dns tests/integration/platforms

step "ansible-core matrix: the same tests on 2.16, 2.17 and 2.18; molecule's sequence on 2.16"
bash tests/matrix.sh

step "molecule: the lab fleet (converge, idempotence, check, verify)"
molecule test -s default

step "integration: changes, check mode and safety on a live lab"
python -m pytest -q -p no:cacheprovider tests/integration/lab
