"""Plumbing shared by every tenfold system: errors, seeding, configs, run directories, registry, tables, plots,
progress bars and the reproduction report. Nothing here imports torch at module load."""

from tenfold.common.errors import UserError
from tenfold.common.rundir import RunDir
from tenfold.common.seeding import seed_everything

__all__ = ["RunDir", "UserError", "seed_everything"]
