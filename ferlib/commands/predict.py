"""The ``predict`` command: the seven expression probabilities of each face in images,
from a stored run's network (:mod:`ferlib.predict`; the paper's Fig. 10)."""

from __future__ import annotations

import json
import sys

from ferlib.commands.common import DEFAULT_STORE


def add_predict(commands):
    p = commands.add_parser("predict", help="the seven expression probabilities of each face in images, "
                                            "from a stored run's network")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG, JPEG, TIFF...)")
    p.add_argument("--run", required=True, metavar="RUN_ID", help="the run whose network predicts "
                                                                  "(python -m ferlib runs lists them)")
    p.add_argument("--store", default=DEFAULT_STORE, help="run store holding the run (default: %(default)s)")
    p.add_argument("--out", dest="annotate_to", default=None, metavar="FILE_OR_DIR",
                   help="write each image with its faces' boxes and top labels: to FILE for one image "
                        "(.png, .jpg...), else into the folder DIR as <name>.predicted.<its suffix>")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")


def cmd_predict(args) -> int:
    # saves start-up time: a command loads only what it runs
    from ferlib.labels import EMOTIONS
    from ferlib.predict import annotated_paths, load_run_model, predict_images, prediction_rows, write_annotated

    model = load_run_model(args.run, args.store)
    predictions = predict_images(args.images, model)
    if args.annotate_to is not None:
        annotated_paths(predictions, args.annotate_to)  # every target checked before anything is printed
    rows = prediction_rows(predictions)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            x0, y0, x1, y1 = row["box"]
            probabilities = " ".join(f"{name} {row[name]:.3f}" for name in EMOTIONS)
            print(f"{row['image']} face {row['face']} (x {x0}..{x1}, y {y0}..{y1}): {row['predicted']} | "
                  f"{probabilities}")
    if args.annotate_to is not None:
        for path in write_annotated(predictions, args.annotate_to):
            print(f"wrote {path}", file=sys.stderr)
    return 0


#: This group's commands: ``{name: (add its parser, run it)}``.
COMMANDS = {"predict": (add_predict, cmd_predict)}
