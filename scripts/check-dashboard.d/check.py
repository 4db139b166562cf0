"""The checks of scripts/check-dashboard (which finds Chromium and the page, then runs this).

  python3 scripts/check-dashboard.d/check.py PAGE CHROMIUM

Serves PAGE at /dashboard and a fixed sample report at /lag, renders it in headless CHROMIUM
(--dump-dom) and checks the DOM against the sample; exits 1 if any check failed.
"""
import json, os, re, subprocess, sys, tempfile, threading, time
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE, CHROMIUM = sys.argv[1], sys.argv[2]
G1, G2 = "encore.projector.users", "encore.projector.releases"

# ---- the fixed sample report: two groups, 3 + 2 partitions, nulls, floats, big numbers ----
def sample_report():
    history = []
    for i in range(30):  # one sample a second up to generatedAt, newest last
        history.append({"at": "2026-11-29T09:49:%02dZ" % (30 + i), "groups": {
            G1: {"lag": 10 + (i * 37) % 90, "lagSeconds": round(0.1 + (i % 7) * 0.15, 2), "rate": 1000.0 + i * 12.5},
            G2: {"lag": 1500 + i * 40, "lagSeconds": None if i == 12 else 2.0 + i * 0.5, "rate": 40.0 + (i % 5)},
        }})
    return {
        "generatedAt": "2026-11-29T09:50:00.123Z",
        "windowSeconds": 30,
        "groups": [
            {"group": G1, "projection": "users", "namespace": "main", "topic": "encore.users",
             "status": "OK", "lag": 12, "lagSeconds": 0.4, "rate": 1234.5, "members": 1,
             "partitions": [
                 {"partition": 0, "checkpoint": 100, "committed": 100, "logEnd": 112, "lag": 12, "lagSeconds": 0.4, "rate": 10.0, "status": "OK"},
                 {"partition": 1, "checkpoint": 1234567, "committed": 1234560, "logEnd": 1234567, "lag": 0, "lagSeconds": 0.0, "rate": 1224.5, "status": "OK"},
                 {"partition": 2, "checkpoint": 0, "committed": None, "logEnd": 0, "lag": 0, "lagSeconds": None, "rate": 0.0, "status": "OK"},
             ]},
            {"group": G2, "projection": "releases", "namespace": "r20261129t095000", "topic": "encore.releases",
             "status": "WARN", "lag": 2660, "lagSeconds": 16.25, "rate": 44.0, "members": 2,
             "partitions": [
                 {"partition": 0, "checkpoint": 9000000000, "committed": 8999998000, "logEnd": 9000002600, "lag": 2600, "lagSeconds": 16.25, "rate": 44.0, "status": "WARN"},
                 {"partition": 1, "checkpoint": 5000, "committed": 5000, "logEnd": 5060, "lag": 60, "lagSeconds": None, "rate": None, "status": "STALLED"},
             ]},
        ],
        "replays": [
            {"namespace": "r20261129t095000", "projection": "users", "state": "building", "done": 500, "total": 1000,
             "rate": 100000.0, "etaSeconds": 0.005, "updatedAt": "2026-11-29T09:50:00Z"},
        ],
        "history": history,
    }

# ---- a tiny server: /dashboard -> the page, /lag -> the report (or 503 after `ok_answers`) ----
class State:
    report, ok_answers, lag_hits = None, None, 0

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/dashboard":
            self.reply(200, "text/html; charset=utf-8", open(PAGE, "rb").read())
        elif path == "/lag":
            State.lag_hits += 1
            if State.ok_answers is not None and State.lag_hits > State.ok_answers:
                self.reply(503, "application/json", b'{"error":"unavailable"}')
            else:
                self.reply(200, "application/json", json.dumps(State.report).encode())
        else:
            self.reply(404, "text/plain", b"not found")
    def reply(self, code, ctype, body):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
PORT = server.server_address[1]

# ---- DOM dump -> a small tree (Chromium's serialisation is well formed) ----
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children, self.parts = tag, dict(attrs), parent, [], []
    def text(self):
        return "".join(p if isinstance(p, str) else p.text() for p in self.parts)
    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

class TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__()
        self.root = self.cur = Node("#root", {}, None)
    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n); self.cur.parts.append(n)
        if tag not in VOID:
            self.cur = n
    def handle_startendtag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n); self.cur.parts.append(n)
    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent
    def handle_data(self, data):
        self.cur.parts.append(data)

def render(report, ok_answers=None):
    State.report, State.ok_answers, State.lag_hits = report, ok_answers, 0
    with tempfile.TemporaryDirectory(prefix="check-dashboard-") as profile:
        cmd = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--user-data-dir=" + profile, "--virtual-time-budget=5000", "--dump-dom",
               "http://127.0.0.1:%d/dashboard" % PORT]
        started = time.monotonic()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            sys.exit("check-dashboard: chromium did not finish within 120 s")
        took = time.monotonic() - started
    if proc.returncode != 0 or "<body" not in proc.stdout:
        sys.stderr.write(proc.stderr[-4000:])
        sys.exit("check-dashboard: chromium failed (exit %d, %d bytes of DOM)" % (proc.returncode, len(proc.stdout)))
    tb = TreeBuilder(); tb.feed(proc.stdout); tb.close()
    print("  chromium: %.1f s wall, /lag requested %d times" % (took, State.lag_hits))
    return list(tb.root.walk())

# ---- checks ----
failures, passes = [], 0
def check(ok, what):
    global passes
    if ok:
        passes += 1
    else:
        failures.append(what); print("  FAIL " + what)

def same(dv, expected):
    """data-value (a string) against the JSON value: numbers numerically, null as "null"."""
    if expected is None:
        return dv == "null"
    if isinstance(expected, str):
        return dv == expected
    try:
        return float(dv) == float(expected)
    except (TypeError, ValueError):
        return False

def find(nodes, **want):
    return [n for n in nodes if all(n.attrs.get(k) == v for k, v in want.items())]

def check_fields(nodes, keys, obj, fields, label):
    for f in fields:
        hits = [n for n in find(nodes, **keys, **{"data-field": f})
                if ("data-partition" in keys) or "data-partition" not in n.attrs]
        if len(hits) != 1:
            check(False, "%s %s: expected 1 element, found %d" % (label, f, len(hits))); continue
        dv = hits[0].attrs.get("data-value")
        check(same(dv, obj[f]), "%s %s: data-value %r, sample %r" % (label, f, dv, obj[f]))
        check(hits[0].text().strip() != "", "%s %s: empty text" % (label, f))

def body_of(nodes):
    return next(n for n in nodes if n.tag == "body")

report = sample_report()
print("run 1: full sample report (%d groups, %d partitions, %d replay, %d history samples) on port %d" % (
    len(report["groups"]), sum(len(g["partitions"]) for g in report["groups"]),
    len(report["replays"]), len(report["history"]), PORT))
nodes = render(report)
body = body_of(nodes)
check(body.attrs.get("data-loaded") == "true", "body data-loaded=%r, want 'true'" % body.attrs.get("data-loaded"))
check(body.attrs.get("data-generated-at") == report["generatedAt"],
      "body data-generated-at=%r, want %r" % (body.attrs.get("data-generated-at"), report["generatedAt"]))
for g in report["groups"]:
    check_fields(nodes, {"data-group": g["group"]}, g, ["lag", "lagSeconds", "rate", "status", "members"], g["group"])
    for p in g["partitions"]:
        check_fields(nodes, {"data-group": g["group"], "data-partition": str(p["partition"])}, p,
                     ["checkpoint", "committed", "logEnd", "lag", "lagSeconds", "rate", "status"],
                     "%s[%d]" % (g["group"], p["partition"]))
print("  checked %d group fields and %d partition fields" % (
    5 * len(report["groups"]), 7 * sum(len(g["partitions"]) for g in report["groups"])))

for chart in ["lag", "lagSeconds", "rate"]:
    svgs = find(nodes, **{"data-chart": chart})
    if len(svgs) != 1 or svgs[0].tag != "svg":
        check(False, "chart %s: expected one <svg data-chart>, found %d" % (chart, len(svgs))); continue
    for g in report["groups"]:
        lines = [n for n in svgs[0].walk() if n.tag in ("path", "polyline") and n.attrs.get("data-group") == g["group"]]
        pts = len(re.findall(r"[ML]", lines[0].attrs.get("d", ""))) if lines else 0
        check(pts >= 2, "chart %s, group %s: a drawn line with >= 2 points (found %d paths, %d points)" % (
            chart, g["group"], len(lines), pts))
    print("  chart %-10s: %d series drawn" % (chart, sum(1 for n in svgs[0].walk() if n.tag in ("path", "polyline"))))

for r in report["replays"]:
    rows = [n for n in find(nodes, **{"data-replay": r["namespace"], "data-projection": r["projection"]}) if n.tag == "tr"]
    if len(rows) != 1:
        check(False, "replay %s/%s: expected 1 row, found %d" % (r["namespace"], r["projection"], len(rows))); continue
    row = list(rows[0].walk())
    check_fields(row, {}, r, ["state", "done", "total", "rate", "etaSeconds"], "replay %s" % r["namespace"])
    shown = "%s / %s" % (format(r["done"], ","), format(r["total"], ","))
    check(shown in rows[0].text(), "replay row text shows %r (row text: %r)" % (shown, rows[0].text()))
    print("  replay %s/%s shows %r" % (r["namespace"], r["projection"], shown))
banner = find(nodes, id="error")
check(len(banner) == 1 and "hidden" in banner[0].attrs, "error banner hidden while /lag answers")

print("run 2: /lag answers once (no replays), then 503")
report2 = dict(sample_report(), replays=[])
nodes = render(report2, ok_answers=1)
body = body_of(nodes)
check(body.attrs.get("data-loaded") == "true", "run 2: body data-loaded after first answer")
banner = find(nodes, id="error")
check(len(banner) == 1 and "hidden" not in banner[0].attrs and "503" in banner[0].text(),
      "run 2: error banner visible and names HTTP 503 (got %r)" % (banner[0].text() if banner else None))
check_fields(nodes, {"data-group": G1}, report2["groups"][0], ["lag", "rate"], "run 2: stale " + G1)
replays = find(nodes, id="replays")
check(bool(replays) and "No replay in progress" in replays[0].text(), "run 2: 'No replay in progress' shown")
if banner:
    print("  banner: %r" % banner[0].text().strip())

server.shutdown()
print("%d passed, %d failed" % (passes, len(failures)))
sys.exit(1 if failures else 0)
