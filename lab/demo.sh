#!/usr/bin/env bash
# README command 1: build the lab fleet and run playbooks/site.yml against it.
# Sets up a fresh Debian 12 machine first (scripts/setup.sh), leaves the lab
# running for a look around, and prints what was configured and checked.
#   MAILOPS_LAB / MAILOPS_LAB_BASE choose the lab's name and /27 (default mailops / 0),
#   MAILOPS_LAB_RELEASE the hosts' Debian release (bullseye, bookworm or trixie; default bookworm).
#   bash lab/lab.sh down removes it again.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
export MAILOPS_LAB="${MAILOPS_LAB:-mailops}" MAILOPS_LAB_BASE="${MAILOPS_LAB_BASE:-0}"
export MAILOPS_LAB_RELEASE="${MAILOPS_LAB_RELEASE:-bookworm}"
export ANSIBLE_STDOUT_CALLBACK=ansible.builtin.default
logs=$(mktemp -d /tmp/mailops-demo.XXXXXX)

run() {  # run a playbook quietly; show its tail when it fails
    local log
    log="$logs/$(basename "$1" .yml).log"
    if ! ansible-playbook "$@" >"$log" 2>&1; then
        tail -60 "$log"; echo "FAILED: ansible-playbook $* (full log: $log)"; exit 1
    fi
}

echo "== lab '$MAILOPS_LAB': podman hosts (Debian $MAILOPS_LAB_RELEASE) on 198.51.100.$MAILOPS_LAB_BASE/27"
bash lab/lab.sh up
echo "== lab DNS (NSD) and mailbox users: lab/prepare.yml"
run lab/prepare.yml
echo "== playbooks/site.yml (fqdn, sendmail, DNS verification)"
run playbooks/site.yml
sed -n '/PLAY RECAP/,$p' "$logs/site.log"
# each server's mail DNS summary (the dns_check role's table)
sed -n '/TASK \[mailops.sendmail.dns_check : Show the summary/,/^TASK/p' "$logs/site.log" | grep -E '^ +"' | grep -v '"msg"' \
    | sed -e 's/^ *"/  /' -e 's/",\?$//' -e 's/\\"/"/g' || true
echo "== checks over real SMTP: lab/checks.yml"
run lab/checks.yml
sed -n '/TASK \[SUMMARY\]/,/^$/p' "$logs/checks.log" | grep -E '^ +"' | grep -v '"msg"' | sed -e 's/^ *"/  /' -e 's/",\?$//'
echo "== done. The lab is still running (bash lab/lab.sh down removes it). Logs: $logs"
