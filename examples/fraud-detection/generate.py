#!/usr/bin/env python3
"""Writes input/transactions.jsonl: deterministic card transactions.

Twelve accounts pay now and then over half an hour; a few of them also make
bursts of quick payments. Lines are written in *arrival* order: each
transaction arrives up to 4 s after its event time, so some lines are out of
order (the job allows 5 s). One transaction of a burst arrives 20 s late on purpose: the
job drops it and counts it in the metric `fraud_late_transactions`.

The committed file is the source of truth; rerun this only to change it, then
rerun expected.py.
"""
import json
import random
from pathlib import Path

HERE = Path(__file__).parent
START = 1_700_000_000_000  # 2023-11-14T22:13:20Z
MINUTE = 60_000


def main():
    rng = random.Random(7)
    accounts = [f"acct-{i:02}" for i in range(1, 13)]
    txns = []  # (ts, account, amount)

    # Background: each account pays every few minutes.
    for account in accounts:
        ts = START + rng.randrange(0, 3 * MINUTE)
        while ts < START + 30 * MINUTE:
            txns.append((ts, account, rng.randrange(5, 300)))
            ts += rng.randrange(40_000, 5 * MINUTE)

    # Bursts: several payments within well under a minute.
    for account, at, n in [("acct-03", 5, 6), ("acct-07", 12, 4), ("acct-07", 25, 5), ("acct-11", 18, 8)]:
        ts = START + at * MINUTE + rng.randrange(0, 30_000)
        for _ in range(n):
            txns.append((ts, account, rng.randrange(50, 900)))
            ts += rng.randrange(1_000, 7_000)

    # A burst's window ends just before first + 1 minute: four payments in
    # it, and a fifth at exactly first + 1 minute that starts a new burst.
    first = START + 21 * MINUTE
    for ts in [first, first + 15_000, first + 40_000, first + MINUTE - 1, first + MINUTE]:
        txns.append((ts, "acct-05", 99))

    # Arrival order: event time plus a delay of up to 4 s.
    arrivals = sorted(((ts + rng.randrange(0, 4_000), ts, a, amt) for ts, a, amt in txns))
    lines = [{"account": a, "amount": amt, "ts": ts} for _, ts, a, amt in arrivals]

    # One more payment of acct-03, inside its burst, arrives once event
    # time has moved 20 s past it: too late to count.
    late_ts = min(line["ts"] for line in lines if line["account"] == "acct-03"
                  and line["ts"] > START + 5 * MINUTE) + 10_000
    late_at = next(i for i, line in enumerate(lines) if line["ts"] >= late_ts + 20_000)
    lines.insert(late_at + 1, {"account": "acct-03", "amount": 42, "ts": late_ts})

    out = HERE / "input" / "transactions.jsonl"
    out.parent.mkdir(exist_ok=True)
    out.write_text("".join(json.dumps(line) + "\n" for line in lines))


if __name__ == "__main__":
    main()
