# shellcheck shell=bash
# Shared shell settings for the lab scripts: sourced, never run.
# Every name and subnet is a parameter so that two labs (a helper's and CI's,
# or molecule's and the demo's) can live side by side on one machine.
LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export LAB_ROOT
export CONTAINERS_CONF="${CONTAINERS_CONF:-$LAB_ROOT/lab/containers.conf}"
# The Debian releases the lab runs, one image each (lab/image.sh); MAILOPS_LAB_RELEASE picks one for
# lab.sh, the demo, molecule and the live-lab tests. tests/unit/test_releases.py keeps this list, the
# molecule scenarios (one per release) and the roles' platforms in step.
LAB_RELEASES="bullseye bookworm trixie"
LAB_DEFAULT_RELEASE=bookworm
export MAILOPS_LAB_RELEASE="${MAILOPS_LAB_RELEASE:-$LAB_DEFAULT_RELEASE}"
case " $LAB_RELEASES " in
    *" $MAILOPS_LAB_RELEASE "*) ;;
    *) echo "MAILOPS_LAB_RELEASE must be one of: $LAB_RELEASES (not '$MAILOPS_LAB_RELEASE')" >&2; exit 2 ;;
esac
LAB_SUITE=$MAILOPS_LAB_RELEASE
LAB_IMAGE="${LAB_IMAGE:-${LAB_IMAGE_REPO:-localhost/mailops-lab-ssh}:$LAB_SUITE}"
# Packages baked into the offline image. The role still declares and installs
# what it needs; with them present its apt task is a no-op and needs no mirror.
LAB_PACKAGES="python3,python3-apt,python3-dnspython,sendmail,sendmail-bin,sendmail-cf,m4,make,procps,iproute2,rsyslog,nsd,bsd-mailx,ca-certificates,openssh-server,sudo,sasl2-bin,libsasl2-modules,opendkim,opendkim-tools"
# Ansible reaches lab hosts as production does: ssh as this unprivileged user, then
# sudo (become). lab/inventory/group_vars/all.yml names the same user (ansible_user).
LAB_USER=deploy

lab_mirror() {
    # The Debian mirror this machine itself uses (deb822 or one-line format); LAB_MIRROR overrides it.
    local uri
    [ -z "${LAB_MIRROR:-}" ] || { echo "$LAB_MIRROR"; return; }
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
    if [ -z "$uri" ]; then
        uri=$(awk '$1 == "deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}

lab_image_id() {
    # A short fingerprint of the image recipe (suite, packages, user, image.sh itself):
    # a changed recipe builds a new image.
    { printf '%s %s %s\n' "$LAB_SUITE" "$LAB_PACKAGES" "$LAB_USER"; cat "$LAB_ROOT/lab/image.sh"; } | sha256sum | cut -c1-12
}

lab_ssh_dir() {
    # Per-lab ssh material, made by lab.sh up and removed by lab.sh down (never in the
    # repository): the key pair, known_hosts filled from the hosts themselves, and
    # the ControlPersist sockets. The inventory (group_vars/all.yml) uses the same path.
    echo "$HOME/.cache/mailops-lab/$1"
}
