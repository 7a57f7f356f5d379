"""Make the collection importable as ansible_collections.mailops.sendmail.

scripts/setup.sh links the repository root (the collection) at
.cache/collections/ansible_collections/mailops/sendmail.  The ``ansible``
package's own ansible_collections is a namespace package too (neither has an
__init__.py), so both merge under one name.
"""

import sys
from pathlib import Path

_COLLECTIONS = Path(__file__).resolve().parents[2] / '.cache' / 'collections'
if str(_COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(_COLLECTIONS))
