#!/usr/bin/env python3
"""Derives expected/sessions.jsonl from input/clicks.jsonl without Weir.

The rules, as job.yaml configures them:
- Per user, sorted by time, clicks at most gap_ms apart belong to the same
  session. A session is reported as {"user", "start", "end", "clicks"} with
  start = its first click and end = its last click + gap_ms.
- Sessions are emitted when the watermark (max event time seen -
  out_of_orderness - 1) reaches end - 1: in order of end, then of user (as
  UTF-8 bytes: the host fires timers of equal time in key order).

The script also checks that the input avoids the two cases where arrival
order would change the sessions, so the rules above are the whole story:
no click arrives at or below the watermark (it would be late), and no two
consecutive clicks of a user are exactly gap_ms apart (the later one could
arrive after the earlier session was already emitted).
"""
import json
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).parent
GAP_MS = 30_000
OUT_OF_ORDERNESS_MS = 10_000


def main():
    lines = (HERE / "input" / "clicks.jsonl").read_text().splitlines()
    watermark = None
    clicks = defaultdict(list)
    for line in lines:
        click = json.loads(line)
        assert watermark is None or click["ts"] > watermark, f"late click: {line}"
        clicks[click["user"]].append(click["ts"])
        candidate = click["ts"] - OUT_OF_ORDERNESS_MS - 1
        watermark = candidate if watermark is None else max(watermark, candidate)

    sessions = []
    for user, times in clicks.items():
        times.sort()
        first = prev = times[0]
        n = 0
        for ts in times:
            assert ts - prev != GAP_MS, f"{user}: clicks exactly one gap apart at {ts}"
            if ts - prev > GAP_MS:
                sessions.append((prev + GAP_MS, user.encode(), first, n))
                first, n = ts, 0
            n += 1
            prev = ts
        sessions.append((prev + GAP_MS, user.encode(), first, n))

    out = HERE / "expected" / "sessions.jsonl"
    out.parent.mkdir(exist_ok=True)
    out.write_text("".join(
        json.dumps({"user": user.decode(), "start": start, "end": end, "clicks": n},
                   separators=(",", ":")) + "\n"
        for end, user, start, n in sorted(sessions)
    ))


if __name__ == "__main__":
    main()
