#!/usr/bin/env python3
"""Derives expected/alerts.jsonl from input/transactions.jsonl without Weir.

The rules, as job.yaml configures them:
- Watermark: after each line, max event time seen - out_of_orderness - 1. A
  transaction whose time is at or below the watermark when it arrives is
  late and ignored.
- Per account, in event-time order: a burst starts with a transaction and
  holds every transaction in [first, first + window_ms). The next one after
  it starts a new burst.
- A burst with more than max_transactions transactions gives one alert:
  {"account", "count", "first_ts", "last_ts", "total"}.

Alerts come from two parallel subtasks, so their order in the output file is
not defined: they are written sorted here, and the test compares sorted lines.
"""
import json
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).parent
OUT_OF_ORDERNESS_MS = 5_000
MAX_TRANSACTIONS = 3
WINDOW_MS = 60_000


def main():
    lines = (HERE / "input" / "transactions.jsonl").read_text().splitlines()
    watermark = None
    on_time = defaultdict(list)
    for line in lines:
        txn = json.loads(line)
        if watermark is not None and txn["ts"] <= watermark:
            continue
        on_time[txn["account"]].append(txn)
        candidate = txn["ts"] - OUT_OF_ORDERNESS_MS - 1
        watermark = candidate if watermark is None else max(watermark, candidate)

    alerts = []
    for account, txns in on_time.items():
        bursts = []
        for txn in sorted(txns, key=lambda t: t["ts"]):
            if bursts and txn["ts"] < bursts[-1][0]["ts"] + WINDOW_MS:
                bursts[-1].append(txn)
            else:
                bursts.append([txn])
        for burst in bursts:
            if len(burst) > MAX_TRANSACTIONS:
                alerts.append({
                    "account": account,
                    "count": len(burst),
                    "first_ts": burst[0]["ts"],
                    "last_ts": burst[-1]["ts"],
                    "total": sum(t["amount"] for t in burst),
                })

    text = sorted(json.dumps(a, separators=(",", ":")) + "\n" for a in alerts)
    out = HERE / "expected" / "alerts.jsonl"
    out.parent.mkdir(exist_ok=True)
    out.write_text("".join(text))


if __name__ == "__main__":
    main()
