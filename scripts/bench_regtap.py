#!/usr/bin/env python3
"""RegTAP benchmark: pyvo keyword searches against a registry of about 30,000 resources.

The registry holds the real VOResource records of ../shared/corpus/voresource (50 resources)
plus N synthetic public assets (../shared/tools/gen_corpus.py; every asset is a VOResource
record, so a resource of the registry), ingested with the release build (kept under --work and
reused). Starts `orrery serve`, waits for the rr tables, then runs pyvo's
`registry.search(keywords=[w])` — exactly the query pyvo sends — for a mix of words of every
selectivity, end to end over loopback, and prints the median and p95 per search, the number of
resources found, and the figures of the other constraint kinds.

Usage: scripts/bench_regtap.py [N] [--work DIR] [--rounds R]
"""
import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ROOT, corpus, release_binary, serve  # noqa: E402

# Words as selective as real registry searches mostly are (a few to a few dozen resources: the
# corpus records' own words), and the synthetic catalogue's words, each of which is in about
# half of its 30,000 descriptions (so each such search returns some 15,000 resources).
SELECTIVE = ["BIMA", "RegTAP", "ConeSearch", "vospace", "epn", "millimeter", "authority",
             "photometric", "zzzunknown"]
COMMON = ["galaxy", "quasar", "spectroscopy", "exoplanet", "pulsar"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=30_000)
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "bench"))
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    orrery = release_binary()
    os.makedirs(args.work, exist_ok=True)
    path = corpus(os.path.join(args.work, f"corpus-public-{args.n}.jsonl"), args.n,
                  "--private-share", "0")
    data = os.path.join(args.work, f"regtap-data-{args.n}")
    shared = os.path.join(ROOT, "..", "shared", "corpus", "voresource")
    if not os.path.exists(os.path.join(data, "index")):
        shutil.rmtree(data, ignore_errors=True)
        records = sorted(glob.glob(os.path.join(shared, "*.xml")))
        subprocess.run([orrery, "ingest", "--data", data, *records,
                        os.path.join(shared, "rofr-standards")],
                       env=dict(os.environ, RUST_LOG="warn"))
        subprocess.run([orrery, "ingest", "--batch", "5000", "--data", data, path], check=True,
                       env=dict(os.environ, RUST_LOG="warn"))
    t0 = time.monotonic()
    server, base = serve(orrery, data)
    print(f"service up (rr tables built or caught up) in {time.monotonic() - t0:.1f} s")
    try:
        tap = base + "/tap"
        os.environ["IVOA_REGISTRY"] = tap
        os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp()
        import pyvo
        from pyvo import registry
        registry.choose_RegTAP_service(tap)
        svc = pyvo.dal.TAPService(tap)
        total = int(svc.run_sync("SELECT COUNT(*) AS n FROM rr.resource")["n"][0])
        print(f"registry: {total} resources in rr.resource (pyvo {pyvo.__version__})")
        registry.search(keywords=["warm"])  # first call reads the capabilities
        for label, words in [("selective", SELECTIVE), ("common", COMMON)]:
            times, found = [], {}
            for _ in range(args.rounds):
                for w in words:
                    t = time.perf_counter()
                    res = registry.search(keywords=[w])
                    times.append((time.perf_counter() - t) * 1000)
                    found[w] = len(res)
            times.sort()
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            print(f"pyvo registry.search(keywords=[w]), {label} words, {len(times)} searches: "
                  f"p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms "
                  "(end to end over loopback)")
            print("  resources found per word: " + ", ".join(f"{w} {n}" for w, n in found.items()))
        for label, kw in [("servicetype='tap'", dict(servicetype="tap")),
                          ("author='%Crutcher%'", dict(author="%Crutcher%")),
                          ("ivoid", dict(ivoid="ivo://bima.ncsa/bima")),
                          ("keywords=['galaxy', 'survey']", dict(keywords=["galaxy", "survey"]))]:
            ts = []
            for _ in range(args.rounds):
                t = time.perf_counter()
                n = len(registry.search(**kw))
                ts.append((time.perf_counter() - t) * 1000)
            print(f"pyvo registry.search({label}): p50 {statistics.median(ts):.1f} ms, {n} found")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
