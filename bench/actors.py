"""Actor mapping at its limits: time to map 10,000 distinct actors (issue 19: under 1 s).

The mapping is the worst a visitor may upload: ``settings.ACTOR_PATTERNS_MAX`` patterns of
``settings.ACTOR_PATTERN_MAX_CHARS`` characters (nested repetitions, alternations, counted repeats:
patterns a backtracking engine takes exponential time on), tried before the shipped
``seeds/actors.csv``. The actors: 10,000 distinct names of ACLED's length, none matched by the
visitor's patterns (each one runs through every pattern), then the same with 2,000-character actors
built to hurt (``aaaa…!``).

Usage: python bench/actors.py [--json bench/results/actors.json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time

from territory import settings, usertimeline


def _worst_mapping() -> bytes:
    rng = random.Random(19)
    shapes = ["(a+)+$", "(a|aa)+$", "(.*a){20}$", "(a|b)*a(a|b){12}c", "([a-z]+)*[0-9]$", "(x+x+)+y"]
    rows = ["pattern,controller"]
    for k in range(settings.ACTOR_PATTERNS_MAX):
        pattern = f"{shapes[k % len(shapes)]}|q{k}"
        while len(pattern) + 12 < settings.ACTOR_PATTERN_MAX_CHARS:
            pattern += f"|(w{rng.randrange(10**6)}+)+z"
        rows.append(f"{pattern[: settings.ACTOR_PATTERN_MAX_CHARS]},hts")
    return ("\n".join(rows) + "\n").encode()


def _time(mapping: usertimeline.ActorMap, actors: list[str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    mapped = sum(mapping.controller(a) is not None for a in actors)
    return time.perf_counter() - t0, mapped


def main() -> None:
    """Measure and write the JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default="bench/results/actors.json")
    args = ap.parse_args()
    t0 = time.perf_counter()
    visitor = usertimeline.read_actors(_worst_mapping(), "worst.csv")
    mapping = usertimeline.with_defaults(visitor)
    mapping.controller("warm-up")  # compiles the set
    compile_s = time.perf_counter() - t0
    rng = random.Random(1)
    short = [f"Unidentified Armed Group {k} {rng.randrange(10**9)} of Idlib" for k in range(10_000)]
    long_ = ["a" * (2_000 - len(str(k))) + str(k) + "!" for k in range(10_000)]
    known = [f"Hayat Tahrir al-Sham {k}" for k in range(10_000)]
    results = {}
    for name, actors in (("acled_length_unmapped", short), ("2000_chars_aaa_unmapped", long_), ("mapped", known)):
        seconds, mapped = _time(mapping, actors)
        results[name] = {"distinct_actors": len(actors), "seconds": round(seconds, 3), "mapped": mapped}
    out = {
        "what": "seconds to map 10,000 distinct actors with the largest mapping allowed plus the shipped one",
        "patterns": len(mapping.rules),
        "pattern_max_chars": settings.ACTOR_PATTERN_MAX_CHARS,
        "read_and_compile_s": round(compile_s, 3),
        "per_10000_distinct_actors": results,
        "load_average": os.getloadavg(),
        "note": "other helpers' work shared the 2-core machine",
    }
    with open(args.json, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=2)
        fh.write("\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
