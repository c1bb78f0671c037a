"""Write every user-visible output (each layer on a few dates, stats, histories, the timeline, and the same with an
ACLED upload and a seeds-format upload) into a folder, so two trees' outputs can be compared byte for byte.

Usage: python bench/snapshot.py OUT_DIR [main|acled|seeds ...]   (then ``diff -r A B``). A refactoring that changes nothing a user sees
leaves the folders identical.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATES = ("2024-11-26", "2024-11-30", "2024-12-05", "2024-12-12")
PLACES = ("Kuweires", "Aleppo", "Hama", "Tell Rifaat")
STATIC = ("syria", "border", "governorates", "places", "hama-villages", "sites", "timeline", "events")
DATED = ("buffers", "control-points", "control-zones", "changes", "control-cells")


def run(out: Path, name: str, *args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "territory", *args], cwd=ROOT, capture_output=True)
    (out / name).write_bytes(proc.stdout + b"\n--stderr--\n" + proc.stderr + f"\n--rc {proc.returncode}\n".encode())


def snapshot(out: Path, prefix: tuple[str, ...], tag: str) -> None:
    for layer in STATIC:
        run(out, f"{tag}-{layer}.geojson", *prefix, "export", layer, "-o", "-")
    run(out, f"{tag}-timeline.csv", *prefix, "export", "timeline", "--format", "csv", "-o", "-")
    for d in DATES:
        for layer in DATED:
            run(out, f"{tag}-{layer}-{d}.geojson", *prefix, "export", layer, "--date", d, "-o", "-")
        run(out, f"{tag}-stats-{d}.json", *prefix, "stats", "--date", d, "--depths", "3,10,22")
        run(out, f"{tag}-stats-{d}.csv", *prefix, "stats", "--date", d, "--format", "csv")
    run(out, f"{tag}-changes-since.geojson", *prefix, "export", "changes", "--since", "2024-11-26", "--date",
        "2024-12-01", "-o", "-")  # fmt: skip
    for p in PLACES:
        for fmt in ("json", "text", "csv"):
            run(out, f"{tag}-history-{p}.{fmt}", *prefix, "history", p, "--format", fmt)


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    # A fixed path: error lines name the file, and the outputs are compared across runs.
    acled = Path(tempfile.gettempdir()) / "territory-snapshot-acled.csv"
    subprocess.run([sys.executable, str(ROOT / "bench" / "make_acled.py"), "-o", str(acled), "--rows", "3000",
                    "--days", "60", "--locations", "60"], check=True, capture_output=True)  # fmt: skip
    jobs = [((), "main"), (("--events", str(acled)), "acled"), (("--events", "seeds/events.csv"), "seeds")]
    only = set(sys.argv[2:])
    for prefix, tag in jobs:
        if not only or tag in only:
            snapshot(out, prefix, tag)
    run(out, "check.txt", "check")
    run(out, "check-acled.txt", "--events", str(acled), "check")


if __name__ == "__main__":
    main()
