#!/usr/bin/env python3
"""Bulk-ingest benchmark: N synthetic assets through `orrery ingest`, every projection caught up.

Prints assets/s and peak RSS of the ingest, then oxigraph's own bulk loader on the same quads
(the store's speed limit) and the ratio, then cold start to healthy of `orrery serve` on the
loaded catalogue. Uses the release build.

Usage: scripts/bench_ingest.py [N] [--work DIR]
"""
import argparse
import os
import shutil
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, **kw):
    """Runs a command; returns (seconds, peak RSS in MiB, stdout)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, **kw)
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    secs = time.monotonic() - start
    if status != 0:
        sys.exit(f"{cmd[0]} failed ({status}):\n{out}")
    return secs, usage.ru_maxrss / 1024, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=1_000_000)
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "bench-ingest"))
    args = ap.parse_args()
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    subprocess.run(["cargo", "build", "--release", "--bin", "orrery", "--example", "bulk_load"], cwd=ROOT, check=True)
    orrery = os.path.join(target, "release", "orrery")
    bulk = os.path.join(target, "release", "examples", "bulk_load")
    os.makedirs(args.work, exist_ok=True)
    corpus = os.path.join(args.work, f"corpus-{args.n}.jsonl")
    if not os.path.exists(corpus):
        gen = os.path.join(ROOT, "..", "shared", "tools", "gen_corpus.py")
        subprocess.run([sys.executable, gen, str(args.n), "--out", corpus], check=True)
    data = os.path.join(args.work, "data")
    shutil.rmtree(data, ignore_errors=True)
    env = dict(os.environ, RUST_LOG="warn")

    secs, rss, out = run([orrery, "ingest", "--data", data, corpus], env=env)
    print(out.strip())
    print(f"orrery ingest: {args.n} assets in {secs:.1f} s = {args.n / secs:.0f} assets/s, peak RSS {rss:.0f} MiB")

    nq = os.path.join(args.work, "all.nq")
    with open(nq, "w") as f:
        subprocess.run([orrery, "export", "--data", data, "--format", "nq"], stdout=f, env=env, check=True)
    bulk_dir = os.path.join(args.work, "bulk")
    shutil.rmtree(bulk_dir, ignore_errors=True)
    bsecs, brss, bout = run([bulk, nq, bulk_dir])
    print(bout.strip())
    with open(nq, "rb") as f:
        quads = sum(1 for _ in f)
    print(f"oxigraph bulk loader: {quads} quads in {bsecs:.1f} s = {args.n / bsecs:.0f} assets/s, peak RSS {brss:.0f} MiB")
    print(f"ratio orrery ingest / bulk loader time: {secs / bsecs:.2f}x")

    port = 18000 + os.getpid() % 1000
    start = time.monotonic()
    server = subprocess.Popen([orrery, "serve", "--data", data, "--addr", f"127.0.0.1:{port}", "--no-demo"], env=env)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() - start > 60:
                sys.exit("serve did not become healthy")
            time.sleep(0.01)
        print(f"cold start to healthy with {args.n} assets: {time.monotonic() - start:.2f} s")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
