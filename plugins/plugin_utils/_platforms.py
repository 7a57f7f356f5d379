# Copyright (c) mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The platforms the collection supports, in one place for every role (the platform_error filter).

``ansible_facts['distribution']`` -> its major releases (``'*'``: every release). meta/main.yml of
each role and galaxy.yml list the same (tests/unit/test_platforms.py keeps them in step).
"""

from __future__ import annotations

PLATFORMS = {
    'Debian': ('11', '12', '13'),
    'RedHat': ('8', '9', '10'),
    'Rocky': ('8', '9', '10'),
    'AlmaLinux': ('8', '9', '10'),
    'Fedora': ('*',),
}


def platforms_text():
    """'Debian 11, 12, 13; RedHat 8, 9, 10; ...; Fedora every release'."""
    return '; '.join('%s %s' % (name, ', '.join(releases).replace('*', 'every release'))
                     for name, releases in PLATFORMS.items())


def platform_error(facts, host):
    """'' for a supported host, else one sentence naming the host, its OS and the supported ones."""
    facts = facts or {}
    releases = PLATFORMS.get(facts.get('distribution') or '', ())
    major = str(facts.get('distribution_major_version', ''))
    if '*' in releases or major in releases:
        return ''
    return ('%s runs %s %s, which mailops.sendmail does not support (it supports %s). Nothing has been changed.'
            % (host, facts.get('distribution', 'an OS without distribution facts'),
               facts.get('distribution_version', ''), platforms_text()))
