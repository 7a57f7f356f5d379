#!/usr/bin/env bash
# README command 1: build the lab fleet and run playbooks/site.yml against it.
# Sets up a fresh Debian 12 machine first (scripts/setup.sh), leaves the lab
# running for a look around, and prints what was configured and checked.
#   MAILOPS_LAB / MAILOPS_LAB_BASE choose the lab's name and /27 (default mailops / 0).
#   lab/lab.sh down removes it again.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
export MAILOPS_LAB="${MAILOPS_LAB:-mailops}" MAILOPS_LAB_BASE="${MAILOPS_LAB_BASE:-0}"
log=$(mktemp /tmp/mailops-demo.XXXXXX)
echo "== lab: podman hosts on 198.51.100.$MAILOPS_LAB_BASE/27"
bash lab/lab.sh up
echo "== lab DNS and mailbox users (lab/prepare.yml)"
ansible-playbook lab/prepare.yml >"$log.prepare" || { cat "$log.prepare"; exit 1; }
echo "== playbooks/site.yml"
ANSIBLE_STDOUT_CALLBACK=ansible.builtin.default ansible-playbook playbooks/site.yml | tee "$log" | grep -E '^(PLAY|TASK \[mailops|fatal|failed)' | grep -v 'skipping' | sed -n '1,400p' >/dev/null || true
if ! grep -q 'PLAY RECAP' "$log" || grep -qE 'failed=[1-9]|unreachable=[1-9]' "$log"; then
    tail -40 "$log"; echo "site.yml failed (full log: $log)"; exit 1
fi
echo "-- what site.yml configured (PLAY RECAP):"
sed -n '/PLAY RECAP/,$p' "$log"
echo "== checks over real SMTP (lab/checks.yml)"
ANSIBLE_STDOUT_CALLBACK=ansible.builtin.default ansible-playbook lab/checks.yml >"$log.checks" 2>&1 || { tail -40 "$log.checks"; exit 1; }
sed -n '/SUMMARY/,/^}/p' "$log.checks" | sed -e 's/^ *"//' -e 's/",\?$//' | grep -v -E '^(ok: |[{}]|SUMMARY|TASK|\*)' || true
echo "== done: the lab is still running (lab/lab.sh down removes it); logs in $log*"
