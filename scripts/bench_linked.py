#!/usr/bin/env python3
"""Crawler-facing figures at scale: landing pages and the sitemap of N synthetic assets.

Reuses (or builds) the data directory of scripts/bench_search.py (target/bench/data-N), starts
`orrery serve`, then:
- fetches 2,000 random public landing pages one at a time: server time from `Server-Timing`
  (p50/p99) and over loopback;
- streams /sitemap.xml and every part it lists, sampling the server's RSS as it goes;
- times SPARQL `SELECT (COUNT(*) ...)` queries over the public catalogue (median of 5 runs each,
  over loopback, which is where a SPARQL user measures).

Usage: scripts/bench_linked.py [N] [--pages 2000] [--work DIR]
"""
import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ROOT, corpus, release_binary, rss_mib, serve  # noqa: E402



def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=1_000_000)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "bench"))
    args = ap.parse_args()
    orrery = release_binary()
    data = os.path.join(args.work, f"data-{args.n}")
    if not os.path.exists(os.path.join(data, "index")):
        path = corpus(os.path.join(args.work, f"corpus-{args.n}.jsonl"), args.n)
        subprocess.run([orrery, "ingest", "--batch", "5000", "--data", data, path], check=True,
                       env=dict(os.environ, RUST_LOG="warn"))
    t0 = time.monotonic()
    server, base = serve(orrery, data, "--sparql-timeout", "600")
    try:
        print(f"server healthy after {time.monotonic() - t0:.0f} s (projections caught up)")
        # The sitemap, streamed.
        rss = [rss_mib(server.pid)]
        t0 = time.monotonic()
        with urllib.request.urlopen(f"{base}/sitemap.xml", timeout=600) as r:
            index = r.read().decode()
        parts = re.findall(r"<loc>([^<]+)</loc>", index)
        urls = 0
        ids = []
        for p in parts if "<sitemapindex" in index else []:
            # The data directory keeps the base URL it was created with; ask this server.
            p = base + "/sitemaps/" + p.rsplit("/sitemaps/", 1)[1]
            with urllib.request.urlopen(p, timeout=600) as r:
                while True:
                    chunk = r.read(1 << 20)
                    if not chunk:
                        break
                    text = chunk.decode(errors="ignore")
                    urls += text.count("<url>")
                    if len(ids) < 200_000:
                        ids.extend(re.findall(r"/assets/([^<]+)</loc>", text))
                    rss.append(rss_mib(server.pid))
        print(f"sitemap: index of {len(parts)} parts, {urls} URLs in {time.monotonic() - t0:.1f} s; "
              f"server RSS {min(rss):.0f}-{max(rss):.0f} MiB while streaming")
        # Landing pages.
        random.seed(7)
        sample = random.sample(ids, min(args.pages, len(ids)))
        server_ms, client_ms = [], []
        for id_ in sample:
            c0 = time.monotonic()
            with urllib.request.urlopen(f"{base}/assets/{id_}", timeout=30) as r:
                r.read()
                timing = r.headers.get("Server-Timing", "")
            client_ms.append((time.monotonic() - c0) * 1000)
            m = re.search(r"dur=([0-9.]+)", timing)
            if m:
                server_ms.append(float(m.group(1)))
        print(f"landing pages ({len(sample)}): server p50 {statistics.median(server_ms):.2f} ms, "
              f"p99 {pct(server_ms, 99):.2f} ms; over loopback p50 {statistics.median(client_ms):.2f} ms, "
              f"p99 {pct(client_ms, 99):.2f} ms")
        sparql_counts(base)
    finally:
        server.terminate()
        server.wait(timeout=120)


COUNTS = [
    ("public datasets", "SELECT (COUNT(*) AS ?n) WHERE { ?a a esado:Dataset }"),
    ("public assets by type", "SELECT ?t (COUNT(*) AS ?n) WHERE { ?a a ?t FILTER(STRSTARTS(STR(?t), STR(esado:))) } GROUP BY ?t"),
    ("assets with the keyword 'spectroscopy'", "SELECT (COUNT(*) AS ?n) WHERE { ?a dcat:keyword 'spectroscopy' }"),
    ("Gaia datalabs", "SELECT (COUNT(*) AS ?n) WHERE { ?a a esado:Datalab ; esado:mission ?m . ?m skos:prefLabel 'Gaia'@en }"),
    ("all public triples", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"),
]


def sparql_counts(base):
    prefixes = ("PREFIX esado: <https://w3id.org/esado#> PREFIX dcat: <http://www.w3.org/ns/dcat#> "
                "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> ")
    for name, q in COUNTS:
        url = f"{base}/sparql?" + urllib.parse.urlencode({"query": prefixes + q, "format": "tsv"})
        times, answer = [], ""
        for _ in range(5):
            t0 = time.monotonic()
            with urllib.request.urlopen(url, timeout=900) as r:
                answer = r.read().decode()
            times.append(time.monotonic() - t0)
        rows = answer.strip().split("\n")[1:]
        shown = "; ".join(r.replace("\t", " ") for r in rows[:4])
        print(f"SPARQL count, {name}: median {statistics.median(times) * 1000:.0f} ms "
              f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}) -> {shown}")


if __name__ == "__main__":
    main()
