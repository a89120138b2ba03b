"""Shared fixtures. Keep this small: module-specific helpers live next to their tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests/corpus and tests/*.py helpers


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> dict[str, Path]:
    """The bad-input corpus (tests/corpus/build.py) written once per session."""
    from corpus.build import build
    return build(tmp_path_factory.mktemp("corpus"))
