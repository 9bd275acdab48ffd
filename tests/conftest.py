"""Shared pytest options and fixtures.

Real-data tests need the three data sets laid out as in the project's README
(``fer2013/``, ``jaffe/``, ``ckplus/``). Give their root with ``--data-dir DIR`` or the
environment variable ``FERLIB_DATA_DIR``; without it those tests are skipped.

The prose snapshots (``snapshot_files.py``) are rewritten instead of compared with
``--update-snapshots`` or ``FERLIB_UPDATE_SNAPSHOTS=1``.
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
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        help="rewrite the prose snapshots under tests/snapshots/ instead of comparing (or FERLIB_UPDATE_SNAPSHOTS=1)",
    )


@pytest.fixture
def snapshot(request):
    """``snapshot(name, {title: text or lines})``: compare the rendered prose with
    ``tests/snapshots/<name>.md`` (:func:`snapshot_files.check`), or rewrite it when asked."""
    from snapshot_files import check, wants_update

    update = wants_update(request.config)
    return lambda name, sections: check(name, sections, update=update)


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


def copy_as(run, config, results_dir):
    """Copy a committed run into ``results_dir`` under another config (a fine-tuned fold, a
    run on another split seed...): config and manifest rewritten, sealed, under the id that
    config gives; its numbers are those of ``run``. For the code that reads such runs (none
    can be trained without the real data)."""
    import json
    import shutil

    from ferlib import results
    from ferlib.identity import run_id
    from ferlib.store import read_run

    rid = run_id(config, run.manifest["data_fingerprint"], run.manifest["numerics_version"])
    target = Path(results_dir) / rid
    shutil.copytree(run.path, target)
    (target / "config.json").write_text(config.to_json() + "\n")
    manifest = dict(run.manifest, run_id=rid, source_run=config.source_run)
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    results.seal_run(target)
    return read_run(target)


def copy_as_fold(run, fold, results_dir):
    """Copy a committed protocol run from scratch into ``results_dir`` as fold ``fold`` of
    its data set's subject-independent evaluation (:func:`ferlib.protocol.subject_fold_config`),
    as :func:`copy_as` does: a committed fold run that passes the audit, for the code that
    reads them (no such run can be trained without the real data)."""
    from ferlib import protocol

    config = protocol.subject_fold_config("paper", run.config.model, run.config.dataset, fold, data="real",
                                          seed=run.config.seed, backend=run.config.backend,
                                          precision=run.config.precision)
    return copy_as(run, config, results_dir)


@pytest.fixture
def fold_copier():
    """:func:`copy_as_fold`, for tests."""
    return copy_as_fold


@pytest.fixture
def run_copier():
    """:func:`copy_as`, for tests."""
    return copy_as


@pytest.fixture(scope="session")
def jax_checks(tmp_path_factory):
    """The slow tier's checks on Keras's JAX backend, run once per pytest run in one
    subprocess (:func:`jax_session.slow_checks`): Keras and JAX start once for all of them."""
    import jax_session

    return jax_session.slow_checks(tmp_path_factory.mktemp("jax-runs"))
