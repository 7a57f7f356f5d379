#!/usr/bin/env bash
# Build the lab's base image offline from Debian packages (no registry is reachable).
# Idempotent: does nothing when an image of the same recipe exists.
set -euo pipefail
# shellcheck source=lab/lib.sh
. "$(dirname "$0")/lib.sh"
want=$(lab_image_id)
have=$(podman image inspect --format '{{ index .Labels "mailops.recipe" }}' "$LAB_IMAGE" 2>/dev/null || true)
if [ "$have" = "$want" ]; then
    echo "image $LAB_IMAGE is up to date ($want)"
    exit 0
fi
rootfs=$(mktemp -d /var/tmp/mailops-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
echo "building $LAB_IMAGE from Debian $LAB_SUITE ($(lab_mirror))"
debootstrap --variant=minbase --include="$LAB_PACKAGES" "$LAB_SUITE" "$rootfs" "$(lab_mirror)" >"$rootfs.log" 2>&1 \
    || { tail -30 "$rootfs.log"; exit 1; }
rm -f "$rootfs.log"
# Daemons are started by the roles and the lab, never by package scripts.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" -c . | podman import -q --change "LABEL mailops.recipe=$want" \
    --change 'CMD ["/bin/sleep", "infinity"]' - "$LAB_IMAGE" >/dev/null
echo "built $LAB_IMAGE ($want)"
