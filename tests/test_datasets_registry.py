"""The data-set registry: a data set is a vocabulary entry plus one registered loader,
and then it is found, loaded, cached and listed like the paper's."""

import sys

import numpy as np
import pytest
from PIL import Image

from ferlib import vocabulary
from ferlib import datasets
from ferlib.datasets import discover, registry
from ferlib.datasets.discover import dataset_names, find_datasets, load_dataset
from ferlib.datasets.folders import load_folders


def test_the_paper_data_sets_are_registered_once_each_and_named_in_the_vocabulary():
    assert set(dataset_names()) == set(vocabulary.DATASETS)
    with pytest.raises(ValueError, match="has a loader already"):
        registry.register_loader("jaffe", accepted="anything")
    with pytest.raises(ValueError, match="not in ferlib.vocabulary.DATASET_INFO"):
        registry.register_loader("nowhere", accepted="anything")


def test_a_new_data_set_is_an_entry_and_a_registered_loader(tmp_path, monkeypatch):
    monkeypatch.setitem(vocabulary.DATASET_INFO, "registry-test", vocabulary.Dataset("registry-test", "Stub faces"))
    monkeypatch.setattr(registry, "LOADERS", dict(registry.LOADERS))
    monkeypatch.setattr("ferlib.datasets.discover.LOADERS", registry.LOADERS)
    calls = []

    @registry.register_loader("registry-test", accepted="registry-test/<emotion>/*.png")
    def load_stub(path, *, relative_to=None):
        calls.append(path)
        return load_folders(path, name="registry-test", relative_to=relative_to)

    for i, emotion in enumerate(("happy", "sad")):
        folder = tmp_path / "data" / "registry-test" / emotion
        folder.mkdir(parents=True)
        Image.fromarray(np.full((48, 48), 40 * i, np.uint8)).save(folder / f"{i}.png")
    data = tmp_path / "data"
    assert find_datasets(data) == {"registry-test": data / "registry-test"}
    dataset = load_dataset("registry-test", data, cache_dir=tmp_path / "cache")
    assert dataset.name == "registry-test" and len(dataset) == 2
    assert list(dataset.source) == ["registry-test/happy/0.png", "registry-test/sad/1.png"]
    again = load_dataset("registry-test", data, cache_dir=tmp_path / "cache")
    assert len(calls) == 1, "the second load comes from the cache"
    np.testing.assert_array_equal(again.images, dataset.images)
    with pytest.raises(FileNotFoundError, match="accepted layouts: registry-test/<emotion>/"):
        load_dataset("registry-test", tmp_path)


def test_a_loader_in_a_module_named_after_its_data_set_needs_no_import(tmp_path, monkeypatch):
    (tmp_path / "stubfaces.py").write_text(
        "from ferlib.datasets.folders import load_folders\n"
        "from ferlib.datasets.registry import register_loader\n\n\n"
        "@register_loader('stubfaces', accepted='stubfaces/<emotion>/*.png')\n"
        "def load_stubfaces(path, *, relative_to=None):\n"
        "    return load_folders(path, name='stubfaces', relative_to=relative_to)\n")
    monkeypatch.setattr(datasets, "__path__", [*datasets.__path__, str(tmp_path)])
    monkeypatch.setitem(vocabulary.DATASET_INFO, "stubfaces", vocabulary.Dataset("stubfaces", "Stub faces"))
    monkeypatch.setattr(registry, "LOADERS", dict(registry.LOADERS))
    monkeypatch.setattr(discover, "LOADERS", registry.LOADERS)
    try:
        discover._register_own_modules()
        assert dataset_names()[-1] == "stubfaces" and set(dataset_names()) == {*vocabulary.DATASETS, "stubfaces"}
        assert registry.LOADERS["stubfaces"].accepted == "stubfaces/<emotion>/*.png"
        # an entry of the vocabulary with no loader anywhere stops the package loading
        monkeypatch.setitem(vocabulary.DATASET_INFO, "nowhere", vocabulary.Dataset("nowhere", "Nowhere"))
        with pytest.raises(ImportError, match=r"\['nowhere'\] of ferlib.vocabulary.DATASET_INFO have no loader"):
            discover._register_own_modules()
    finally:
        sys.modules.pop("ferlib.datasets.stubfaces", None)
