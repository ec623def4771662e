#!/usr/bin/python3
"""Evaluates every query of a Grafana dashboard against a Prometheus, as Grafana would.

    dashboard_eval.py DASHBOARD.json PROMETHEUS_URL --start UNIX --end UNIX [--step SECONDS]
                      [--var NAME=VALUE]...

Each query variable's value is the option a user picked (or $__all); it is formatted as
Grafana formats it for Prometheus: All becomes the variable's allValue, a picked value of a
multi-value or include-All variable is regex-escaped; textbox and custom values go in as
they are. Built-in variables ($__rate_interval, $__range, $__from, ...) are given with --var
too. A query still holding a $variable after that is an error (an undeclared variable).

Prints one JSON object per query, one per line:
  {"kind": "panel", "title", "type", "ref", "instant", "expr", "status", "error",
   "series": [{"labels", "max", "points"}]}
  {"kind": "annotation", "title", "expr", ...}   (only Prometheus annotations)
  {"kind": "variable", "title", "expr", "status", "error", "values"}  (label_values queries)
Panels are read at the range start..end with the step (query_range), or at end when the
target is instant; annotations as ranges too, like Grafana. Standard library only.
"""
import argparse
import json
import math
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

VAR_REF = re.compile(r"\$\{(\w+)\}|\$(\w+)|\[\[(\w+)\]\]")
REGEX_SPECIAL = re.compile(r"[\\$^*{}\[\]+?.()|]")


def grafana_value(variable, picked):
    """The text Grafana puts in a Prometheus query for a variable's picked value."""
    if variable.get("type") not in ("query", "custom", "datasource"):
        return picked
    if picked == "$__all":
        return variable.get("allValue") or ".*"
    if variable.get("multi") or variable.get("includeAll"):
        return REGEX_SPECIAL.sub(lambda m: "\\" + m.group(0), picked)
    return picked


def interpolate(text, values):
    missing = []

    def one(m):
        name = m.group(1) or m.group(2) or m.group(3)
        if name in values:
            return values[name]
        missing.append(name)
        return m.group(0)

    out = VAR_REF.sub(one, text)
    return out, missing


def prometheus(base, path, params, method="POST"):
    query = urllib.parse.urlencode(params, doseq=True)
    if method == "GET":
        request = urllib.request.Request(f"{base}{path}?{query}")
    else:
        request = urllib.request.Request(base + path, data=query.encode())
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            body = json.load(r)
    except urllib.error.HTTPError as e:
        try:
            body = json.load(e)
        except ValueError:
            return {"status": "error", "error": f"HTTP {e.code}"}
    except (urllib.error.URLError, OSError, ValueError) as e:
        return {"status": "error", "error": str(e)}
    return body


def number(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def summarize(body, instant):
    series = []
    for s in body.get("data", {}).get("result", []):
        points = [s["value"]] if instant else s.get("values", [])
        values = [x for x in (number(p[1]) for p in points) if x is not None]
        series.append(
            {"labels": s.get("metric", {}), "max": max(values) if values else None, "points": len(points)}
        )
    return series


def run_query(args, expr, instant):
    if instant:
        body = prometheus(args.url, "/api/v1/query", {"query": expr, "time": args.end})
    else:
        body = prometheus(
            args.url,
            "/api/v1/query_range",
            {"query": expr, "start": args.start, "end": args.end, "step": args.step},
        )
    result = {"status": body.get("status", "error"), "error": body.get("error")}
    if result["status"] == "success":
        result["series"] = summarize(body, instant)
    return result


LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?:(.*\S)\s*,\s*)?(\w+)\s*\)\s*$")


def run_variable(args, query):
    m = LABEL_VALUES.match(query)
    if not m:
        return {"status": "error", "error": "not a label_values() query"}
    selector, label = m.group(1), m.group(2)
    params = {"start": args.start, "end": args.end}
    if selector:
        params["match[]"] = selector
    body = prometheus(args.url, f"/api/v1/label/{label}/values", params, "GET")
    result = {"status": body.get("status", "error"), "error": body.get("error")}
    if result["status"] == "success":
        result["values"] = body.get("data", [])
    return result


def panels_of(dashboard):
    for p in dashboard.get("panels", []):
        yield p
        yield from p.get("panels", [])


def emit(record):
    print(json.dumps(record, sort_keys=True))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dashboard")
    ap.add_argument("url")
    ap.add_argument("--start", required=True)
    ap.add_argument("--end", required=True)
    ap.add_argument("--step", default="1")
    ap.add_argument("--var", action="append", default=[])
    args = ap.parse_args()
    args.url = args.url.rstrip("/")

    with open(args.dashboard, encoding="utf-8") as f:
        dashboard = json.load(f)
    picked = dict(v.split("=", 1) for v in args.var)
    variables = {v["name"]: v for v in dashboard.get("templating", {}).get("list", [])}
    values = {}
    for name, value in picked.items():
        values[name] = grafana_value(variables[name], value) if name in variables else value

    def evaluate(kind, title, expr, instant, extra):
        expr_in, missing = interpolate(expr, values)
        record = {"kind": kind, "title": title, "expr": expr_in, "instant": instant}
        record.update(extra)
        if missing:
            record.update(status="error", error="undefined variables: " + ", ".join(sorted(set(missing))))
        elif kind == "variable":
            record.update(run_variable(args, expr_in))
        else:
            record.update(run_query(args, expr_in, instant))
        emit(record)

    for name, v in variables.items():
        if v.get("type") == "query":
            query = v["query"]["query"] if isinstance(v.get("query"), dict) else v.get("query", "")
            evaluate("variable", name, query, False, {})
    for a in dashboard.get("annotations", {}).get("list", []):
        if (a.get("datasource") or {}).get("type") == "prometheus":
            evaluate("annotation", a.get("name"), a.get("expr", ""), False, {})
    for p in panels_of(dashboard):
        for t in p.get("targets", []):
            evaluate(
                "panel",
                p.get("title"),
                t.get("expr", ""),
                bool(t.get("instant")) and not t.get("range"),
                {"ref": t.get("refId"), "type": p.get("type")},
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
