"""`python -m assistant.bench`: run the benchmark suite."""

import sys

from assistant.bench.run import main

if __name__ == "__main__":
    sys.exit(main())
