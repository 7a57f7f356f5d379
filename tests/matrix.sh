#!/usr/bin/env bash
# The ansible-core version matrix (meta/runtime.yml's requires_ansible): one venv
# per older minor release in .cache/venvs/core-2.NN/ (made once, remade when the
# pins change), the unit tests (with the release check) and the DNS integration
# tests on each, and the molecule scenario's sequence on the oldest. The newest
# release is the main venv (tests/requirements.txt), tested by tests/run.sh itself.
#
#   bash tests/matrix.sh             every release below, then the lab sequence on the oldest
#   bash tests/matrix.sh 2.17 ...    only these releases (and the lab if the oldest is among them)
#   MATRIX_LAB=0 bash tests/matrix.sh   without the lab sequence (MATRIX_TESTS=0: only the lab)
#   MATRIX_LAB_NAME=matrix MATRIX_LAB_BASE=160   the lab's name and /27 (tests/run.sh sets both)
#
# The lab sequence is molecule/default's test sequence (destroy, create, prepare,
# converge, idempotence, check, verify, destroy) run with this release's
# ansible-playbook and pytest, in the lab "matrix" at base 160 (by default), removed afterwards.
set -euo pipefail
# ansible-core=ansible: the newest patch release of each supported minor release below
# the main venv's, with the newest ansible package (the community collections, ansible.posix's
# json callback for the tests) made for it, as users install them. tests/unit/test_matrix.py
# keeps this list, meta/runtime.yml's requires_ansible and tests/requirements.txt together.
MATRIX_CORE="2.16.19=9.13.0 2.17.14=10.7.0 2.18.19=11.13.0"

cd "$(dirname "$0")/.."
# shellcheck source=scripts/setup.sh
[ -n "${MAILOPS_ROOT:-}" ] || . scripts/setup.sh
export PYTHONDONTWRITEBYTECODE=1
BASE_PATH=$PATH

matrix_venv() {     # matrix_venv 2.16.19=9.13.0 -> path of its venv, made if needed
    local core=${1%=*} ansible=${1#*=} venv want
    venv="$MAILOPS_ROOT/.cache/venvs/core-${core%.*}"
    want=$( (echo "$1"; cat requirements.txt tests/requirements-matrix.txt) | sha256sum | cut -c1-16)
    if [ ! -f "$venv/.requirements-$want" ]; then
        echo "matrix: creating $venv (ansible-core $core, ansible $ansible)" >&2
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q --upgrade pip >/dev/null 2>&1 || true
        "$venv/bin/pip" install -q "ansible-core==$core" "ansible==$ansible" -r tests/requirements-matrix.txt 2>&1 \
            | grep -v '^WARNING: Location' >&2 || true
        "$venv/bin/python" -c 'import ansible, dns, publicsuffixlist, pytest, yaml, testinfra, ansible_builder, antsibull_changelog'
        [ "$("$venv/bin/python" -c 'from ansible.release import __version__; print(__version__)')" = "$core" ]
        touch "$venv/.requirements-$want"
    fi
    echo "$venv"
}

core_of() {         # core_of VENV -> "ansible-core 2.16.19"
    echo "ansible-core $("$1/bin/python" -c 'from ansible.release import __version__; print(__version__)')"
}

matrix_tests() {    # matrix_tests VENV: unit tests, release check and DNS integration tests
    local venv=$1 start rc=0
    start=$SECONDS
    PATH="$venv/bin:$BASE_PATH" VIRTUAL_ENV=$venv \
        "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/unit tests/integration/dns || rc=$?
    echo "matrix: $(core_of "$venv"): unit, release-check and DNS tests $([ "$rc" = 0 ] && echo passed || echo FAILED)," \
        "$((SECONDS - start)) s"
    return "$rc"
}

matrix_lab() {      # matrix_lab VENV: the molecule scenario's sequence with this release
    local venv=$1 start rc=0
    start=$SECONDS
    # Every step checked by hand: this runs where errexit does not apply (matrix_lab ... || failed=1).
    (
        export PATH="$venv/bin:$BASE_PATH" VIRTUAL_ENV=$venv MAILOPS_LAB=${MATRIX_LAB_NAME:-matrix} \
            MAILOPS_LAB_BASE=${MATRIX_LAB_BASE:-160} \
            MOLECULE_PROJECT_DIRECTORY=$MAILOPS_ROOT
        play() { ansible-playbook "$@" >"$log" 2>&1 || { tail -n 60 "$log" >&2; echo "matrix: $* failed" >&2; exit 1; }; }
        log=$(mktemp)
        trap 'ansible-playbook molecule/default/destroy.yml >/dev/null 2>&1 || bash lab/lab.sh down; rm -f "$log"' EXIT
        echo "-- destroy, create, prepare"
        play molecule/default/destroy.yml
        play molecule/default/create.yml
        play lab/prepare.yml
        echo "-- converge"
        play molecule/default/converge.yml
        echo "-- idempotence"
        play molecule/default/converge.yml
        if ! grep -q 'changed=0 ' "$log" || grep -Eq ' changed=[1-9]' "$log"; then
            grep -E '^TASK |^changed:' "$log" | grep -B1 '^changed:' >&2
            echo "matrix: the second converge changed something (not idempotent)" >&2
            exit 1
        fi
        echo "-- check"
        play --check molecule/default/converge.yml
        echo "-- verify"
        python -m pytest -q -p no:cacheprovider molecule/default/tests || exit 1
    ) || rc=$?
    echo "matrix: $(core_of "$venv"): molecule sequence $([ "$rc" = 0 ] && echo passed || echo FAILED), $((SECONDS - start)) s"
    return "$rc"
}

want=${*:-}
oldest=${MATRIX_CORE%% *}
jobs=()
for pair in $MATRIX_CORE; do
    core=${pair%=*}
    if [ -n "$want" ] && ! grep -qw "${core%.*}" <<<"$want"; then
        continue
    fi
    venv=$(matrix_venv "$pair")
    if [ "${MATRIX_TESTS:-1}" != 0 ]; then
        jobs+=("tests $venv")
    fi
    if [ "$pair" = "$oldest" ] && [ "${MATRIX_LAB:-1}" != 0 ]; then
        jobs+=("lab $venv")
    fi
done

run_job() {         # run_job "tests VENV" | "lab VENV"
    case $1 in
        tests\ *) matrix_tests "${1#* }" ;;
        lab\ *) matrix_lab "${1#* }" ;;
    esac
}

# The runs wait on subprocesses, NSD and containers more than they use the CPU: by default
# they run side by side (MATRIX_JOBS=1: one after the other), each one's output shown when it ends.
failed=0
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
if [ "${MATRIX_JOBS:-0}" = 1 ]; then
    for job in "${jobs[@]}"; do
        echo "== $job"
        run_job "$job" | tee -a "$logs/summary" || failed=1
    done
else
    pids=()
    for n in "${!jobs[@]}"; do
        run_job "${jobs[$n]}" >"$logs/$n" 2>&1 &
        pids+=($!)
    done
    for n in "${!jobs[@]}"; do
        wait "${pids[$n]}" || failed=1
        echo "== ${jobs[$n]}"
        cat "$logs/$n"
        cat "$logs/$n" >>"$logs/summary"
    done
fi
echo
grep '^matrix: ' "$logs/summary" || true
exit $failed
