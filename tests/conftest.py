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


def real_data_root(config):
    """``(the real data root, None)``, or ``(None, why the real-data tests skip)``."""
    value = config.getoption("--data-dir")
    if not value:
        return None, "real data not given: pass --data-dir DIR or set FERLIB_DATA_DIR"
    path = Path(value)
    if not path.is_dir():
        return None, f"real data directory {path} does not exist"
    return path, None


@pytest.fixture(scope="session")
def data_dir(request):
    """The real data root, or skip the test with the reason why."""
    path, why = real_data_root(request.config)
    if path is None:
        pytest.skip(why)
    return path


def _start_real_pack(data_dir, tmp_path_factory) -> None:
    """Start writing ``real_pack`` in the background (background.py), unless it was started.
    The data root is made absolute here, in the calling thread: a test that changes the
    working folder while the pack is written must not move the data under it."""
    import background

    root = Path(data_dir).resolve()
    background.start("real pack", lambda: _write_real_pack(data_dir, root, tmp_path_factory))


def _write_real_pack(data_dir, root, tmp_path_factory):
    # saves start-up time: the packer loads only where a test packs the real data
    from ferlib.datasets.discover import pack_data

    cache = tmp_path_factory.mktemp("cache")
    out = tmp_path_factory.mktemp("real") / "pack"
    pack_data(root, out, cache_dir=cache)
    return data_dir, cache, out


@pytest.fixture(scope="session")
def real_pack(request, tmp_path_factory):
    """``(data root, the parse cache, the pack)``: the real data sets written as a data pack
    by :func:`ferlib.datasets.discover.pack_data` (xz compressing FER2013 takes minutes on
    one core, so ``background_builds`` starts it when the run begins); skips without the
    real data."""
    import background

    path, why = real_data_root(request.config)
    if path is None:
        pytest.skip(why)
    _start_real_pack(path, tmp_path_factory)
    return background.result("real pack")


@pytest.fixture(scope="session", autouse=True)
def background_builds(request, tmp_path_factory):
    """Start the slow tier's long one-core builds that the selected tests use (the paper
    book, ``book_fixtures.paper_book``; the real data pack, ``real_pack``) when the run
    begins, so that they run on the other core beside the tests before their first
    reader (background.py); the fixtures that read them wait for them. Ends the builds
    still running when the session ends early."""
    import background

    tmp_path_factory.getbasetemp()  # made here, once: the builds' threads would race to make one each
    wanted = set().union(*(getattr(item, "fixturenames", ()) for item in request.session.items))
    if "paper_book" in wanted:
        import book_fixtures

        book_fixtures.start_paper_book(tmp_path_factory)
    path, _ = real_data_root(request.config)
    if "real_pack" in wanted and path is not None:
        _start_real_pack(path, tmp_path_factory)
    yield
    background.stop()


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


def copy_as_legacy(run, folder):
    """Copy the run ``run`` into ``folder`` as a run written before predictions were
    compressed: a plain predictions.csv (the CSV bytes of its predictions.csv.gz),
    sealed so. Returns ``folder``."""
    import gzip
    import shutil

    from ferlib.store import LEGACY_PREDICTIONS_FILE, PREDICTIONS_FILE, REQUIRED_FILES, seal_files

    folder = Path(folder)
    shutil.copytree(run.path, folder)
    (folder / LEGACY_PREDICTIONS_FILE).write_bytes(gzip.decompress((folder / PREDICTIONS_FILE).read_bytes()))
    (folder / PREDICTIONS_FILE).unlink()
    seal_files(folder, [LEGACY_PREDICTIONS_FILE if name == PREDICTIONS_FILE else name for name in REQUIRED_FILES])
    return folder


@pytest.fixture
def legacy_copier():
    """:func:`copy_as_legacy`, for tests."""
    return copy_as_legacy


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
