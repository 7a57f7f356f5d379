#!/usr/bin/env bash
# README command 2: every test, on a fresh Debian 12 machine as root. Installs what it needs
# (scripts/setup.sh), then runs two stages.
#
# Stage 1, one step after the other: ansible-lint, the changelog fragments, every ansible-test
# sanity test, the unit tests (with the release check, tests/unit/test_release.py: build, install,
# ansible-doc, ansible-builder), the DNS integration tests (real NSD) and the platform tests.
#
# Stage 2, lanes side by side, each writing its own log, shown when the lane ends (all of it for a
# failed lane, the summary lines of a passed one):
#   - one lane per Debian release of the lab (lab/lib.sh LAB_RELEASES, the default release first):
#     its image (lab/image.sh; a release that has left the mirror is SKIPPED, docs/lab.md), the
#     molecule scenario of the lab fleet on it (default for the default release, molecule/<release>
#     for each other one), then the whole live-lab suite (tests/integration/lab) on it; molecule and
#     the suite one after the other in the lane's /27 of 198.51.100.0/24 (LANE_BASES);
#   - the ansible-core matrix (tests/matrix.sh), its lab at 160.
# The lanes wait on ssh, sendmail restarts and mail delivery far more than they use the CPU, so side
# by side they use the CPU time one lane alone leaves idle. A table of the lanes, their status and
# seconds ends the run; its exit status is non-zero when a lane failed. When run.sh is interrupted or
# fails, it interrupts the lanes still running (SIGINT, SIGKILL a minute later): the live suite's
# pytest fixture removes its lab; molecule aborts without its destroy, so lab.sh down then removes
# every lab of those lanes.
# Benchmarks are not part of it (bench/).
#
# Knobs for debugging (unset, the run is the whole one CI makes):
#   MAILOPS_TEST_STAGE1=0                     stage 2 only
#   MAILOPS_TEST_LANES="bookworm matrix"      only these lanes (release names, matrix)
#   MAILOPS_TEST_MOLECULE=0                   the release lanes without molecule
#   MAILOPS_TEST_PYTEST_ARGS="-k idempotent"  more arguments for the live suite's pytest (split at blanks)
#   MAILOPS_TEST_BASES="bookworm=96"          a lane's /27 instead of the one in LANE_BASES
#   MAILOPS_TEST_LAB_PREFIX=mine-             put before the lanes' lab names (itest-<release>,
#                                             molecule-<release>, matrix)
#   MAILOPS_TEST_LOGS=DIR                     where the lanes' logs go (default .cache/test-logs)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/setup.sh
. scripts/setup.sh
export PYTHONDONTWRITEBYTECODE=1
step() { printf '\n== %s (%s)\n' "$1" "$(date +%T)"; }

# The /27 of each lane, for both of its labs (molecule's is removed before the live suite makes its
# own). 0 is the demo's and 32 molecule's when run by hand (docs/lab.md). tests/unit/test_releases.py
# keeps a base here for each release of lab/lib.sh.
LANE_BASES="bookworm=64 bullseye=96 trixie=128 matrix=160"

if [ "${MAILOPS_TEST_STAGE1:-1}" != 0 ]; then
    step "ansible-lint, production profile"
    ansible-lint --profile production --offline

    step "changelog fragments"
    antsibull-changelog lint

    step "ansible-test sanity (every test)"
    bash tests/sanity.sh

    step "unit tests, release check, DNS module integration tests (real NSD) and platform tests"
    python -m pytest -q -p no:cacheprovider tests/unit tests/integration/dns tests/integration/platforms
fi

read -r default_release releases < <(bash -c '. lab/lib.sh && echo "$LAB_DEFAULT_RELEASE $LAB_RELEASES"')
all_lanes=$default_release
for release in $releases; do
    [ "$release" = "$default_release" ] || all_lanes+=" $release"
done
all_lanes+=" matrix"
lanes=${MAILOPS_TEST_LANES:-$all_lanes}
lab_prefix=${MAILOPS_TEST_LAB_PREFIX:-}
read -ra pytest_args <<<"${MAILOPS_TEST_PYTEST_ARGS:-}"
logs=${MAILOPS_TEST_LOGS:-$MAILOPS_ROOT/.cache/test-logs}

lane_base() {       # lane_base LANE -> its /27 base (MAILOPS_TEST_BASES before LANE_BASES)
    local pair base=
    for pair in $LANE_BASES ${MAILOPS_TEST_BASES:-}; do
        [ "${pair%%=*}" != "$1" ] || base=${pair#*=}
    done
    echo "$base"
}

lane_labs() {       # lane_labs LANE -> the names of the labs the lane makes
    if [ "$1" = matrix ]; then echo "${lab_prefix}matrix"; else echo "${lab_prefix}molecule-$1 ${lab_prefix}itest-$1"; fi
}

interruptible() {   # interruptible CMD...: CMD with SIGINT's default action, so that stop_lanes' SIGINT
    # reaches it (pytest then tears its lab down) also where run.sh was started with
    # SIGINT ignored, as a background job of a script is, which its children inherit
    env --default-signal=INT "$@"
}

result() {          # result WHAT STATUS START: the lane's summary line of one step; returns STATUS
    if [ "$2" = 0 ]; then
        echo "lane: $1 passed, $((SECONDS - $3)) s"
    else
        echo "lane: $1 FAILED (exit status $2), $((SECONDS - $3)) s"
    fi
    return "$2"
}

release_lane() {    # release_lane RELEASE BASE: its image, molecule's fleet on it, the whole live suite on it
    local release=$1 base=$2 scenario=$1 molecule_lab itest_lab rc=0 start
    [ "$release" != "$default_release" ] || scenario=default
    read -r molecule_lab itest_lab <<<"$(lane_labs "$release")"
    export MAILOPS_LAB_RELEASE=$release
    step "the lab image of Debian $release"
    start=$SECONDS
    interruptible bash lab/image.sh || rc=$?
    if [ "$rc" = 3 ]; then
        echo "SKIPPED: Debian $release (lab/image.sh above: it has left the mirror): molecule -s $scenario and the live lab"
        return 0
    fi
    result "image of Debian $release" "$rc" "$start" || return
    if [ "${MAILOPS_TEST_MOLECULE:-1}" != 0 ]; then
        step "molecule -s $scenario: the lab fleet on Debian $release (converge, idempotence, check, verify)"
        start=$SECONDS rc=0
        MAILOPS_MOLECULE_LAB=$molecule_lab MAILOPS_MOLECULE_BASE=$base interruptible molecule test -s "$scenario" || rc=$?
        result "molecule -s $scenario (Debian $release)" "$rc" "$start" || return
    fi
    step "integration: the live-lab suite on Debian $release: changes, check mode and safety"
    start=$SECONDS rc=0
    MAILOPS_ITEST_LAB=$itest_lab MAILOPS_ITEST_BASE=$base \
        interruptible python -m pytest -q -p no:cacheprovider --durations=15 "${pytest_args[@]}" tests/integration/lab || rc=$?
    result "live lab (Debian $release)" "$rc" "$start"
}

matrix_lane() {     # matrix_lane BASE: the ansible-core matrix
    step "ansible-core matrix: the unit, release-check and DNS tests on each older release; molecule's sequence on the oldest"
    MATRIX_LAB_NAME=$(lane_labs matrix) MATRIX_LAB_BASE=$1 interruptible bash tests/matrix.sh
}

run_lane() {        # run_lane LANE BASE
    export NO_COLOR=1   # plain logs: molecule colours its output when TERM is an xterm, also into a file
    if [ "$1" = matrix ]; then matrix_lane "$2"; else release_lane "$1" "$2"; fi
}

# What a passed (or skipped) lane shows of its log: the steps, the lanes' and the matrix's summary
# lines, lab/image.sh's reason to skip, pytest's last line (also of molecule's verify), the live suite's
# slowest tests (where a lane's time goes) and molecule's outcome.
SUMMARY='^(== |lane: |matrix: |SKIP:|SKIPPED:)|^(=+ )?([0-9]+ [a-z]+(, )?)+ in [0-9.]+s|no tests ran in|Molecule executed'
SUMMARY+='|^=+ slowest [0-9]+ durations|^[0-9]+\.[0-9]+s (call|setup|teardown) '

show_lane() {       # show_lane LANE STATUS SECONDS
    local log=$logs/$1.log
    printf '\n======== lane %s: %s, %s s (%s) ========\n' "$1" "$2" "$3" "$log"
    if [ "$2" = FAILED ]; then
        cat "$log"
    else
        grep -E "$SUMMARY" "$log" || true
    fi
}

declare -A lane_of=() started=() status=() seconds=()

# shellcheck disable=SC2317  # run by stop_lanes
lanes_alive() {     # is a process of a lane still running?
    local pid
    for pid in "${!lane_of[@]}"; do
        if kill -0 -- "-$pid" 2>/dev/null; then return 0; fi
    done
    return 1
}

# shellcheck disable=SC2317  # run by the EXIT trap
stop_lanes() {      # on exit: interrupt the lanes still running, then remove what their labs left
    local pid lane lab waited=0
    [ ${#lane_of[@]} -gt 0 ] || return 0
    echo "run.sh: interrupting the lanes still running: ${lane_of[*]}" >&2
    for pid in "${!lane_of[@]}"; do kill -INT -- "-$pid" 2>/dev/null || true; done
    # SIGINT lets pytest tear its lab down; give it a minute.
    while [ "$waited" -lt 60 ] && lanes_alive; do
        sleep 1
        waited=$((waited + 1))
    done
    for pid in "${!lane_of[@]}"; do
        kill -KILL -- "-$pid" 2>/dev/null || true
        lane=${lane_of[$pid]}
        printf '\n======== lane %s: interrupted (the end of %s) ========\n' "$lane" "$logs/$lane.log" >&2
        tail -n 40 "$logs/$lane.log" >&2 || true
        for lab in $(lane_labs "$lane"); do
            MAILOPS_LAB=$lab bash lab/lab.sh down >/dev/null 2>&1 || true
        done
    done
}
trap stop_lanes EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for lane in $lanes; do
    case " $all_lanes " in
        *" $lane "*) ;;
        *) echo "MAILOPS_TEST_LANES: no lane '$lane' (the lanes: $all_lanes)" >&2; exit 2 ;;
    esac
    [ -n "$(lane_base "$lane")" ] || { echo "tests/run.sh: no /27 base for the lane '$lane' (LANE_BASES)" >&2; exit 2; }
done
mkdir -p "$logs"
for lane in $lanes; do rm -f "$logs/$lane.log"; done

step "stage 2, side by side: $lanes (each lane's log in $logs, shown when it ends)"
# Job control puts each lane in its own process group, so that stop_lanes reaches all its processes.
set -m
for lane in $lanes; do
    run_lane "$lane" "$(lane_base "$lane")" </dev/null >"$logs/$lane.log" 2>&1 &
    lane_of[$!]=$lane
    started[$lane]=$SECONDS
done
set +m

failed=0
while [ ${#lane_of[@]} -gt 0 ]; do
    rc=0
    wait -n -p pid "${!lane_of[@]}" || rc=$?
    lane=${lane_of[$pid]}
    unset "lane_of[$pid]"
    seconds[$lane]=$((SECONDS - started[$lane]))
    if [ "$rc" != 0 ]; then
        status[$lane]=FAILED
        failed=1
    elif grep -q '^SKIPPED:' "$logs/$lane.log"; then
        status[$lane]=skipped
    else
        status[$lane]=passed
    fi
    show_lane "$lane" "${status[$lane]}" "${seconds[$lane]}"
done

printf '\n%-10s %-8s %8s\n' lane status seconds
for lane in $lanes; do
    printf '%-10s %-8s %8s\n' "$lane" "${status[$lane]}" "${seconds[$lane]}"
done
exit "$failed"
