"""Fixtures for the molecule verifier: the lab this scenario created."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "support"))

from lab import Lab  # noqa: E402


@pytest.fixture(scope="session")
def lab():
    return Lab()
