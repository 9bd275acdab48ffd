"""Shared pytest options and fixtures.

Real-data tests need the three data sets laid out as in the project's README
(``fer2013/``, ``jaffe/``, ``ckplus/``). Give their root with ``--data-dir DIR`` or the
environment variable ``FERLIB_DATA_DIR``; without it those tests are skipped.
"""

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quiet TensorFlow start-up in test output


def pytest_addoption(parser):
    parser.addoption(
        "--data-dir",
        default=os.environ.get("FERLIB_DATA_DIR"),
        help="root of the real FER2013 / JAFFE / CK+ data (default: $FERLIB_DATA_DIR)",
    )


@pytest.fixture(scope="session")
def data_dir(request):
    """The real data root, or skip the test with the reason why."""
    value = request.config.getoption("--data-dir")
    if not value:
        pytest.skip("real data not given: pass --data-dir DIR or set FERLIB_DATA_DIR")
    path = Path(value)
    if not path.is_dir():
        pytest.skip(f"real data directory {path} does not exist")
    return path
