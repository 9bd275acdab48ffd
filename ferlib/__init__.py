"""ferlib: reproduce Borgalli & Surve (2022), cross-dataset facial expression recognition.

The package is split into small modules with one job each:

- :mod:`ferlib.labels`      the canonical 7-class order and name mappings
- :mod:`ferlib.datasets`    loaders for FER2013, JAFFE, CK+ and class folders
- :mod:`ferlib.synthetic`   deterministic synthetic faces (the embedded default)
- :mod:`ferlib.splits`      the paper's splits and subject-independent ones
- :mod:`ferlib.fingerprint` sha256 fingerprints of loaded data
"""

__version__ = "0.1.0"
