#!/usr/bin/env python3
"""Writes input/views.jsonl: deterministic page views over two minutes.

Lines are in *arrival* order: each view arrives up to 1.5 s after its event
time (the job allows 2 s of out-of-orderness). Two views arrive much later,
after the watermark has closed their window: the job sends them to the `late`
side output.

The committed file is the source of truth; rerun this only to change it, then
rerun expected.py.
"""
import json
import random
from pathlib import Path

HERE = Path(__file__).parent
START = 1_700_000_000_000  # a multiple of the 10 s window
PAGES = ["/", "/docs", "/pricing", "/blog", "/signup"]
WEIGHTS = [8, 5, 3, 2, 1]


def main():
    rng = random.Random(11)
    views = []
    ts = START
    while ts < START + 120_000:
        ts += rng.randrange(100, 1_200)
        page = rng.choices(PAGES, WEIGHTS)[0]
        views.append((ts + rng.randrange(0, 1_500), ts, page, f"u{rng.randrange(1, 30)}"))
    views.sort()
    lines = [{"page": page, "user": user, "ts": ts} for _, ts, page, user in views]

    # Two views that show up long after their window closed.
    for arrives_after, page, ts in [(START + 35_000, "/pricing", START + 21_234),
                                    (START + 97_000, "/", START + 88_800)]:
        at = next(i for i, line in enumerate(lines) if line["ts"] >= arrives_after)
        lines.insert(at, {"page": page, "user": "u99", "ts": ts})

    out = HERE / "input" / "views.jsonl"
    out.parent.mkdir(exist_ok=True)
    out.write_text("".join(json.dumps(line) + "\n" for line in lines))


if __name__ == "__main__":
    main()
