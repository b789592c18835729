#!/usr/bin/env python3
"""Portal benchmark: what a person's browser gets, beside the JSON API on the same queries.

1. Generates N assets with a query log (../shared/tools/gen_corpus.py --queries) and ingests
   them with the release build (kept under --work, reused when present).
2. Starts `orrery serve --no-tap` and, for every query of the log, asks the JSON API and the
   search page alternately, reading the server-side time of each from `Server-Timing`: p50 and
   p99 of both and of their per-query difference (the page's cost beyond the search).
3. The first response of `/?q=gaia` gzipped (bytes on the wire, with its hit and facet counts),
   and the stylesheet and script gzipped.
4. With --lighthouse: Lighthouse (npm `lighthouse`, pinned, on the system Chromium) on the search
   page and an asset page: performance, accessibility, best practices and SEO scores.

Usage: scripts/bench_portal.py [N] [--queries 1000] [--work DIR] [--lighthouse]
"""
import argparse
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ROOT, release_binary, serve  # noqa: E402

LIGHTHOUSE = "12.2.3"


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def report(rows, width=12):
    """Prints p50, p99 and mean of each (name, values) row."""
    for name, xs in rows:
        print(f"  {name:{width}} p50 {percentile(xs, 50):7.2f}  p99 {percentile(xs, 99):7.2f}"
              f"  mean {statistics.mean(xs):7.2f}")


def paired(queries, first, second):
    """Asks each query of the log two ways alternately, twice over (the first pass warms the
    caches); returns the second pass's times of each and their per-query difference."""
    a_ms, b_ms = [], []
    for entry in queries * 2:
        qs = params(entry)
        a_ms.append(first(qs))
        b_ms.append(second(qs))
    a_ms, b_ms = a_ms[len(queries):], b_ms[len(queries):]
    return a_ms, b_ms, [b - a for a, b in zip(a_ms, b_ms)]


def timing(headers, name):
    for part in headers.get("server-timing", "").split(","):
        m = re.match(rf"\s*{name};dur=([0-9.]+)", part)
        if m:
            return float(m.group(1))
    raise SystemExit(f"no Server-Timing {name} in {headers}")


def get(url, gz=False):
    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gz else {})
    with urllib.request.urlopen(req) as r:
        return {k.lower(): v for k, v in r.headers.items()}, r.read()


def params(entry):
    out = []
    if entry.get("q"):
        out.append(("q", entry["q"]))
    for facet, values in entry.get("filters", []):
        out += [(facet, v) for v in (values if isinstance(values, list) else [values])]
    return urllib.parse.urlencode(out)


def lighthouse(base, work):
    prefix = os.path.join(work, "npm-lighthouse")
    cli = os.path.join(prefix, "node_modules", ".bin", "lighthouse")
    if not os.path.exists(cli):
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", prefix,
                        f"lighthouse@{LIGHTHOUSE}"], check=True)
    flags = ("--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run "
             "--disable-background-networking --disable-component-update --disable-sync")
    for path in ["/?q=gaia", "/assets/" + first_asset(base)]:
        out = os.path.join(work, "lighthouse.json")
        subprocess.run([cli, base + path, "--quiet", "--output=json", f"--output-path={out}",
                        "--only-categories=performance,accessibility,best-practices,seo",
                        f"--chrome-flags={flags}"],
                       check=True, env=dict(os.environ, CHROME_PATH="/usr/bin/chromium"))
        with open(out) as f:
            report = json.load(f)
        scores = {k: round(v["score"] * 100) for k, v in report["categories"].items()}
        print(f"lighthouse {path}: {scores}")


def first_asset(base):
    _, body = get(base + "/api/v1/assets?q=gaia&limit=1")
    return json.loads(body)["hits"][0]["id"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=1_000_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "bench"))
    ap.add_argument("--lighthouse", action="store_true")
    args = ap.parse_args()
    orrery = release_binary()
    os.makedirs(args.work, exist_ok=True)
    corpus = os.path.join(args.work, f"corpus-{args.n}.jsonl")
    log = os.path.join(args.work, f"queries-{args.n}.jsonl")
    gen = os.path.join(ROOT, "..", "shared", "tools", "gen_corpus.py")
    if not os.path.exists(corpus) or not os.path.exists(log):
        subprocess.run([sys.executable, gen, str(args.n), "--out", corpus,
                        "--queries", str(args.queries), "--queries-out", log], check=True)
    data = os.path.join(args.work, f"data-{args.n}")
    if not os.path.exists(os.path.join(data, "index")):
        shutil.rmtree(data, ignore_errors=True)
        t0 = time.monotonic()
        subprocess.run([orrery, "ingest", "--data", data, corpus], check=True,
                       env=dict(os.environ, RUST_LOG="warn"))
        print(f"ingested {args.n} assets in {time.monotonic() - t0:.0f} s")
    with open(log) as f:
        queries = [json.loads(line) for line in f][: args.queries]

    server, base = serve(orrery, data, "--no-tap")
    try:
        api_ms, page_ms, diff = paired(
            queries,
            lambda qs: timing(get(f"{base}/api/v1/assets?{qs}&limit=20")[0], "search"),
            lambda qs: timing(get(f"{base}/?{qs}")[0], "page"))
        print(f"{args.n} assets, {len(queries)} queries of the generator's log, server-side ms:")
        report([("JSON API", api_ms), ("search page", page_ms), ("page - API", diff)])

        headers, body = get(base + "/?q=gaia", gz=True)
        html = gzip.decompress(body).decode() if headers.get("content-encoding") == "gzip" else body.decode()
        hits = html.count('<article class="hit')
        facets = html.count('<section class="facet"')
        print(f"/?q=gaia: {len(body)} bytes gzipped ({len(html)} bytes of HTML), {hits} hits, "
              f"{facets} facets, content-encoding {headers.get('content-encoding')}")
        for path in re.findall(r'(/static/portal\.[0-9a-f]+\.(?:css|js))', html):
            h, b = get(base + path, gz=True)
            print(f"{path}: {len(b)} bytes gzipped, cache-control {h.get('cache-control')}")
        if args.lighthouse:
            lighthouse(base, args.work)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
