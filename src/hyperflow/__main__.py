"""``python -m hyperflow`` is the ``hyperflow`` command."""

import sys

from hyperflow.cli import main

if __name__ == "__main__":
    sys.exit(main())
