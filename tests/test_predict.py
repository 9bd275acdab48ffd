"""``python -m ferlib predict``: a stored run's network on the faces of image files.

The network is a smoke-profile Model 2 (seconds); the faces are ferlib's synthetic
faces drawn larger (the Haar cascade finds frontal faces of at least 24 pixels, and
a fifth of the shorter side), saved as PNG and JPEG. Every bad input stops with one
line and leaves no file written."""

import json

import cv2
import numpy as np
import pytest
from PIL import Image

from ferlib import predict
from ferlib.cli import main
from ferlib.labels import EMOTIONS

def face_picture(emotion="happy"):
    """:func:`ferlib.predict.synthetic_picture`: a synthetic face drawn larger, ``(240, 288)``
    uint8 grey, the face at x 24..216, y 24..216."""
    return predict.synthetic_picture(emotion)


def photo_without_face(seed=1, shape=(240, 320)):
    """A colour image with the statistics of a photo (smooth shapes and gradients at
    several scales, a little grain) and no face: ``(h, w, 3)`` uint8. The Haar cascade
    has false positives on such images now and then (seed 0, saved as JPEG, has one):
    the seed is one where it finds nothing, as PNG and as JPEG."""
    rng = np.random.default_rng(seed)
    height, width = shape
    image = np.zeros((height, width, 3), dtype=np.float32)
    for scale, weight in ((64, 90.0), (16, 45.0), (4, 20.0)):
        small = rng.normal(size=(height // scale + 2, width // scale + 2, 3)).astype(np.float32)
        image += weight * cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    image += np.linspace(0, 60, width, dtype=np.float32)[None, :, None]
    image += rng.normal(scale=4.0, size=image.shape).astype(np.float32)
    return np.clip(image + 110, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A store with a seven-class smoke run (JAFFE-like faces, standardised pixels as the
    quick profile's, so the network holds ferlib's Standardize layer) and a six-class one
    (CK+48-like), and a results folder holding the first without its weights."""
    from ferlib.config import profile_config
    from ferlib.experiment import train_run
    from ferlib.results import export_run

    root = tmp_path_factory.mktemp("predict")
    store = root / "store"
    seven = train_run(profile_config("smoke", model=2, dataset="jaffe", limit_train=64,
                                     input_scaling="standardize"), store, verbose=0)
    six = train_run(profile_config("smoke", model=2, dataset="ckplus", limit_train=64), store, verbose=0)
    export_run(seven, root / "results")
    return {"store": store, "seven": seven.id, "six": six.id, "results": root / "results"}


@pytest.fixture
def images(tmp_path):
    """The same synthetic face as PNG (grey) and JPEG (colour), and a photo without a face."""
    face = face_picture()
    Image.fromarray(face).save(tmp_path / "face.png")
    Image.fromarray(face).convert("RGB").save(tmp_path / "face.jpg", quality=92)
    Image.fromarray(photo_without_face()).save(tmp_path / "street.jpg", quality=90)
    return tmp_path


def files_in(folder):
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_the_detector_finds_the_synthetic_face_and_crops_it_as_the_loaders_do(tmp_path):
    from ferlib.datasets.faces import crop_face, read_grey

    for emotion in EMOTIONS:  # every expression of the synthetic person is found
        assert len(predict.find_faces(face_picture(emotion))[0]) == 1, emotion
    picture = face_picture()
    boxes, faces = predict.find_faces(picture)
    assert boxes.shape == (1, 4) and faces.shape == (1, 48, 48) and faces.dtype == np.uint8
    x0, y0, x1, y1 = boxes[0]
    assert x1 - x0 == y1 - y0 and 24 <= x0 < x1 <= 216 and 24 <= y0 < y1 <= 216  # square, on the face
    loader_face, found = crop_face(picture)  # the loaders' crop of the largest face
    assert found and np.array_equal(loader_face, faces[0])
    for suffix in (".png", ".jpg"):
        path = tmp_path / f"street{suffix}"
        Image.fromarray(photo_without_face()).save(path, quality=90)
        assert predict.find_faces(read_grey(path))[0].shape == (0, 4)


def test_two_faces_are_found_left_to_right():
    pair = np.concatenate([face_picture("happy"), face_picture("surprise")], axis=1)
    boxes, faces = predict.find_faces(pair)
    assert len(boxes) == 2 and boxes[0, 0] < boxes[1, 0] and faces.shape == (2, 48, 48)


def test_png_and_jpeg_give_seven_probabilities_per_face(trained, images):
    model = predict.load_run_model(trained["seven"], trained["store"])
    found = predict.predict_images([images / "face.png", images / "face.jpg"], model)
    assert [item.path.name for item in found] == ["face.png", "face.jpg"]
    for item in found:
        assert item.probabilities.shape == (1, 7) and item.boxes.shape == (1, 4)
        assert np.allclose(item.probabilities.sum(axis=1), 1, atol=1e-5) and (item.probabilities >= 0).all()
        assert item.labels == [EMOTIONS[int(item.probabilities[0].argmax())]]
    # the same face in both files, JPEG's loss aside: the same box within a few pixels
    assert np.abs(found[0].boxes - found[1].boxes).max() <= 3
    # the probabilities are the network's on the crops, nothing else
    from ferlib.training import predict_proba

    assert np.allclose(found[0].probabilities, predict_proba(model, found[0].faces), atol=1e-6)


def test_cli_prints_each_face_and_writes_the_annotated_image(trained, images, capsys):
    out = images / "annotated.png"
    argv = ["predict", str(images / "face.png"), "--run", trained["seven"], "--store", str(trained["store"])]
    assert main(argv + ["--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "face.png face 1 (x " in printed and all(f"{name} 0." in printed for name in EMOTIONS)
    written = np.asarray(Image.open(out).convert("RGB"))
    assert written.shape == (240, 288, 3)
    assert (np.abs(written[..., 0].astype(int) - written[..., 2].astype(int)) > 100).any()  # the coloured box
    assert not [p for p in images.iterdir() if p.name.startswith(".")]  # no temporary file left

    folder = images / "several"
    assert main(["predict", str(images / "face.png"), str(images / "face.jpg"), "--run", trained["seven"],
                 "--store", str(trained["store"]), "--out", str(folder), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["image"].rsplit("/", 1)[-1] for row in rows] == ["face.png", "face.jpg"]
    assert all(abs(sum(row[name] for name in EMOTIONS) - 1) < 1e-3 for row in rows)
    assert files_in(folder) == ["face.predicted.jpg", "face.predicted.png"]
    assert Image.open(folder / "face.predicted.jpg").format == "JPEG"


@pytest.mark.parametrize("case, message", [
    ("no face", "street.jpg: no face found (320x240 pixels"),
    ("not an image", "notes.png: not a readable image"),
    ("missing image", "image not found:"),
    ("no weights", "keeps no weights (committed results have none)"),
    ("six classes", "is trained for CK+48, a six-class task without neutral"),
    ("unknown run", "no such run in"),
    ("malformed run id", "run id '../etc': expected 16 hex digits"),
    ("several images to one file", "names one image file but 2 images were given"),
    ("output over an input", "would replace an input image"),
    ("two images of one name into a folder", "two images have the same name"),
])
def test_bad_input_gives_one_line_and_writes_nothing(case, message, trained, images, capsys):
    (images / "notes.png").write_text("not an image\n")
    run, store, pictures = trained["seven"], trained["store"], [images / "face.png"]
    out = images / "out"
    if case == "no face":
        pictures = [images / "face.png", images / "street.jpg"]  # one bad image stops them all
    elif case == "not an image":
        pictures = [images / "notes.png"]
    elif case == "missing image":
        pictures = [images / "gone.png"]
    elif case == "no weights":
        store = trained["results"]
    elif case == "six classes":
        run = trained["six"]
    elif case == "unknown run":
        run = "0123456789abcdef"
    elif case == "malformed run id":
        run = "../etc"
    elif case == "several images to one file":
        pictures, out = [images / "face.png", images / "face.jpg"], images / "out.png"
    elif case == "output over an input":
        out = images / "face.png"
    elif case == "two images of one name into a folder":
        (images / "b").mkdir()
        (images / "b" / "face.png").write_bytes((images / "face.png").read_bytes())
        pictures = [images / "face.png", images / "b" / "face.png"]
    before = {str(p): p.stat().st_mtime_ns for p in images.rglob("*")}
    argv = ["predict", *map(str, pictures), "--run", run, "--store", str(store), "--out", str(out)]
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], captured.err
    assert captured.out == ""
    assert {str(p): p.stat().st_mtime_ns for p in images.rglob("*")} == before  # nothing written or replaced


def test_a_committed_run_has_no_weights_to_predict_with():
    from ferlib.book import project_root
    from ferlib.results import PAPER_RESULTS, committed_runs

    run = next(run for run in committed_runs(project_root() / PAPER_RESULTS) if run.config.dataset == "fer2013")
    with pytest.raises(predict.PredictionError, match="keeps no weights"):
        predict.predictable_run(run.id, project_root() / PAPER_RESULTS)


def test_a_standardised_run_loads_in_a_fresh_process(trained):
    """``Run.load_model`` registers every ferlib layer itself: in a process that has not
    imported ferlib.models, the Standardize layer must still deserialise."""
    import os
    import subprocess
    import sys

    code = ("import sys; from ferlib.store import RunStore; "
            "model = RunStore(sys.argv[1]).get(sys.argv[2]).load_model(); "
            "print(model.layers[0].__class__.__name__)")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, "-c", code, str(trained["store"]), trained["seven"]],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "Standardize"
