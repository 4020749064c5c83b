"""``python -m latentsynth``: the same as the ``latentsynth`` command."""

import sys

from latentsynth.cli import main

sys.exit(main())
