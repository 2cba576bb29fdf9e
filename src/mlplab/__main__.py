"""Allow ``python -m mlplab``: the ``mlplab`` command."""

import sys

from mlplab.cli import main

sys.exit(main())
