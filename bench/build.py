"""Time ``python -m territory build`` (into a temporary directory), a few runs.

Usage: python bench/build.py [--runs 3] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    times = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "territory", "build", "--out", str(Path(tmp) / "geodata"), "--quiet"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            times.append(time.perf_counter() - t0)
            if proc.returncode != 0:
                print(proc.stderr, file=sys.stderr)
                return proc.returncode
    out = {
        "runs": args.runs,
        "build_s_median": round(statistics.median(times), 2),
        "build_s_max": round(max(times), 2),
        "samples_s": [round(t, 2) for t in times],
    }
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(
        f"python -m territory build: median {out['build_s_median']} s, max {out['build_s_max']} s over {args.runs} runs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
