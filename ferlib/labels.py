"""The canonical 7-class label order used everywhere in ferlib.

Every loader maps its data set's own names or codes to these indices:
0 angry, 1 disgust, 2 fear, 3 happy, 4 sad, 5 surprise, 6 neutral
(the FER2013 order).
"""

EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
NUM_CLASSES = len(EMOTIONS)
IMAGE_SIZE = 48

#: Common spellings of each class in data set folders and files.
ALIASES = {
    "angry": "angry", "anger": "angry", "an": "angry",
    "disgust": "disgust", "disgusted": "disgust", "di": "disgust",
    "fear": "fear", "fearful": "fear", "fe": "fear",
    "happy": "happy", "happiness": "happy", "ha": "happy",
    "sad": "sad", "sadness": "sad", "sa": "sad",
    "surprise": "surprise", "surprised": "surprise", "su": "surprise",
    "neutral": "neutral", "neutrality": "neutral", "ne": "neutral",
}


def label_index(name):
    """Return the canonical index (0..6) of a class name or alias.

    Raises ``ValueError`` naming the accepted spellings when ``name`` is unknown.
    """
    key = str(name).strip().lower()
    if key not in ALIASES:
        raise ValueError(
            f"unknown emotion {name!r}; expected one of {sorted(set(ALIASES))}"
        )
    return EMOTIONS.index(ALIASES[key])
