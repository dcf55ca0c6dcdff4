"""Writes payments.jsonl and, computed here without Weir, expected/sums.jsonl:
the sum of `amount` per user and 10 s window over payments with status ok and
amount > 0. Run from this folder: python3 oracle.py"""
import json
import random

random.seed(7)
users = ["ann", "bob", "cid", "dee", "eve"]
lines = []
ts = 0
for i in range(60):
    ts += random.randint(100, 900)
    u = random.choice(users)
    status = random.choice(["ok", "ok", "ok", "declined"])
    amount = random.choice([0, 5, 12, 20, 33, 7.5])
    lines.append({"txn": i, "account": {"user": u, "country": "NL"},
                  "amount": amount, "status": status, "ts": ts})
with open("payments.jsonl", "w") as f:
    for line in lines:
        f.write(json.dumps(line, separators=(",", ":")) + "\n")

sums = {}
for line in lines:
    if line["status"] == "ok" and line["amount"] > 0:
        start = line["ts"] // 10000 * 10000
        k = (line["account"]["user"], start)
        sums[k] = sums.get(k, 0) + line["amount"]
out = sorted(
    '{"key":%s,"window_start":%d,"window_end":%d,"value":%s}'
    % (json.dumps(u), start, start + 10000, json.dumps(v))
    for (u, start), v in sums.items()
)
with open("expected/sums.jsonl", "w") as f:
    f.write("\n".join(out) + "\n")
