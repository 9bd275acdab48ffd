import numpy as np
import pytest

from ferlib.evaluation import (classification_metrics, confusion_frame,
                               metrics_from_predictions, predictions_frame)


def _onehot(pred):
    probs = np.full((len(pred), 7), 0.01)
    probs[np.arange(len(pred)), pred] = 0.94
    return probs


def test_metrics_against_hand_counts():
    y = np.array([0, 0, 0, 0, 1, 1, 3, 3, 3, 3])
    pred = np.array([0, 0, 0, 1, 1, 0, 3, 3, 3, 6])
    m = classification_metrics(y, _onehot(pred))
    assert m["n"] == 10
    assert m["accuracy"] == pytest.approx(0.7)
    assert m["accuracy_se"] == pytest.approx(np.sqrt(0.7 * 0.3 / 10))
    assert m["per_class_recall"]["angry"] == pytest.approx(0.75)
    assert m["per_class_recall"]["disgust"] == pytest.approx(0.5)
    assert m["per_class_recall"]["fear"] is None  # no fear image in the test set
    assert m["balanced_accuracy"] == pytest.approx((0.75 + 0.5 + 0.75) / 3)
    confusion = np.array(m["confusion"])
    assert confusion.sum() == 10 and confusion[0, 1] == 1 and confusion[3, 6] == 1
    assert np.allclose(np.array(m["confusion_normalized"])[0], [0.75, 0.25, 0, 0, 0, 0, 0])


def test_predictions_roundtrip():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 7, 50)
    probs = rng.dirichlet(np.ones(7), 50)
    frame = predictions_frame(y, probs, source=[f"f{i}" for i in range(50)])
    assert list(frame.columns[:3]) == ["true", "predicted", "p_angry"]
    again = metrics_from_predictions(frame)
    assert again["accuracy"] == pytest.approx(classification_metrics(y, probs)["accuracy"])
    table = confusion_frame(again["confusion"])
    assert table.loc["happy"].sum() == (y == 3).sum()


def test_bad_shapes():
    with pytest.raises(ValueError, match="shape"):
        classification_metrics([0, 1], np.ones((2, 6)) / 6)
    with pytest.raises(ValueError, match="empty"):
        classification_metrics([], np.ones((0, 7)))
