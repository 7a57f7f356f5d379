"""What the role and the validator assume about the lab release's sendmail, against the host itself:
the release in the role's vars (vars/Debian.yml, Debian-<major>.yml: __sendmail_version) is the one the
host runs, and the validator's view of that release's cf tree (the FEATUREs and the defines an older
release lacks, blocklist_recipients under its old name) is the host's cf tree.

Runs on every Debian release of the lab (MAILOPS_LAB_RELEASE); tests/unit/plugins/plugin_utils/
test_policy_versions.py holds the validator's side alone."""

from __future__ import annotations

import re

import pytest

from ansible_collections.mailops.sendmail.plugins.plugin_utils._policy import _mc
from lab import RELEASE, role_vars  # tests/support, on the path through conftest

pytestmark = pytest.mark.releases

VERSION = role_vars()['__sendmail_version']
CF = '/usr/share/sendmail/cf'


def _version_tuple(text: str) -> tuple[int, int]:
    major, minor = text.split('.')[:2]
    return int(major), int(minor)


def test_the_role_vars_name_the_sendmail_release_the_host_runs(live):
    out = live.sh('mx1', '/usr/sbin/sendmail -d0.1 -bt </dev/null').stdout
    found = re.search(r'^Version (\d+\.\d+)\.', out, re.M)
    assert found, out[:400]
    assert found.group(1) == VERSION, (RELEASE, found.group(1), VERSION)


def test_the_validator_knows_the_hosts_feature_directory(live):
    version = _version_tuple(VERSION)
    on_host = set(live.sh('mx1', f"ls {CF}/feature | sed -n 's/[.]m4$//p'").stdout.split())
    expected = {name for name in _mc._FEATURES if version >= _mc._FEATURES_SINCE.get(name, (0, 0))}
    # A new name the release lacks is built under its old one (which the host has).
    for new, (since, old) in _mc._FEATURE_OLD_NAMES.items():
        if version < since:
            expected.discard(new)
            assert old in on_host
    assert on_host == expected, (RELEASE, sorted(on_host - expected), sorted(expected - on_host))


def test_the_defines_a_release_lacks_are_those_its_cf_tree_does_not_use(live):
    version = _version_tuple(VERSION)
    used = set(live.sh('mx1', f"grep -rhoE 'conf[A-Z][A-Z0-9_]*' {CF}/m4 {CF}/feature {CF}/mailer {CF}/ostype "
                              '| sort -u').stdout.split())
    for name, since in _mc._CONF_NAMES_SINCE.items():
        assert (name in used) == (version >= since), (RELEASE, name)
    # Every other name the validator accepts is one this release's cf uses (none silently ignored).
    accepted = {name for name in _mc._CONF_NAMES if version >= _mc._CONF_NAMES_SINCE.get(name, (0, 0))}
    assert accepted - used == set(), (RELEASE, sorted(accepted - used))
