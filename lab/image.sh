#!/usr/bin/env bash
# Build the lab's base image offline from Debian packages (no registry is reachable), for the
# Debian release MAILOPS_LAB_RELEASE (lab/lib.sh: bullseye, bookworm or trixie; default bookworm).
# Idempotent: does nothing when an image of the same recipe exists.
# Exit status 3: the release's suite is no longer on the mirror and no image of it exists, so
# callers (tests/run.sh, the live-lab tests) skip that release with this script's message.
# Lab hosts are reached like production servers: sshd (no systemd: it is the
# container's command), no root login, no passwords, and the unprivileged
# $LAB_USER with passwordless sudo. Host keys are made when a container starts
# and the user's authorized key when lab.sh creates it: the image holds no secret.
set -euo pipefail
# shellcheck source=lab/lib.sh
. "$(dirname "$0")/lib.sh"
want=$(lab_image_id)
have=$(podman image inspect --format '{{ index .Labels "mailops.recipe" }}' "$LAB_IMAGE" 2>/dev/null || true)
if [ "$have" = "$want" ]; then
    echo "image $LAB_IMAGE is up to date ($want)"
    exit 0
fi
mirror=$(lab_mirror)
# A release that has left the mirror (moved to the archive when its support ends) is skipped, not
# an error; any other failure to reach the mirror is one.
status=$({ wget -q -S --spider "$mirror/dists/$LAB_SUITE/InRelease" 2>&1 || true; } | awk '$1 ~ /^HTTP\// {code = $2} END {print code}')
if [ "$status" = 404 ] || [ "$status" = 410 ]; then
    echo "SKIP: Debian $LAB_SUITE is no longer on the mirror $mirror (dists/$LAB_SUITE/InRelease: HTTP $status)" \
        "and no image $LAB_IMAGE of this recipe exists: release $LAB_SUITE skipped" >&2
    exit 3
fi
rootfs=$(mktemp -d /var/tmp/mailops-rootfs.XXXXXX)
trap 'rm -rf "$rootfs" "$rootfs.log"' EXIT
echo "building $LAB_IMAGE from Debian $LAB_SUITE ($mirror)"
debootstrap --variant=minbase --include="$LAB_PACKAGES" "$LAB_SUITE" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
    || { tail -30 "$rootfs.log"; exit 1; }
rm -f "$rootfs.log"
# The deploy user: a shell, no password ("*": not locked, so sshd lets a key in
# without PAM), an empty ~/.ssh, and sudo without a password.
chroot "$rootfs" useradd --create-home --shell /bin/bash "$LAB_USER"
chroot "$rootfs" usermod -p '*' "$LAB_USER"
install -d -m 0700 "$rootfs/home/$LAB_USER/.ssh"
chroot "$rootfs" chown "$LAB_USER:$LAB_USER" "/home/$LAB_USER/.ssh"
printf '%s ALL=(ALL:ALL) NOPASSWD: ALL\n' "$LAB_USER" >"$rootfs/etc/sudoers.d/$LAB_USER"
chmod 0440 "$rootfs/etc/sudoers.d/$LAB_USER"
# sshd as production would run it. UsePAM no: PAM's loginuid step fails in an
# unprivileged container. One ed25519 host key, made per container at start.
cat >"$rootfs/etc/ssh/sshd_config.d/mailops-lab.conf" <<CONF
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
HostKey /etc/ssh/ssh_host_ed25519_key
AllowUsers $LAB_USER
# A fleet's relay probes reach the outsider at once, one connection per delegating host until
# its ControlPersist master is up: sshd's default (10 unauthenticated at a time) drops the rest.
MaxStartups 100:30:200
CONF
rm -f "$rootfs"/etc/ssh/ssh_host_*
# Daemons are started by the roles and the lab, never by package scripts.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
start="test -s /etc/ssh/ssh_host_ed25519_key || ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key; mkdir -p -m 0755 /run/sshd; exec /usr/sbin/sshd -D -e"
tar -C "$rootfs" -c . | podman import -q --change "LABEL mailops.recipe=$want" \
    --change "CMD [\"/bin/sh\", \"-c\", \"$start\"]" - "$LAB_IMAGE" >/dev/null
echo "built $LAB_IMAGE ($want)"
