#!/usr/bin/python3
"""A week of memsight's series for test_recommend.sh, as OpenMetrics text for
`promtool tsdb create-blocks-from openmetrics`, and the truth about them as JSON.

Usage: recommend_series.py END OUT.om TRUTH.json

END (unix seconds) is the newest sample; the oldest is a week less 40 minutes before it,
so a 7d window evaluated up to 40 minutes after END holds every sample. The working set
is sampled every minute; the limit, the counters and the leak gauge every 5 minutes and
at every change, as a scrape would see them.

Workloads, two pods each, named as Kubernetes names them:
  shop/checkout  Deployment   steady: 300 MiB, a daily swing of 20 MiB, noise
  shop/search    Deployment   spiky: 200 MiB, 5-minute spikes to ~900 MiB twice a day,
                              one OOM risk episode
  data/ledger    StatefulSet  ledger-0 OOM-killed twice at its 512 MiB limit (a new
                              container each time, as the kubelet restarts it)
  ops/log-agent  DaemonSet    leaking: grows all week, leak suspected
  shop/pricing   Deployment   an hour of history
and one with hostile label values (quotes, backslash, newline, escape, U+2028), and a
series of a cgroup that is not a container (container=""), which recommend leaves out.
"""
import json
import math
import random
import sys

MIB = 1 << 20
STEP = 60
SLOW_STEP = 300
WEEK = 7 * 86400


def labels_text(labels):
    def esc(v):
        return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return ",".join(f'{k}="{esc(v)}"' for k, v in labels.items())


class Series:
    """One container's life: its labels and figures from t_from to t_to."""

    def __init__(self, namespace, pod, container, cid, t_from, t_to, limit, ws):
        self.labels = {
            "container_id": cid,
            "container": container,
            "pod": pod,
            "namespace": namespace,
            "cgroup": f"/kubepods/burstable/pod-{cid[:6]}/{cid}",
            "job": "memsight",
            "instance": "node-a:9464",
        }
        self.t_from, self.t_to = t_from, t_to
        self.limit = limit
        self.ws = ws  # t -> bytes
        self.kills = []  # times of OOM kills
        self.risks = []  # times of OOM risk episodes
        self.leak_from = None  # leak suspected from this time on
        self.tail = 0  # seconds the counters outlive the working set (a tombstone)

    def times(self, step, with_tail=False):
        end = self.t_to + (self.tail if with_tail else 0)
        t = self.t_from
        out = []
        while t <= end:
            out.append(t)
            t += step
        # a scrape right after each change, so counters move when they did
        extra = [x for x in self.kills + self.risks if self.t_from <= x <= end]
        return sorted(set(out + extra))

    def count(self, events, t):
        return sum(1 for x in events if x <= t)


def build(end):
    rnd = random.Random(20)
    start = end - WEEK + 40 * 60
    start -= start % STEP
    series = []

    def noise(scale):
        return rnd.uniform(-scale, scale)

    # steady
    for i, pod in enumerate(["checkout-7d4b9c8f6d-x2k9p", "checkout-7d4b9c8f6d-q8z4m"]):
        phase = i * 1.3
        series.append(Series("shop", pod, "app", f"c0ffee{i:010x}", start, end, 1024 * MIB,
                             lambda t, p=phase: 300 * MIB + 20 * MIB * math.sin(
                                 2 * math.pi * t / 86400 + p) + noise(5 * MIB)))

    # spiky: 5 minutes at 10:00 and 18:00 UTC each day
    def spiky(top):
        def ws(t):
            minute = (t % 86400) // 60
            if 600 <= minute < 605 or 1080 <= minute < 1085:
                return top + noise(10 * MIB)
            return 200 * MIB + noise(8 * MIB)
        return ws

    s = Series("shop", "search-5f7c9d8b4-t7x2w", "api", "5ea5c0000000000a", start, end,
               2048 * MIB, spiky(900 * MIB))
    spike_day3 = start - start % 86400 + 3 * 86400 + 600 * 60
    s.risks = [spike_day3 + 60]
    series.append(s)
    series.append(Series("shop", "search-5f7c9d8b4-m4pzr", "api", "5ea5c0000000000b", start,
                         end, 2048 * MIB, spiky(850 * MIB)))

    # OOM-killed twice: ledger-0's container dies at its limit at day 2 and day 5
    kill1, kill2 = start + 2 * 86400, start + 5 * 86400

    def ramp(t0, t1):
        return lambda t: 300 * MIB + (505 - 300) * MIB * (t - t0) / (t1 - t0) + noise(MIB)

    lives = [(start, kill1, "1ed9e0000000000a"), (kill1 + STEP, kill2, "1ed9e0000000000b")]
    for t0, t1, cid in lives:
        s = Series("data", "ledger-0", "db", cid, t0, t1, 512 * MIB, ramp(t0, t1))
        s.kills = [t1]
        s.risks = [t1 - 600]
        s.tail = 300
        series.append(s)
    series.append(Series("data", "ledger-0", "db", "1ed9e0000000000c", kill2 + STEP, end,
                         512 * MIB, lambda t: 300 * MIB + noise(4 * MIB)))
    series.append(Series("data", "ledger-1", "db", "1ed9e0000000000d", start, end, 512 * MIB,
                         lambda t: 350 * MIB + noise(4 * MIB)))

    # leaking: anonymous memory grows all week
    for i, (pod, rate, since) in enumerate([("log-agent-x7k2p", 170, 1), ("log-agent-b9n4q", 120, 3)]):
        s = Series("ops", pod, "agent", f"10ca9e000000000{i}", start, end, 256 * MIB,
                   lambda t, r=rate: 60 * MIB + r * MIB * (t - start) / WEEK + noise(MIB))
        s.leak_from = start + since * 86400
        series.append(s)

    # an hour of history
    for i, pod in enumerate(["pricing-6c8d7f9b5-w2x4z", "pricing-6c8d7f9b5-k7m2n"]):
        series.append(Series("shop", pod, "app", f"9c1ce000000000{i:02x}", end - 3600 + STEP,
                             end, 512 * MIB, lambda t: 120 * MIB + noise(2 * MIB)))

    # hostile label values
    series.append(Series("lab", 'ev"il\\pod #: x\n-x7k2p', "c\x1b[31mred\u2028x", "ba0000000000000e",
                         start, end, 256 * MIB, lambda t: 64 * MIB + noise(MIB)))
    # not a container
    series.append(Series("", "", "", "", start, end, 256 * MIB, lambda t: 32 * MIB))
    series[-1].labels["cgroup"] = "/system.slice/cron.service"
    return start, series


def write(series, out):
    families = [
        ("memsight_memory_working_set_bytes", "gauge", "", STEP, False,
         lambda s, t: round(s.ws(t))),
        ("memsight_memory_limit_bytes", "gauge", "", SLOW_STEP, True, lambda s, t: s.limit),
        ("memsight_oom_kills", "counter", "_total", SLOW_STEP, True,
         lambda s, t: s.count(s.kills, t)),
        ("memsight_oom_risks", "counter", "_total", SLOW_STEP, True,
         lambda s, t: s.count(s.risks, t)),
        ("memsight_leak_suspected", "gauge", "", SLOW_STEP, True,
         lambda s, t: int(s.leak_from is not None and t >= s.leak_from)),
    ]
    for name, kind, suffix, step, tail, value in families:
        out.write(f"# TYPE {name} {kind}\n")
        for s in series:
            text = labels_text(s.labels)
            for t in s.times(step, tail):
                out.write(f"{name}{suffix}{{{text}}} {value(s, t)} {t}\n")
    out.write("# EOF\n")


def truth(series, start):
    workloads = {}
    names = {
        "checkout": "steady", "search": "spiky", "ledger": "oom", "log-agent": "leak",
        "pricing": "history",
    }
    for s in series:
        lb = s.labels
        if not lb["container"] or lb["namespace"] == "lab":
            continue
        pod = lb["pod"]
        workload = next(w for w in names if pod.startswith(w + "-"))
        key = (lb["namespace"], workload, lb["container"])
        w = workloads.setdefault(key, {
            "namespace": key[0], "workload": workload, "container": key[2],
            "case": names[workload], "pods": [], "kills": 0, "risks": 0, "leak": False,
            "limit": s.limit, "first": s.t_from,
        })
        if pod not in w["pods"]:
            w["pods"].append(pod)
        w["kills"] += len(s.kills)
        w["risks"] += len(s.risks)
        w["leak"] = w["leak"] or s.leak_from is not None
        w["first"] = min(w["first"], s.t_from)
    return {"start": start, "workloads": sorted(workloads.values(), key=lambda w: (
        w["namespace"], w["workload"]))}


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    end = int(sys.argv[1])
    end -= end % STEP
    start, series = build(end)
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        write(series, out)
    with open(sys.argv[3], "w", encoding="utf-8") as out:
        json.dump(truth(series, start), out, indent=1)


if __name__ == "__main__":
    main()
