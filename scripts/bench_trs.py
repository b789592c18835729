#!/usr/bin/env python3
"""Tool registry (GA4GH TRS) benchmark: N pipelines, the listing and a tool over loopback, and
cwltool's fetch-and-validate through the registry against the same files on disk.

1. Generates N synthetic assets (../shared/tools/gen_corpus.py), makes every one a pipeline
   (the generator's text and facets, a CWL workflow's pipeline fields) and ingests them; pushes
   P more as CWL bundles with versions through `POST /api/v1/pipelines` (the Hello_PIPEMAN
   fixture under new ids), so that the listing carries both kinds.
2. Starts `orrery serve` and times, one request at a time over loopback, client-side:
   the first listing (the directory filled from the store), `GET /tools` (a page of 1000, the
   default), `GET /tools?limit=100`, a filtered listing (`toolname=`), one tool, and, side by
   side as the reference, the search API's page of 100 pipelines (`/api/v1/assets?type=Pipeline`)
   on the same server: p50 and p90 of each and the ratio of the TRS page of 100 to it.
3. Runs `cwltool --validate` R times on the pushed three-file workflow through the registry
   (`--add-ga4gh-tool-registry`) and R times on the same files on disk: medians and ratio.

Usage: scripts/bench_trs.py [N] [--pushed P] [--requests K] [--runs R] [--work DIR]
Uses the release build (or ORRERY_BIN).
"""
import argparse
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import corpus, release_binary, serve  # noqa: E402

FIXTURE = os.path.join(ROOT, "fixtures", "cwl", "hello-pipeman")


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def timed(url, headers=None, n=1):
    """Milliseconds of each of n GETs of url (the body read whole)."""
    out = []
    for _ in range(n):
        req = urllib.request.Request(url, headers=headers or {})
        t0 = time.perf_counter()
        with urllib.request.urlopen(req, timeout=120) as r:
            r.read()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def as_pipelines(src, dst):
    """Every generated asset as a pipeline: its text and facets kept, the fields of other types
    dropped, a workflow's pipeline fields added."""
    keep_out = {"datalabImage", "volume", "coverage", "distribution", "analysableWith", "build"}
    with open(src) as f, open(dst, "w") as out:
        for i, line in enumerate(f):
            doc = {k: v for k, v in json.loads(line).items() if k not in keep_out}
            doc["type"] = "Pipeline"
            doc["pipeline"] = {
                "entryPoint": "main.cwl", "cwlVersion": "v1.2", "class": "Workflow",
                "defaultEngine": "cwltool",
                "images": [f"docker.io/library/tool-{i % 50}:1.{i % 7}"],
            }
            out.write(json.dumps(doc) + "\n")


def bundle(i):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in sorted(os.listdir(FIXTURE)):
            z.write(os.path.join(FIXTURE, name), name)
        z.writestr("manifest.json", json.dumps({"id": f"pushed-{i}", "version": "0.0.8",
                                                "versionDescription": "bench"}))
    return buf.getvalue()


def report(name, ms):
    print(f"{name:<44} p50 {statistics.median(ms):8.2f} ms   p90 {percentile(ms, 90):8.2f} ms")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=10_000)
    ap.add_argument("--pushed", type=int, default=50, help="at least 1")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "bench-trs"))
    args = ap.parse_args()
    orrery = release_binary()
    os.makedirs(args.work, exist_ok=True)
    data = os.path.join(args.work, f"data-{args.n}")
    if not os.path.exists(data):
        generated = corpus(os.path.join(args.work, f"corpus-{args.n}.jsonl"), args.n)
        pipelines = os.path.join(args.work, f"pipelines-{args.n}.jsonl")
        as_pipelines(generated, pipelines)
        t0 = time.monotonic()
        subprocess.run([orrery, "ingest", "--batch", "5000", "--data", data, pipelines], check=True,
                       env=dict(os.environ, RUST_LOG="warn"))
        print(f"ingested {args.n} pipelines in {time.monotonic() - t0:.0f} s")
    server, base = serve(orrery, data, "--no-tap")
    try:
        def token(user, role):
            out = subprocess.run([orrery, "token", "create", "--data", data, "--user", user,
                                  "--role", role], check=True, capture_output=True, text=True)
            return {"Authorization": f"Bearer {out.stdout.strip().splitlines()[-1]}"}

        dev, auth = token("bench-dev", "developer"), token("bench-mod", "moderator")

        def call(method, path, headers, body=None):
            req = urllib.request.Request(f"{base}{path}", data=body, method=method, headers=headers)
            with urllib.request.urlopen(req, timeout=120) as r:
                r.read()

        t0 = time.monotonic()
        for i in range(args.pushed):
            call("POST", "/api/v1/pipelines", {**dev, "Content-Type": "application/zip"}, bundle(i))
        if args.pushed:
            print(f"pushed {args.pushed} bundles in {time.monotonic() - t0:.1f} s")
        # The first is published, for cwltool (which reads anonymously).
        call("PATCH", "/api/v1/assets/pushed-0", {**dev, "Content-Type": "application/merge-patch+json"},
             json.dumps({"license": "Apache-2.0"}).encode())
        call("POST", "/api/v1/assets/pushed-0/submit", dev)
        call("POST", "/api/v1/assets/pushed-0/approve", auth)
        trs = f"{base}/ga4gh/trs/v2"
        first = timed(f"{trs}/tools?limit=1", auth)[0]
        print(f"first listing after the pushes (directory brought up to date): {first:.0f} ms")
        words = ["survey", "galaxy", "star", "catalogue", "spectra", "archive", "pipeline"]
        rng = random.Random(1)
        k = args.requests
        listing = timed(f"{trs}/tools", auth, max(20, k // 10))
        page = timed(f"{trs}/tools?limit=100", auth, k)
        filtered = []
        for _ in range(k):
            filtered += timed(f"{trs}/tools?limit=100&toolname={rng.choice(words)}", auth)
        one = timed(f"{trs}/tools/%23workflow%2Fpushed-0", auth, k)
        reference = timed(f"{base}/api/v1/assets?type=Pipeline&limit=100", auth, k)
        with urllib.request.urlopen(urllib.request.Request(f"{trs}/tools?limit=1", headers=auth)) as r:
            total = r.headers["x-total-count"]
        print(f"\n{total} tools listed; {k} requests each, one at a time, client-side:")
        report("GET /tools (page of 1000)", listing)
        report("GET /tools?limit=100", page)
        report("GET /tools?limit=100&toolname=WORD", filtered)
        report("GET /tools/{id}", one)
        report("reference: GET /api/v1/assets?type=Pipeline&limit=100", reference)
        print(f"ratio TRS page of 100 / search page of 100: "
              f"{statistics.median(page) / statistics.median(reference):.2f}")

        cwltool = os.path.join(ROOT, "target", "venv", "bin", "cwltool")
        if not os.path.exists(cwltool):
            sys.exit("target/venv/bin/cwltool is missing: run scripts/prereqs.sh")
        scratch = os.path.join(args.work, "cwltool")
        shutil.rmtree(scratch, ignore_errors=True)
        os.makedirs(scratch)

        def validate(target):
            t0 = time.perf_counter()
            subprocess.run([cwltool, "--add-ga4gh-tool-registry", base, "--validate", target],
                           cwd=scratch, check=True, capture_output=True)
            return time.perf_counter() - t0

        through, disk = [], []
        for _ in range(args.runs):
            through.append(validate("#workflow/pushed-0:0.0.8"))
            disk.append(validate(os.path.join(FIXTURE, "Hello_PIPEMAN.pipeline.cwl")))
        print(f"\ncwltool --validate, {args.runs} runs interleaved: through TRS "
              f"{statistics.median(through):.2f} s, from disk {statistics.median(disk):.2f} s, "
              f"ratio {statistics.median(through) / statistics.median(disk):.2f}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
