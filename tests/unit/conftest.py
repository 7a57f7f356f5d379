"""Make the collection importable as ansible_collections.mailops.sendmail.

scripts/setup.sh links the repository root (the collection) at
.cache/collections/ansible_collections/mailops/sendmail.  The ``ansible``
package's own ansible_collections is a namespace package too (neither has an
__init__.py), so both merge under one name.
"""

import os
import sys
from pathlib import Path

import pytest

_COLLECTIONS = Path(__file__).resolve().parents[2] / '.cache' / 'collections'
if str(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(_COLLECTIONS))


@pytest.fixture(scope='session')
def ansible_json_env():
    """A function: tmp_path -> the environment to run ansible commands on localhost with this
    repository's collection and configuration, the json callback and no colour."""
    repo = Path(__file__).resolve().parents[2]

    def env(tmp_path):
        return dict(os.environ, **{
            'ANSIBLE_CONFIG': str(repo / 'ansible.cfg'),
            'ANSIBLE_COLLECTIONS_PATH': str(repo / '.cache' / 'collections'),
            'ANSIBLE_STDOUT_CALLBACK': 'json',
            'ANSIBLE_LOCALHOST_WARNING': 'false',
            'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_LOCAL_TEMP': str(tmp_path / 'tmp'),
        })
    return env
