"""Deterministic synthetic faces: the project's embedded default data.

Every image is a 48x48 grey face drawn from a handful of numbers; the expression
comes from facial geometry, the rest from a *domain* in the style of FER2013, CK+ or
JAFFE. One module per step:

- :mod:`~ferlib.synthetic.face`: a face's parameters (:data:`FACE_DEFAULTS`, units)
  and the expressions (:data:`EXPRESSION_ACTIONS`, :func:`apply_expression`);
- :mod:`~ferlib.synthetic.geometry`: the parts a face is drawn from (outline, eyes,
  brows, mouth...), as polygons;
- :mod:`~ferlib.synthetic.render`: drawing them, then light, blur, noise and gamma
  (:func:`render_face`, :func:`render_faces`);
- :mod:`~ferlib.synthetic.looks`: how each domain's people and pictures look;
- :mod:`~ferlib.synthetic.domains`: whole data sets (:func:`make_synthetic`,
  :func:`sample_params`, :func:`prototype_faces`).
"""

from ferlib.synthetic.domains import (
    CKPLUS_SEQUENCE_COUNTS,
    CKPLUS_SUBJECTS_PER_SEQUENCE,
    DEFAULT_SIZES,
    DOMAINS,
    FER2013_CLASS_COUNTS,
    FER2013_SPLIT_COUNTS,
    JAFFE_CLASS_COUNTS,
    JAFFE_SUBJECTS,
    make_synthetic,
    prototype_faces,
    sample_params,
)
from ferlib.synthetic.face import (
    ACTION_SPREAD,
    ACTIONS,
    EXPRESSION_ACTIONS,
    FACE_DEFAULTS,
    SHOWS_TEETH,
    apply_expression,
)
from ferlib.synthetic.render import render_face, render_faces

__all__ = [
    "ACTIONS", "ACTION_SPREAD", "CKPLUS_SEQUENCE_COUNTS", "CKPLUS_SUBJECTS_PER_SEQUENCE",
    "DEFAULT_SIZES", "DOMAINS", "EXPRESSION_ACTIONS", "FACE_DEFAULTS", "FER2013_CLASS_COUNTS",
    "FER2013_SPLIT_COUNTS", "JAFFE_CLASS_COUNTS", "JAFFE_SUBJECTS", "SHOWS_TEETH",
    "apply_expression", "make_synthetic", "prototype_faces", "render_face", "render_faces",
    "sample_params",
]
