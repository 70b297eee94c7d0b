"""`make bench`: every benchmark in turn (each prints its own comparison).

The national filing season (`python -m bench.season`, `make bench-season`) is not among them: it seeds
500,000 enterprises (minutes) and keeps that database between runs (`--reuse`)."""

import subprocess
import sys

BENCHMARKS = ["bench.grading", "bench.excel", "bench.upload", "bench.load", "bench.copies"]

if __name__ == "__main__":
    args = sys.argv[1:]
    for module in BENCHMARKS:
        print(f"\n=== {module} ===", flush=True)
        subprocess.run([sys.executable, "-m", module, *args], check=True)
