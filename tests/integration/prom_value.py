#!/usr/bin/python3
"""Reads a /metrics scrape with the Prometheus project's own Python parser.

Usage: prom_value.py FILE SAMPLE [LABEL=VALUE ...]
Prints the sum of the values of the samples named SAMPLE whose labels equal every
LABEL=VALUE given (exact, after the parser has undone the escaping); exits 3 when no
sample matches. The parser is independent of memsight's writer: a label value that
memsight escaped wrongly would not round-trip.
"""
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    want = dict(arg.split("=", 1) for arg in sys.argv[3:])
    total, hits = 0.0, 0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name != sys.argv[2]:
                continue
            if all(sample.labels.get(k) == v for k, v in want.items()):
                total += sample.value
                hits += 1
    if not hits:
        sys.exit(3)
    print(int(total) if total == int(total) else total)


if __name__ == "__main__":
    main()
