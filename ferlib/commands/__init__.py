"""The commands of ``python -m ferlib``, one module per group (:mod:`ferlib.cli` is the
entry point and lists them in order):

- :mod:`~ferlib.commands.data`: ``datasets``, ``baselines``, ``leakage``;
- :mod:`~ferlib.commands.training`: ``models``, ``train``, ``finetune``, ``reproduce``,
  ``transfer``, ``probe``, ``study``, ``recipe``;
- :mod:`~ferlib.commands.results`: ``runs``, ``export``, ``missing``, ``check``, ``retrained``;
- :mod:`~ferlib.commands.campaign`: ``pack``, ``campaign``, ``campaign-import``;
- :mod:`~ferlib.commands.book`: ``book``;
- :mod:`~ferlib.commands.predict`: ``predict``;
- :mod:`~ferlib.commands.common`: the options and run configs the groups share.

Each group's ``COMMANDS`` maps a command's name to the function adding its parser
(``add_<name>(commands)``, ``commands`` argparse's subparsers) and the one running it
(``cmd_<name>(args) -> exit status``). A command imports what it runs inside its function,
so ``import ferlib.cli`` stays quick and loads neither Keras nor matplotlib.
"""
