#!/usr/bin/env bash
# The podman lab: one network and a set of hosts, all named after $MAILOPS_LAB
# and placed in the /27 of 198.51.100.0/24 that starts at $MAILOPS_LAB_BASE, so
# that several labs (demo, molecule, integration tests, benchmarks) coexist.
#
#   lab/lab.sh up   [HOST...]   (re)create the network and the hosts (default: the demo fleet)
#   lab/lab.sh host HOST...     (re)create these hosts in the running lab (fresh containers)
#   lab/lab.sh down             remove every container and the network of this lab
#   lab/lab.sh env              print the lab's settings as shell assignments
#
# Hosts are "short=offset" pairs: container $MAILOPS_LAB-short, hostname
# short.$MAILOPS_LAB_DOMAIN, address 198.51.100.(base+offset). The DNS host
# (offset 2) serves the lab zones; every container resolves through it.
# Ansible reaches each host over ssh at that address as $LAB_USER (lab/lib.sh)
# with sudo; "up" makes the lab's key pair and known_hosts in $LAB_SSH_DIR.
# LAB_RUN_ARGS adds podman run options (the safety tests add SYS_ADMIN to mount
# a small tmpfs over /etc/mail). MAILOPS_LAB_RELEASE picks the Debian release of
# the hosts (bullseye, bookworm or trixie; default bookworm): "up" builds its
# image first if needed (lab/image.sh) and exits with 3 when that release has
# left the Debian mirror and no image of it exists.
set -euo pipefail
# shellcheck source=lab/lib.sh
. "$(dirname "$0")/lib.sh"
: "${MAILOPS_LAB:=mailops}"
: "${MAILOPS_LAB_BASE:=0}"
: "${MAILOPS_LAB_DOMAIN:=example.test}"
LAB_PREFIX=198.51.100
# 192 and up lie in podman's default network (198.51.100.192/26, lab/containers.conf).
case "$MAILOPS_LAB_BASE" in 0|32|64|96|128|160) ;; *) echo "MAILOPS_LAB_BASE must be a /27 start from 0 to 160 (0, 32, 64, 96, 128, 160): 192 and up lie in podman's default network, 198.51.100.192/26 (lab/containers.conf)" >&2; exit 2 ;; esac
LAB_NET="$MAILOPS_LAB-net"
LAB_SUBNET="$LAB_PREFIX.$MAILOPS_LAB_BASE/27"
LAB_GATEWAY="$LAB_PREFIX.$((MAILOPS_LAB_BASE + 1))"
LAB_DNS="$LAB_PREFIX.$((MAILOPS_LAB_BASE + 2))"
LAB_SSH_DIR=$(lab_ssh_dir "$MAILOPS_LAB")
DEMO_HOSTS="ns1=2 mx1=3 mx2=4 client1=5 client2=6 outsider=7 spammer=8"

lab_down() {
    local ids
    ids=$(podman ps -aq --filter "label=mailops.lab=$MAILOPS_LAB")
    # shellcheck disable=SC2086  # a list of container ids
    [ -n "$ids" ] && podman rm -f -t 0 $ids >/dev/null
    podman network exists "$LAB_NET" && podman network rm -f "$LAB_NET" >/dev/null
    lab_ssh_forget
    rm -rf "$LAB_SSH_DIR"
    return 0
}

lab_ssh_forget() {
    # Close the ControlPersist masters of this lab's hosts (a new container at the
    # same address must not be reached through an old container's connection).
    local sock
    [ $# -gt 0 ] || set -- "$LAB_SSH_DIR"/cp/*
    for sock in "$@"; do
        [ -S "$sock" ] || continue
        ssh -o ControlPath="$sock" -O exit lab-host >/dev/null 2>&1 || true
        rm -f "$sock"
    done
}

lab_ssh_keys() {
    # The lab's own key pair and an empty known_hosts, made at lab creation.
    rm -rf "$LAB_SSH_DIR"
    mkdir -p "$(dirname "$LAB_SSH_DIR")"
    mkdir -m 0700 "$LAB_SSH_DIR" "$LAB_SSH_DIR/cp"
    ssh-keygen -q -t ed25519 -N '' -C "mailops-lab-$MAILOPS_LAB" -f "$LAB_SSH_DIR/id_ed25519"
    : >"$LAB_SSH_DIR/known_hosts"
    lab_tls_ca
    lab_dkim_key
}

# ---- DKIM (docs/dkim.md): the lab's signing key for example.test (selector lab), made at lab creation like
# the CA and removed with it; the inventory deploys the private key (dkim_keys) and the lab DNS publishes
# the public one (lab/templates/hosts.zone.j2), as base64 DER in dkim/<domain>.<selector>.pub.
lab_dkim_key() {
    local dir="$LAB_SSH_DIR/dkim" name="$MAILOPS_LAB_DOMAIN.lab"
    mkdir -m 0700 "$dir"
    { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/$name.key" 2>/dev/null \
      && openssl pkey -in "$dir/$name.key" -pubout -outform DER | base64 -w0 >"$dir/$name.pub"; } \
        || { echo "openssl could not make the lab's DKIM key" >&2; return 1; }
}

# ---- STARTTLS: the lab's own small CA (docs/tls.md), made at lab creation in $LAB_SSH_DIR/tls and removed
# with it, never committed; the inventory deploys each host's certificate (group_vars, sendmail_tls_*).
lab_tls_ca() {
    local dir="$LAB_SSH_DIR/tls"
    mkdir -m 0700 "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
        -subj "/O=mailops lab $MAILOPS_LAB/CN=mailops lab CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null || { echo "openssl could not make the lab CA" >&2; return 1; }
}

lab_tls_cert() {
    # $1 the short name: a key and a certificate for its FQDN (server and client use), signed by the lab CA.
    local dir="$LAB_SSH_DIR/tls" fqdn="$1.$MAILOPS_LAB_DOMAIN"
    [ -f "$dir/ca.key" ] || return 0
    printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n' "$fqdn" \
        >"$dir/$1.ext"
    { openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$fqdn" \
          -keyout "$dir/$1.key" -out "$dir/$1.csr" \
      && openssl x509 -req -in "$dir/$1.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 30 \
          -extfile "$dir/$1.ext" -out "$dir/$1.crt"; } 2>/dev/null \
        || { echo "openssl could not make the certificate of $fqdn" >&2; return 1; }
    rm -f "$dir/$1.csr" "$dir/$1.ext"
}

lab_host() {
    # (Re)create one host: container, authorized key, its host key in known_hosts.
    local short=${1%%=*} offset=${1#*=} ip name mac key=
    ip="$LAB_PREFIX.$((MAILOPS_LAB_BASE + offset))"
    name="$MAILOPS_LAB-$short"
    # A MAC address fixed by the IP address: a host made again at its address keeps
    # it, so the podman host's neighbour cache stays right and ssh need not wait
    # seconds for a stale entry to be probed and replaced.
    # shellcheck disable=SC2046,SC2183  # the four octets of the address
    mac=$(printf '02:00:%02x:%02x:%02x:%02x' $(echo "$ip" | tr . ' '))
    podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
    lab_ssh_forget "$LAB_SSH_DIR/cp/$ip"
    # shellcheck disable=SC2086  # LAB_RUN_ARGS is a list of options
    podman run -d --name "$name" --hostname "$short.$MAILOPS_LAB_DOMAIN" \
        --network "$LAB_NET" --ip "$ip" --mac-address "$mac" --dns "$LAB_DNS" --dns-search "$MAILOPS_LAB_DOMAIN" \
        --label "mailops.lab=$MAILOPS_LAB" --cap-add NET_ADMIN ${LAB_RUN_ARGS:-} "$LAB_IMAGE" >/dev/null
    podman exec -i "$name" install -m 0600 -o "$LAB_USER" -g "$LAB_USER" /dev/stdin \
        "/home/$LAB_USER/.ssh/authorized_keys" <"$LAB_SSH_DIR/id_ed25519.pub"
    # The host key, read through podman (a trusted path), not accepted on first use.
    for _ in $(seq 100); do
        key=$(podman exec "$name" cat /etc/ssh/ssh_host_ed25519_key.pub 2>/dev/null) && [ -n "$key" ] && break
        sleep 0.1
    done
    [ -n "$key" ] || { echo "$name: sshd made no host key" >&2; return 1; }
    ssh-keygen -q -R "$ip" -f "$LAB_SSH_DIR/known_hosts" >/dev/null 2>&1 || true
    rm -f "$LAB_SSH_DIR/known_hosts.old"
    echo "$ip ${key% *}" >>"$LAB_SSH_DIR/known_hosts"
    lab_tls_cert "$short"
    echo "$name  $short.$MAILOPS_LAB_DOMAIN  $ip"
}

lab_wait_ssh() {
    # Every host answers ssh as $LAB_USER and sudo works (sshd may still be starting).
    local spec ip
    for spec in "$@"; do
        ip="$LAB_PREFIX.$((MAILOPS_LAB_BASE + ${spec#*=}))"
        for _ in $(seq 50); do
            ssh -n -o BatchMode=yes -o ConnectTimeout=5 -o IdentitiesOnly=yes -i "$LAB_SSH_DIR/id_ed25519" \
                -o UserKnownHostsFile="$LAB_SSH_DIR/known_hosts" -o GlobalKnownHostsFile=/dev/null \
                -o StrictHostKeyChecking=yes "$LAB_USER@$ip" sudo -n true 2>/dev/null && continue 2
            sleep 0.2
        done
        echo "$MAILOPS_LAB-${spec%%=*}: no ssh as $LAB_USER with sudo at $ip" >&2
        return 1
    done
}

lab_up() {
    local spec
    # shellcheck disable=SC2086  # a list of short=offset words
    [ $# -gt 0 ] || set -- $DEMO_HOSTS
    bash "$LAB_ROOT/lab/image.sh" || return
    lab_down
    lab_ssh_keys
    podman network create --subnet "$LAB_SUBNET" --gateway "$LAB_GATEWAY" --disable-dns \
        --label "mailops.lab=$MAILOPS_LAB" "$LAB_NET" >/dev/null
    for spec in "$@"; do
        lab_host "$spec"
    done
    lab_wait_ssh "$@"
}

lab_hosts() {
    local spec
    if [ ! -f "$LAB_SSH_DIR/id_ed25519.pub" ] || ! podman network exists "$LAB_NET"; then
        echo "lab $MAILOPS_LAB is not up (bash lab/lab.sh up)" >&2; exit 1
    fi
    for spec in "$@"; do
        lab_host "$spec"
    done
    lab_wait_ssh "$@"
}

case "${1:-}" in
    up) shift; lab_up "$@" ;;
    host) shift; lab_hosts "$@" ;;
    down) lab_down ;;
    env) printf 'MAILOPS_LAB=%s\nMAILOPS_LAB_BASE=%s\nMAILOPS_LAB_RELEASE=%s\nLAB_IMAGE=%s\nLAB_SUBNET=%s\nLAB_GATEWAY=%s\nLAB_DNS=%s\nLAB_SSH_DIR=%s\nLAB_USER=%s\n' \
            "$MAILOPS_LAB" "$MAILOPS_LAB_BASE" "$MAILOPS_LAB_RELEASE" "$LAB_IMAGE" "$LAB_SUBNET" "$LAB_GATEWAY" "$LAB_DNS" "$LAB_SSH_DIR" "$LAB_USER" ;;
    *) sed -n '2,21p' "$0" >&2; exit 2 ;;
esac
