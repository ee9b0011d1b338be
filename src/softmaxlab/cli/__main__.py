"""``python -m softmaxlab.cli``: the ``softmaxlab`` command."""
import sys

from softmaxlab.cli.app import main

if __name__ == "__main__":
    sys.exit(main())
