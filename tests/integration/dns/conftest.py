# Copyright: (c) 2026, mailops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Session fixtures: one NSD for all DNS integration tests, one for the documented examples, and a port where
nothing answers."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from dnslab import EXAMPLE_ZONES, NSD, ZONES, Nsd, free_port


@pytest.fixture(scope='session')
def nsd():
    if not os.path.exists(NSD):
        if os.environ.get('CI'):
            pytest.fail('nsd is not installed (apt-get install nsd)')
        pytest.skip('nsd is not installed (apt-get install nsd)')
    workdir = tempfile.mkdtemp(prefix='dnstest-nsd-')
    server = Nsd(workdir, ZONES)
    yield server
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope='session')
def examples_nsd(nsd):
    """A second NSD serving the names of the documented examples (EXAMPLE_ZONES)."""
    workdir = tempfile.mkdtemp(prefix='dnstest-examples-')
    server = Nsd(workdir, EXAMPLE_ZONES)
    yield server
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope='session')
def dead_port():
    """A port on 127.0.0.1 where nothing answers: queries time out."""
    return free_port()
