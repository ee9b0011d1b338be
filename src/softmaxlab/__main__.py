"""``python -m softmaxlab``: the same entry point as the ``softmaxlab`` command."""
import sys

from softmaxlab.cli import main

sys.exit(main())
