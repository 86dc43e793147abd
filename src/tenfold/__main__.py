"""``python -m tenfold`` is the ``tenfold`` command."""

from tenfold.cli import main

raise SystemExit(main())
