"""``python -m territory``."""

import sys

from territory.cli import main

if __name__ == "__main__":  # not when a worker process imports the main module (territory.uploads)
    sys.exit(main())
