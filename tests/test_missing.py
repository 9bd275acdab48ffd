"""missing.json: computed from the committed runs and the protocol, never written by hand."""

import json
import shutil
from types import SimpleNamespace

from ferlib import missing
from ferlib.results import MISSING_FILE, PAPER_RESULTS, paper_experiments, paper_results


def test_the_committed_missing_file_lists_exactly_the_experiments_without_a_run():
    listed = [tuple(entry["key"]) for entry in json.loads((PAPER_RESULTS / MISSING_FILE).read_text())["runs"]]
    have = paper_results(PAPER_RESULTS)
    assert listed == [key for key in paper_experiments() if key not in have]
    assert missing.missing_is_current(PAPER_RESULTS)


def test_reasons_give_the_compute_each_run_needs():
    assert missing.run_images("jaffe") == 75 * 1024          # the 1,024-image minimum
    assert missing.run_images("fer2013") == 75 * 7 * 7215   # one balanced pass is longer
    fer = missing.missing_reason((3, "fer2013", None), {})
    assert "42 CPU-hours" in fer and "GPU" in fer
    assert "min of Model 1" in missing.missing_reason((1, "jaffe", None), {})
    assert "which is missing" in missing.missing_reason((2, "jaffe", "fer2013"), {})
    start = SimpleNamespace(id="0123456789abcdef")
    reason = missing.missing_reason((2, "jaffe", "fer2013"), {(2, "fer2013", None): start})
    assert "0123456789abcdef" in reason and "5 CPU-hours" in reason


def test_a_stale_missing_file_is_detected_and_rewritten(tmp_path):
    folder = tmp_path / "paper"
    shutil.copytree(PAPER_RESULTS, folder)
    document = json.loads((folder / MISSING_FILE).read_text())
    document["runs"] = document["runs"][1:]
    (folder / MISSING_FILE).write_text(json.dumps(document))
    assert not missing.missing_is_current(folder)
    missing.save_missing(folder)
    assert missing.missing_is_current(folder)
    assert not list(folder.glob("*.tmp*"))
