#!/usr/bin/env bash
# The podman lab: one network and a set of hosts, all named after $MAILOPS_LAB
# and placed in the /27 of 198.51.100.0/24 that starts at $MAILOPS_LAB_BASE, so
# that several labs (demo, molecule, integration tests, benchmarks) coexist.
#
#   lab/lab.sh up   [HOST...]   (re)create the network and the hosts (default: the demo fleet)
#   lab/lab.sh down             remove every container and the network of this lab
#   lab/lab.sh env              print the lab's settings as shell assignments
#
# Hosts are "short=offset" pairs: container $MAILOPS_LAB-short, hostname
# short.$MAILOPS_LAB_DOMAIN, address 198.51.100.(base+offset). The DNS host
# (offset 2) serves the lab zones; every container resolves through it.
# LAB_RUN_ARGS adds podman run options (the safety tests add SYS_ADMIN to mount
# a small tmpfs over /etc/mail).
set -euo pipefail
# shellcheck source=lab/lib.sh
. "$(dirname "$0")/lib.sh"
: "${MAILOPS_LAB:=mailops}"
: "${MAILOPS_LAB_BASE:=0}"
: "${MAILOPS_LAB_DOMAIN:=example.test}"
LAB_PREFIX=198.51.100
case "$MAILOPS_LAB_BASE" in 0|32|64|96|128|160|192) ;; *) echo "MAILOPS_LAB_BASE must be a /27 start below 224" >&2; exit 2 ;; esac
LAB_NET="$MAILOPS_LAB-net"
LAB_SUBNET="$LAB_PREFIX.$MAILOPS_LAB_BASE/27"
LAB_GATEWAY="$LAB_PREFIX.$((MAILOPS_LAB_BASE + 1))"
LAB_DNS="$LAB_PREFIX.$((MAILOPS_LAB_BASE + 2))"
DEMO_HOSTS="ns1=2 mx1=3 mx2=4 client1=5 client2=6 outsider=7 spammer=8"

lab_down() {
    local ids
    ids=$(podman ps -aq --filter "label=mailops.lab=$MAILOPS_LAB")
    # shellcheck disable=SC2086  # a list of container ids
    [ -n "$ids" ] && podman rm -f -t 0 $ids >/dev/null
    podman network exists "$LAB_NET" && podman network rm -f "$LAB_NET" >/dev/null
    return 0
}

lab_up() {
    local spec short offset ip
    # shellcheck disable=SC2086  # a list of short=offset words
    [ $# -gt 0 ] || set -- $DEMO_HOSTS
    lab_down
    podman network create --subnet "$LAB_SUBNET" --gateway "$LAB_GATEWAY" --disable-dns \
        --label "mailops.lab=$MAILOPS_LAB" "$LAB_NET" >/dev/null
    for spec in "$@"; do
        short=${spec%%=*}; offset=${spec#*=}
        ip="$LAB_PREFIX.$((MAILOPS_LAB_BASE + offset))"
        # shellcheck disable=SC2086  # LAB_RUN_ARGS is a list of options
        podman run -d --name "$MAILOPS_LAB-$short" --hostname "$short.$MAILOPS_LAB_DOMAIN" \
            --network "$LAB_NET" --ip "$ip" --dns "$LAB_DNS" --dns-search "$MAILOPS_LAB_DOMAIN" \
            --label "mailops.lab=$MAILOPS_LAB" --cap-add NET_ADMIN ${LAB_RUN_ARGS:-} "$LAB_IMAGE" >/dev/null
        echo "$MAILOPS_LAB-$short  $short.$MAILOPS_LAB_DOMAIN  $ip"
    done
}

case "${1:-}" in
    up) shift; lab_up "$@" ;;
    down) lab_down ;;
    env) printf 'MAILOPS_LAB=%s\nMAILOPS_LAB_BASE=%s\nLAB_SUBNET=%s\nLAB_GATEWAY=%s\nLAB_DNS=%s\n' \
            "$MAILOPS_LAB" "$MAILOPS_LAB_BASE" "$LAB_SUBNET" "$LAB_GATEWAY" "$LAB_DNS" ;;
    *) sed -n '2,13p' "$0" >&2; exit 2 ;;
esac
