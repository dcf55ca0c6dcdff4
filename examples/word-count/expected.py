#!/usr/bin/env python3
"""Derives expected/counts.txt from input/weir.txt without Weir.

A word is a run of letters, digits and apostrophes, lowercased, without
apostrophes at either end. The output has one line `word count` per word,
sorted by the word's UTF-8 bytes (the order in which the host fires the
counter's end-of-input timers).
"""
from collections import Counter
from pathlib import Path

HERE = Path(__file__).parent


def words(line):
    word = []
    for ch in line + " ":
        if ch.isalnum() or ch == "'":
            word.append(ch)
            continue
        token = "".join(word).strip("'")
        word = []
        if token:
            yield token.lower()


def main():
    counts = Counter()
    for line in (HERE / "input" / "weir.txt").read_text(encoding="utf-8").splitlines():
        counts.update(words(line))
    lines = [f"{w} {n}\n" for w, n in sorted(counts.items(), key=lambda kv: kv[0].encode())]
    out = HERE / "expected" / "counts.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text("".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
