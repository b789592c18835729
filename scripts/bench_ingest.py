#!/usr/bin/env python3
"""Write and projection throughput: N synthetic assets through `orrery ingest`, then a start.

For each binary (side by side, in one run, so that a noisy machine weighs on all alike):
- `orrery ingest` of the corpus into an empty data directory: assets/s and peak RSS;
- `orrery serve` on the result: seconds to the first answer (a search) and to ready
  (`/healthz` 200: every projection, the rr tables included, caught up);
- the rr tables alone: their files removed, seconds from start until `/tap` answers, as
  resources/s;
- `orrery reindex`: its time, per projection where the binary says it.
Then oxigraph's own bulk loader on the same quads (the store's speed limit), when `--bulk`
names the `bulk_load` example binary.

Usage: scripts/bench_ingest.py N [--bin NAME=PATH ...] [--bulk PATH] [--work DIR]
Without --bin, the release build is measured alone.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

ENV = dict(os.environ, RUST_LOG="warn")


def run(cmd):
    """Runs a command; returns (seconds, peak RSS in MiB, stdout)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=ENV)
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    secs = time.monotonic() - start
    if status != 0:
        sys.exit(f"{' '.join(cmd)} failed ({status}):\n{out}")
    return secs, usage.ru_maxrss / 1024, out


def status(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def start(orrery, data, until):
    """Starts `serve`; returns seconds to the first answer of a search and to `until` (a
    function of the base URL that says when to stop waiting)."""
    port = benchlib.free_port()
    base = f"http://127.0.0.1:{port}"
    began = time.monotonic()
    server = subprocess.Popen(
        [orrery, "serve", "--data", data, "--addr", f"127.0.0.1:{port}", "--no-demo"], env=ENV)
    first = None
    try:
        while True:
            if server.poll() is not None:
                sys.exit("the server exited")
            if first is None and status(f"{base}/api/v1/assets?q=galaxy&limit=1") == 200:
                first = time.monotonic() - began
            if first is not None and until(base):
                return first, time.monotonic() - began
            if time.monotonic() - began > 6 * 3600:
                sys.exit("the server never got there")
            time.sleep(0.05)
    finally:
        server.terminate()
        server.wait()


def ready(base):
    return status(f"{base}/healthz") == 200


def tap_answers(base):
    q = urllib.parse.quote("SELECT COUNT(*) FROM rr.resource")
    return status(f"{base}/tap/sync?LANG=ADQL&QUERY={q}") == 200


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--bin", action="append", default=[], help="NAME=PATH")
    ap.add_argument("--bulk", help="the bulk_load example binary")
    ap.add_argument("--work", default=os.path.join(benchlib.ROOT, "target", "bench-ingest"))
    args = ap.parse_args()
    bins = [b.split("=", 1) for b in args.bin] or [["release", benchlib.release_binary()]]
    os.makedirs(args.work, exist_ok=True)
    corpus = benchlib.corpus(os.path.join(args.work, f"corpus-{args.n}.jsonl"), args.n)
    results = {}
    for name, orrery in bins:
        data = os.path.join(args.work, f"data-{name}")
        shutil.rmtree(data, ignore_errors=True)
        r = results[name] = {}
        secs, rss, out = run([orrery, "ingest", "--data", data, corpus])
        r["ingest"] = (secs, rss)
        print(f"[{name}] ingest: {args.n} assets in {secs:.1f} s = {args.n / secs:.0f} assets/s, "
              f"peak RSS {rss:.0f} MiB", flush=True)
        first, ok = start(orrery, data, ready)
        r["start"] = (first, ok)
        print(f"[{name}] start after ingest: first answer {first:.2f} s, ready {ok:.2f} s", flush=True)
        for f in os.listdir(data):
            if f.startswith("regtap.sqlite"):
                os.remove(os.path.join(data, f))
        first, built = start(orrery, data, tap_answers)
        r["rr"] = (first, built)
        print(f"[{name}] rr tables from nothing: first answer {first:.2f} s, /tap answers after "
              f"{built:.1f} s = {args.n / built:.0f} resources/s", flush=True)
        secs, rss, out = run([orrery, "reindex", "--data", data])
        r["reindex"] = secs
        per = re.findall(r"^(.*): rebuilt in ([0-9.]+) s$", out, re.M)
        detail = ", ".join(f"{p} {s} s" for p, s in per) or "no per-projection times"
        print(f"[{name}] reindex: {secs:.1f} s ({detail}), peak RSS {rss:.0f} MiB", flush=True)
    if args.bulk:
        data = os.path.join(args.work, f"data-{bins[-1][0]}")
        nq = os.path.join(args.work, "all.nq")
        with open(nq, "w") as f:
            subprocess.run([bins[-1][1], "export", "--data", data, "--format", "nq"], stdout=f,
                           env=ENV, check=True)
        bulk_dir = os.path.join(args.work, "bulk")
        shutil.rmtree(bulk_dir, ignore_errors=True)
        bsecs, brss, _ = run([args.bulk, nq, bulk_dir])
        print(f"oxigraph bulk loader on the same quads: {bsecs:.1f} s = {args.n / bsecs:.0f} "
              f"assets/s, peak RSS {brss:.0f} MiB")
        for name, r in results.items():
            print(f"[{name}] ingest / bulk loader: {r['ingest'][0] / bsecs:.2f}x; "
                  f"rr build / bulk loader: {r['rr'][1] / bsecs:.2f}x")


if __name__ == "__main__":
    main()
