#!/usr/bin/env bash
# README command 2: every test, on a fresh Debian 12 machine as root.
# Installs what it needs (scripts/setup.sh), then: lint, changelog fragments,
# every ansible-test sanity test, unit tests (with the release check,
# tests/unit/test_release.py: build, install, ansible-doc, ansible-builder) and
# DNS integration tests (then on each older ansible-core release, tests/matrix.sh),
# the molecule scenario of the lab fleet on each Debian release the lab runs
# (lab/lib.sh LAB_RELEASES), and the change/safety tests on a live lab: all of them on the default
# release (bookworm), those marked 'releases' on each other one. Benchmarks are not part of it (bench/).
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

# The lab fleet on each Debian release the lab runs, the default release (Debian 12) first: it is the
# default scenario, each other release a scenario named after it (molecule/<release>). A release
# whose suite has left the mirror, with no image of it built before, is skipped with lab/image.sh's
# message (its exit status 3).
read -r default_release releases < <(bash -c '. lab/lib.sh && echo "$LAB_DEFAULT_RELEASE $LAB_RELEASES"')
for release in $default_release ${releases//$default_release/}; do
    scenario=$release
    [ "$release" != "$default_release" ] || scenario=default
    step "molecule: the lab fleet on Debian $release (converge, idempotence, check, verify)"
    rc=0
    MAILOPS_LAB_RELEASE=$release bash lab/image.sh || rc=$?
    if [ "$rc" = 3 ]; then
        echo "SKIPPED: molecule -s $scenario (Debian $release has left the mirror)"
        continue
    fi
    [ "$rc" = 0 ] || exit "$rc"
    start=$SECONDS
    MAILOPS_LAB_RELEASE=$release molecule test -s "$scenario"
    echo "molecule -s $scenario (Debian $release): passed, $((SECONDS - start)) s"
done

# The live lab: every test on the default release; on each other release the tests marked 'releases'
# (what differs between releases: install, config and map builds, restart and rollback, delivery,
# STARTTLS, the mail log; docs/testing.md), which keeps the whole suite inside CI's time.
step "integration: changes, check mode and safety on a live lab (Debian $default_release)"
start=$SECONDS
python -m pytest -q -p no:cacheprovider tests/integration/lab
echo "live lab (Debian $default_release): passed, $((SECONDS - start)) s"
for release in ${releases//$default_release/}; do
    step "integration: the release-sensitive live-lab tests on Debian $release (-m releases)"
    rc=0
    MAILOPS_LAB_RELEASE=$release bash lab/image.sh || rc=$?
    if [ "$rc" = 3 ]; then
        echo "SKIPPED: live lab on Debian $release (it has left the mirror)"
        continue
    fi
    [ "$rc" = 0 ] || exit "$rc"
    start=$SECONDS
    MAILOPS_LAB_RELEASE=$release python -m pytest -q -p no:cacheprovider -m releases tests/integration/lab
    echo "live lab -m releases (Debian $release): passed, $((SECONDS - start)) s"
done
