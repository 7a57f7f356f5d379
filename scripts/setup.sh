#!/usr/bin/env bash
# One-time (idempotent) set-up of a fresh Debian 12 machine for the lab and the
# tests: Debian packages, a Python venv with pinned tools, the collection linked
# where Ansible looks for it, and the lab's offline base image.
# Sourced by the entry scripts (lab/demo.sh, tests/run.sh, bench/run.sh).
set -euo pipefail
MAILOPS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export MAILOPS_ROOT
APT_PACKAGES="podman runc debootstrap uidmap slirp4netns fuse-overlayfs nsd swaks iproute2 git shellcheck openssh-client"

_mailops_apt() {
    local missing=() p
    for p in $APT_PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
    # The lab runs its own NSD instances; the packaged system service is not used.
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        systemctl disable --now nsd >/dev/null 2>&1 || true
    fi
}

_mailops_venv() {
    # requirements.txt: what the collection needs at run time; tests/requirements.txt:
    # the tools (it includes requirements.txt). A change to either rebuilds the venv.
    local venv="$MAILOPS_ROOT/.venv" stamp want
    want=$(cat "$MAILOPS_ROOT/requirements.txt" "$MAILOPS_ROOT/tests/requirements.txt" | sha256sum | cut -c1-16)
    stamp="$venv/.requirements-$want"
    if [ ! -f "$stamp" ]; then
        echo "setup: creating Python venv in $venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q --upgrade pip >/dev/null 2>&1 || true
        "$venv/bin/pip" install -q -r "$MAILOPS_ROOT/requirements.txt" -r "$MAILOPS_ROOT/tests/requirements.txt" 2>&1 \
            | grep -v '^WARNING: Location' || true
        # fail loudly if the install did not work
        "$venv/bin/python" -c 'import ansible, molecule, testinfra, dns, publicsuffixlist, ansible_builder, antsibull_changelog'
        rm -f "$venv"/.requirements-*
        touch "$stamp"
    fi
    export PATH="$venv/bin:$PATH"
    export VIRTUAL_ENV="$venv"
}

_mailops_collection() {
    # The repository root is the collection mailops.sendmail.
    local ns="$MAILOPS_ROOT/.cache/collections/ansible_collections/mailops"
    mkdir -p "$ns"
    [ -L "$ns/sendmail" ] || ln -sfn ../../../.. "$ns/sendmail"
    export ANSIBLE_CONFIG="$MAILOPS_ROOT/ansible.cfg"
    export ANSIBLE_COLLECTIONS_PATH="$MAILOPS_ROOT/.cache/collections:$HOME/.ansible/collections:/usr/share/ansible/collections"
}

_mailops_apt
_mailops_venv
_mailops_collection
export CONTAINERS_CONF="$MAILOPS_ROOT/lab/containers.conf"
bash "$MAILOPS_ROOT/lab/image.sh"
