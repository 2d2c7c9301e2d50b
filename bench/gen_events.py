#!/usr/bin/env python3
"""Writes N deterministic canonical event records (JSON Lines) with mixed dyads, for the store
benchmark: `python3 bench/gen_events.py 100000 > /tmp/events.jsonl`."""
import json
import random
import sys

COUNTRIES = ["TUR", "SYR", "RUS", "IRN", "USA", "FRA", "ISR", "EGY", "CHN", "GBR", "SAU", "QAT"]
ROLES = ["GOV", "MIL", ""]
CODES = ["040", "043", "036", "057", "112", "190", "0311", "1011", "042", "051", "173", "138"]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rnd = random.Random(42)
    out = sys.stdout
    for i in range(n):
        a, b = rnd.sample(COUNTRIES, 2)
        rec = {
            "id": f"bench:{i}",
            "date": f"{rnd.randint(2010, 2023)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
            "source": a + rnd.choice(ROLES),
            "target": b + rnd.choice(ROLES),
            "code": rnd.choice(CODES),
            "mentions": rnd.randint(1, 9),
        }
        out.write(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()
