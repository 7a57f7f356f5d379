#!/usr/bin/env bash
# The benchmarks (README "## Benchmarks"): bash bench/run.sh
# Sets up the machine (scripts/setup.sh), brings up the benchmark lab, runs
# bench/bench.py (table on stdout, JSON and logs in bench/results/), and removes
# the lab on exit. Not part of tests/run.sh.
#   BENCH_RUNS=3       rounds (the table shows medians; 3 or more)
#   BENCH_QUICK=1      smoke run: 1 and 5 hosts, 500-entry maps, 20 lineinfile entries
#   BENCH_CASES=fleet,dns  only these cases (noop, maps, lineinfile, fleet, transport, memory, dns, profiles)
#   MAILOPS_LAB=bench MAILOPS_LAB_BASE=96   the lab's name and /27 of 198.51.100.0/24
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/setup.sh
. scripts/setup.sh
export MAILOPS_LAB="${MAILOPS_LAB:-bench}" MAILOPS_LAB_BASE="${MAILOPS_LAB_BASE:-96}"
# ns1 (DNS), mx1 (case 1), outsider (relay probes), fleet01..fleet20 (case 2), bigmx (case 3).
hosts=(ns1=2 mx1=3 outsider=7 bigmx=29)
for i in $(seq 1 20); do hosts+=("$(printf 'fleet%02d=%d' "$i" $((8 + i)))"); done

cleanup() { bash lab/lab.sh down || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
echo "== benchmark lab '$MAILOPS_LAB' on 198.51.100.$MAILOPS_LAB_BASE/27 (stale containers of this lab are removed first)"
bash lab/lab.sh up "${hosts[@]}" >/dev/null
python bench/bench.py
