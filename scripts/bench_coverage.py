#!/usr/bin/env python3
"""Coverage benchmark: RegTAP 1.2 sky, time and energy conditions on a registry of N resources.

The registry holds N synthetic public assets (../shared/tools/gen_corpus.py: about 60 % of its
datasets and volumes carry a sky circle and a time interval), ingested with the release build
(kept under --work and reused; the ingest time is printed when it runs). Starts `orrery serve`
(on SQLite, or on PostgreSQL with --database-url), waits for the rr tables, then measures over
loopback:

- each coverage condition alone, as ADQL over /tap/sync (the smallest answer: the identifiers):
  INTERSECTS and CONTAINS of MOC(6, CIRCLE) against rr.stc_spatial, ivo_interval_overlaps on
  rr.stc_temporal and rr.stc_spectral, for seeded random cones and intervals;
- pyvo's registry.search with Spatial + Temporal + Spectral + a keyword, end to end.

Usage: scripts/bench_coverage.py [N] [--work DIR] [--rounds R] [--database-url URL]
"""
import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ROOT, corpus, release_binary, serve  # noqa: E402


def percentiles(times):
    times = sorted(times)
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], times[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=30_000)
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "bench"))
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--database-url")
    args = ap.parse_args()
    orrery = release_binary()
    os.makedirs(args.work, exist_ok=True)
    path = corpus(os.path.join(args.work, f"corpus-public-{args.n}.jsonl"), args.n,
                  "--private-share", "0")
    data = os.path.join(args.work, f"coverage-data-{args.n}")
    if not os.path.exists(os.path.join(data, "index")):
        shutil.rmtree(data, ignore_errors=True)
        t0 = time.monotonic()
        out = subprocess.run([orrery, "ingest", "--batch", "5000", "--data", data, path],
                             check=True, capture_output=True, text=True,
                             env=dict(os.environ, RUST_LOG="warn"))
        print(out.stdout.strip().splitlines()[-1])
        print(f"ingest of {args.n} assets (sky circles and time intervals on about a third): "
              f"{time.monotonic() - t0:.1f} s")
    extra = ["--database-url", args.database_url] if args.database_url else []
    t0 = time.monotonic()
    server, base = serve(orrery, data, *extra)
    print(f"service up (rr tables built or caught up) in {time.monotonic() - t0:.1f} s"
          f" on {'PostgreSQL' if extra else 'SQLite'}")
    tap = base + "/tap"
    rng = random.Random(42)
    # A first start on a large catalogue builds the rr tables in the background: wait for them.
    t0 = time.monotonic()
    while b"<vosi:available>true" not in urllib.request.urlopen(tap + "/availability").read():
        time.sleep(1)
    print(f"rr tables complete after a further {time.monotonic() - t0:.1f} s")

    def adql(query):
        body = urllib.parse.urlencode({"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": query,
                                       "RESPONSEFORMAT": "csv", "MAXREC": "100000"}).encode()
        t = time.perf_counter()
        with urllib.request.urlopen(tap + "/sync", body, timeout=120) as r:
            rows = r.read().decode().count("\n") - 1
        return (time.perf_counter() - t) * 1000, rows

    try:
        print("rr.stc_spatial rows: " + urllib.request.urlopen(
            tap + "/sync?" + urllib.parse.urlencode({
                "REQUEST": "doQuery", "LANG": "ADQL", "RESPONSEFORMAT": "csv",
                "QUERY": "SELECT COUNT(*) FROM rr.stc_spatial"})).read().decode().split()[-1])
        kinds = {
            "INTERSECTS(coverage, MOC(6, CIRCLE)) r 0.5-5 deg":
                lambda: "SELECT ivoid FROM rr.stc_spatial WHERE 1 = INTERSECTS(coverage, "
                        f"MOC(6, CIRCLE({rng.uniform(0, 360):.4f}, {rng.uniform(-80, 80):.4f}, "
                        f"{rng.uniform(0.5, 5):.3f})))",
            "CONTAINS(MOC(6, POINT), coverage)":
                lambda: "SELECT ivoid FROM rr.stc_spatial WHERE 1 = CONTAINS(MOC(6, POINT("
                        f"{rng.uniform(0, 360):.4f}, {rng.uniform(-80, 80):.4f})), coverage)",
            "CONTAINS(coverage, MOC(6, CIRCLE)) r 10-30 deg":
                lambda: "SELECT ivoid FROM rr.stc_spatial WHERE 1 = CONTAINS(coverage, "
                        f"MOC(6, CIRCLE({rng.uniform(0, 360):.4f}, {rng.uniform(-60, 60):.4f}, "
                        f"{rng.uniform(10, 30):.3f})))",
            "ivo_interval_overlaps on stc_temporal (one year)":
                lambda: (lambda s: "SELECT ivoid FROM rr.stc_temporal WHERE 1 = "
                         f"ivo_interval_overlaps(time_start, time_end, {s}, {s + 365})")(
                             rng.uniform(48000, 61000)),
        }
        for label, make in kinds.items():
            adql(make())
            times, found = [], []
            for _ in range(args.rounds):
                ms, rows = adql(make())
                times.append(ms)
                found.append(rows)
            p50, p95, top = percentiles(times)
            print(f"{label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {top:.1f} ms over "
                  f"{len(times)} queries; median {statistics.median(found):.0f} found "
                  "(HTTP round trip, CSV)")

        # The search API: the same words with and without a cone, server-side (Server-Timing).
        def api(params):
            url = base + "/api/v1/assets?" + urllib.parse.urlencode(params)
            with urllib.request.urlopen(url) as r:
                timing = r.headers.get("Server-Timing", "search;dur=0")
                r.read()
            return float(timing.split("dur=")[1].split(",")[0])

        words = ["survey", "galaxy", "star", "pulsar", "calibration", "map", "gaia", "images"]
        plain, coned = [], []
        for _ in range(args.rounds):
            for w in words:
                cone = f"{rng.uniform(0, 360):.3f},{rng.uniform(-70, 70):.3f},{rng.uniform(1, 10):.2f}"
                plain.append(api({"q": w}))
                coned.append(api({"q": w, "sky": cone}))
        for label, times in [("q alone", plain), ("q + sky cone", coned)]:
            p50, p95, top = percentiles(times)
            print(f"search API {label}: p50 {p50:.2f} ms, p95 {p95:.2f} ms, max {top:.2f} ms "
                  f"server-side over {len(times)} searches")
        print(f"  ratio of p50s (cone / alone): {statistics.median(coned) / statistics.median(plain):.2f}")

        os.environ["IVOA_REGISTRY"] = tap
        os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp()
        from pyvo import registry
        registry.choose_RegTAP_service(tap)
        registry.search(keywords=["warm"])
        times, found = [], []
        for _ in range(args.rounds):
            ra, dec = rng.uniform(0, 360), rng.uniform(-60, 60)
            start = rng.uniform(49000, 60000)
            t = time.perf_counter()
            res = registry.search(
                registry.Spatial((ra, dec, 5), intersect="overlaps"),
                registry.Temporal((start, start + 2000)),
                registry.Spectral((1e-20, 1e-18), inclusive=True),
                keywords=["survey"])
            times.append((time.perf_counter() - t) * 1000)
            found.append(len(res))
        p50, p95, top = percentiles(times)
        print(f"pyvo Spatial+Temporal+Spectral+keyword: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
              f"max {top:.1f} ms over {len(times)} searches; median {statistics.median(found):.0f}"
              " found (end to end)")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
