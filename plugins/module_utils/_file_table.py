# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a role's file table (the files option of install_files) asks host_state to read.

The same table that says what to write says what to read first, so that a new entry in it is read,
compared and, when it restarts the daemon, watched for an owed restart without a second list to keep.
"""

from __future__ import annotations

# The trigger name the roles give the files their daemon reads only at start.
RESTART = 'restart'


def table_paths(table):
    """``(paths, read_at_start)`` of an install_files table: every destination (each item's of an entry with
    ``each``) and every built file; of the entries that trigger a restart, the built file where there is one
    (the daemon reads what is built, e.g. sendmail.cf from sendmail.mc), else the destinations."""
    paths, read_at_start = [], []
    for entry in table or []:
        if entry.get('each') is not None:
            targets = [item.get('path') for item in entry['each'] if item.get('path')]
        else:
            targets = [entry['path']] if entry.get('path') else []
        built = [entry['built']] if entry.get('built') else []
        paths += targets + built
        if RESTART in (entry.get('triggers') or []):
            read_at_start += built or targets
    return list(dict.fromkeys(paths)), list(dict.fromkeys(read_at_start))


def with_table(paths, read_at_start, table):
    """``paths`` and ``read_at_start`` (host_state's options) with what ``table`` adds, each once, in order."""
    more_paths, more_at_start = table_paths(table)
    return (list(dict.fromkeys(list(paths or []) + more_paths)),
            list(dict.fromkeys(list(read_at_start or []) + more_at_start)))
