#!/usr/bin/env python3
"""OAI-PMH harvest benchmark: a full ListRecords (ivo_vor) of N synthetic assets over loopback.

Generates N assets (../shared/tools/gen_corpus.py), ingests them with the release build (kept
under --work, reused when present), starts `orrery serve` and harvests every page, following the
resumption tokens the way a registry harvester does. Prints records/s, the number of pages,
the median page time and the server's RSS sampled after every page (flat memory means the
server does not hold the harvest). Each page is checked to be a complete OAI-PMH document.

Usage: scripts/bench_oai.py [N] [--work DIR] [--page 1000]
"""
import argparse
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
from benchlib import ROOT, corpus, release_binary, rss_mib, serve  # noqa: E402

TOKEN = re.compile(r"<resumptionToken[^>]*>([^<]+)</resumptionToken>")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=100_000)
    ap.add_argument("--page", type=int, default=1000)
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "bench"))
    args = ap.parse_args()
    orrery = release_binary()
    os.makedirs(args.work, exist_ok=True)
    # Every generated asset public, so that N assets are N records.
    path = corpus(os.path.join(args.work, f"corpus-public-{args.n}.jsonl"), args.n,
                  "--private-share", "0")
    data = os.path.join(args.work, f"oai-data-public-{args.n}")
    if not os.path.exists(os.path.join(data, "index")):
        shutil.rmtree(data, ignore_errors=True)
        t0 = time.monotonic()
        subprocess.run([orrery, "ingest", "--batch", "5000", "--data", data, path], check=True,
                       env=dict(os.environ, RUST_LOG="warn"))
        print(f"ingested {args.n} assets in {time.monotonic() - t0:.0f} s")
    server, base = serve(orrery, data, "--oai-page-size", str(args.page))
    try:
        # Two full harvests: memory that grows in the first and not in the second is cache
        # (bounded), memory that grows in both would be the harvest itself.
        for run in (1, 2):
            query = "verb=ListRecords&metadataPrefix=ivo_vor"
            records = pages = 0
            page_times, rss = [], [rss_mib(server.pid)]
            t0 = time.monotonic()
            while True:
                p0 = time.monotonic()
                with urllib.request.urlopen(f"{base}/oai?{query}", timeout=120) as r:
                    body = r.read().decode("utf-8")
                page_times.append(time.monotonic() - p0)
                if "<error" in body or not body.rstrip().endswith("</OAI-PMH>"):
                    raise SystemExit(f"page {pages + 1} is not a complete answer: {body[:500]}")
                records += body.count("<record>")
                pages += 1
                rss.append(rss_mib(server.pid))
                m = TOKEN.search(body)
                if not m:
                    break
                query = "verb=ListRecords&resumptionToken=" + urllib.parse.quote(m.group(1), safe="")
            elapsed = time.monotonic() - t0
            print(f"harvest {run}: ListRecords ivo_vor: {records} records in {pages} pages, {elapsed:.1f} s "
                  f"= {records / elapsed:.0f} records/s; page median {statistics.median(page_times) * 1000:.0f} ms")
            print(f"harvest {run}: server RSS start {rss[0]:.0f} MiB, min {min(rss):.0f}, "
                  f"max {max(rss):.0f}, end {rss[-1]:.0f} MiB")
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    main()
