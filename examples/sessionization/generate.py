#!/usr/bin/env python3
"""Writes input/clicks.jsonl: deterministic click events of eight users over
about twenty minutes.

Each user visits a few times; within a visit clicks are 1-20 s apart, and
visits are 45 s to 5 min apart, so with the job's 30 s gap each visit is one
session. Lines are in *arrival* order: a click arrives up to 8 s after its
event time (the job allows 10 s). One click of `ivy` arrives after a later
one although it happened between two of her visits: it joins them into one
session.

The committed file is the source of truth; rerun this only to change it, then
rerun expected.py.
"""
import json
import random
from pathlib import Path

HERE = Path(__file__).parent
START = 1_700_000_000_000
PAGES = ["/", "/search", "/item", "/cart", "/checkout", "/help"]


def main():
    rng = random.Random(3)
    clicks = []  # (arrival, ts, user, page)
    for user in ["ann", "bob", "cai", "dev", "eli", "fay", "gus", "hal"]:
        ts = START + rng.randrange(0, 120_000)
        for _ in range(rng.randrange(2, 5)):
            for _ in range(rng.randrange(1, 9)):
                clicks.append((ts + rng.randrange(0, 8_000), ts, user, rng.choice(PAGES)))
                ts += rng.randrange(1_000, 20_000)
            ts += rng.randrange(45_000, 300_000)

    # ivy: a click at 0 s, one at 35 s, and one at 28 s that arrives after
    # the 35 s one. Without it: two sessions. With it: one.
    t0 = START + 400_000
    for arrival, ts in [(t0, t0), (t0 + 35_000, t0 + 35_000), (t0 + 36_000, t0 + 28_000)]:
        clicks.append((arrival, ts, "ivy", "/"))

    clicks.sort()
    out = HERE / "input" / "clicks.jsonl"
    out.parent.mkdir(exist_ok=True)
    out.write_text("".join(
        json.dumps({"user": user, "page": page, "ts": ts}) + "\n" for _, ts, user, page in clicks
    ))


if __name__ == "__main__":
    main()
