#!/usr/bin/env python3
"""Derives expected/counts.jsonl and expected/late.jsonl from
input/views.jsonl without Weir.

The rules, as job.yaml configures them:
- Watermark: after each line, max event time seen - out_of_orderness - 1.
- A view at time ts belongs to the window [ts - ts % 10000, that + 10000).
  With no allowed lateness, a window is complete (fires) when the watermark
  reaches its last millisecond, end - 1; a view arriving when the watermark is
  already there is late: it goes to late.jsonl unchanged, in arrival order.
- counts.jsonl has one line per page and window, {"page", "start", "end",
  "views"}, in firing order: by window end, then by page (as UTF-8 bytes: the
  host fires timers of equal time in key order).
"""
import json
from collections import Counter
from pathlib import Path

HERE = Path(__file__).parent
SIZE_MS = 10_000
OUT_OF_ORDERNESS_MS = 2_000


def main():
    lines = (HERE / "input" / "views.jsonl").read_text().splitlines()
    watermark = None
    counts = Counter()
    late = []
    for line in lines:
        view = json.loads(line)
        start = view["ts"] - view["ts"] % SIZE_MS
        end = start + SIZE_MS
        if watermark is not None and end - 1 <= watermark:
            late.append(line + "\n")
        else:
            counts[(end, view["page"].encode(), start)] += 1
        candidate = view["ts"] - OUT_OF_ORDERNESS_MS - 1
        watermark = candidate if watermark is None else max(watermark, candidate)

    out = []
    for (end, page, start), n in sorted(counts.items()):
        row = {"page": page.decode(), "start": start, "end": end, "views": n}
        out.append(json.dumps(row, separators=(",", ":")) + "\n")

    folder = HERE / "expected"
    folder.mkdir(exist_ok=True)
    (folder / "counts.jsonl").write_text("".join(out))
    (folder / "late.jsonl").write_text("".join(late))


if __name__ == "__main__":
    main()
