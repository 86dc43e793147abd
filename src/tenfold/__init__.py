"""tenfold: ten AI research systems from arXiv (2025-02-21), implemented faithfully and reproduced on a CPU.

Sub-packages: ``tenfold.common`` (seeding, run records, registry, tables, plots, report), ``tenfold.lm`` (the shared
language-model core) and one package per system. ``tenfold.cli`` is the ``tenfold`` command.
"""

__version__ = "0.1.0"
