"""Checks that Grafana dashboards and Prometheus rules only query metrics Encore exports.

Usage: check_metric_names.py SOURCES_DIR FILE...   (FILE: a dashboard .json or a rules .yml)

Exported names are read from the code: every swift-metrics `Counter`, `Timer`, `Gauge`,
`Recorder` or `Meter` label under SOURCES_DIR, plus the ones Hummingbird's MetricsMiddleware
records (read from a package checkout when one exists). swift-prometheus turns a label into a
name by replacing what Prometheus does not allow with `_`, and a Timer into a histogram.
Exit 1 naming each unknown metric and where it is used.
"""

import glob
import json
import os
import re
import sys

import yaml

METRIC_LABEL = re.compile(r'\b(Counter|FloatingPointCounter|Timer|Gauge|Recorder|Meter)\(\s*label:\s*"([^"]+)"')
# Hummingbird 2's MetricsMiddleware (Sources/Hummingbird/Middleware/MetricsMiddleware.swift),
# used when no checkout is around to read them from (a clean clone before `swift build`).
HUMMINGBIRD_METRICS = [("Counter", "hb.requests"), ("Timer", "http.server.request.duration"),
                       ("Counter", "hb.request.errors"), ("Meter", "http.server.active_requests")]
HUMMINGBIRD_SOURCE = ".build*/checkouts/hummingbird/Sources/Hummingbird/Middleware/MetricsMiddleware.swift"
# Series Prometheus itself adds to every scrape.
PROMETHEUS_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool",
                "and", "or", "unless", "offset", "inf", "nan"}


def prometheus_name(label):
    return re.sub(r"[^a-zA-Z0-9_:]", "_", label)


def exported_names(sources_dir):
    """Every metric name the code can emit, histogram series included."""
    found = []
    for path in glob.glob(os.path.join(sources_dir, "**", "*.swift"), recursive=True):
        with open(path, encoding="utf-8") as handle:
            found += METRIC_LABEL.findall(handle.read())
    checkouts = sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(sources_dir)), HUMMINGBIRD_SOURCE)))
    if checkouts:
        with open(checkouts[0], encoding="utf-8") as handle:
            found += METRIC_LABEL.findall(handle.read())
    else:
        found += HUMMINGBIRD_METRICS
    names = set(PROMETHEUS_SERIES)
    for kind, label in found:
        name = prometheus_name(label)
        if kind == "Timer":
            names.update(name + suffix for suffix in ("_bucket", "_sum", "_count"))
        else:
            names.add(name)
    return names


def queried_names(expr):
    """Metric names in a PromQL expression: identifiers that are not functions, keywords,
    label names (inside {...} or by/without/on/ignoring (...)) or durations."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?", expr):
        name, call = match.group(1), match.group(2)
        if not call and name.lower() not in PROMQL_WORDS:
            names.add(name)
    return names


def expressions(path):
    """(where, expr) for every query of a dashboard JSON or a Prometheus rules file."""
    with open(path, encoding="utf-8") as handle:
        if path.endswith(".json"):
            def panels(items):
                for panel in items:
                    yield panel
                    yield from panels(panel.get("panels", []))
            for panel in panels(json.load(handle).get("panels", [])):
                for target in panel.get("targets", []):
                    if "expr" in target:
                        yield f"{path}: panel \"{panel.get('title')}\"", target["expr"]
        else:
            for group in yaml.safe_load(handle).get("groups", []):
                for rule in group.get("rules", []):
                    yield f"{path}: rule {rule.get('alert') or rule.get('record')}", rule["expr"]


def main():
    sources_dir, files = sys.argv[1], sys.argv[2:]
    known = exported_names(sources_dir)
    unknown = []
    count = 0
    for path in files:
        for where, expr in expressions(path):
            count += 1
            unknown += [f"{where}: {name}" for name in sorted(queried_names(expr) - known)]
    if count == 0:
        print("check_metric_names: no queries found in " + " ".join(files), file=sys.stderr)
        return 1
    for line in unknown:
        print("unknown metric: " + line, file=sys.stderr)
    if unknown:
        return 1
    print(f"check_metric_names: {count} queries use only exported metrics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
