"""``python -m regime``: the same as the ``regime`` command."""

import sys

from regime.cli import main

sys.exit(main())
