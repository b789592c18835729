#!/usr/bin/env python3
"""A deployment sharing PostgreSQL, measured on one machine.

- Write throughput: `orrery ingest` of N synthetic assets into the PostgreSQL revision log,
  beside the same ingest into an embedded data directory (assets/s each, and their ratio).
- Catch-up of a fresh reader: a node started on an empty data directory against that log;
  seconds until every projection has applied the head, as assets/s.
- Commit to searchable: W writes on the writer, each followed by polling a search on the
  reader until it finds the write (p50, p95, max, from the writer's acknowledgement).

On a 2-core machine all of it (PostgreSQL, writer, reader, this script) shares two cores: the
figures show that lag stays bounded and replicas converge, not what separate machines would do.

Usage: scripts/bench_replicas.py N [--writes W] [--work DIR] [--no-embedded]
(ORRERY_BIN names the binary)
"""
import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

ENV = dict(os.environ, RUST_LOG="warn")
BASE = "http://catalogue.test"


def pg_bin():
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not versions:
        sys.exit("PostgreSQL is not installed (scripts/prereqs.sh installs it)")
    return os.path.dirname(versions[-1])


class Postgres:
    """A throwaway PostgreSQL server (as the `postgres` user when run as root)."""

    def __init__(self, work):
        self.dir = os.path.join(work, "pg")
        os.makedirs(self.dir)
        self.bin = pg_bin()
        self.root = os.getuid() == 0
        if self.root:
            subprocess.run(["chown", "postgres:", self.dir], check=True)
        self.port = benchlib.free_port()
        data = os.path.join(self.dir, "data")
        self.run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C")
        self.run("pg_ctl", "-D", data, "-o",
                 f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
                 "-l", os.path.join(self.dir, "log"), "-w", "start")
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "orrery")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/orrery"

    def run(self, tool, *args):
        cmd = [os.path.join(self.bin, tool), *args]
        if self.root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)

    def stop(self):
        self.run("pg_ctl", "-D", os.path.join(self.dir, "data"), "-m", "immediate", "-w", "stop")


def ingest(orrery, data, corpus, database_url=None):
    env = dict(ENV)
    if database_url:
        env["ORRERY_DATABASE_URL"] = database_url
    start = time.monotonic()
    subprocess.run([orrery, "--base-url", BASE, "ingest", corpus, "--data", data],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - start


def get_json(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def node(orrery, data, url, role, *extra):
    port = benchlib.free_port()
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [orrery, "--base-url", BASE, "serve", "--data", data, "--addr", f"127.0.0.1:{port}",
         "--database-url", url, "--role", role, "--no-demo", *extra], env=ENV)
    return proc, base


def health(base):
    try:
        return get_json(f"{base}/healthz")[1]
    except OSError:
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--writes", type=int, default=200)
    ap.add_argument("--work")
    ap.add_argument("--no-embedded", action="store_true",
                    help="skip the embedded ingest (the log's figures only)")
    args = ap.parse_args()
    orrery = benchlib.release_binary()
    work = args.work or tempfile.mkdtemp(prefix="orrery-replicas-")
    os.makedirs(work, exist_ok=True)
    corpus = benchlib.corpus(os.path.join(work, f"corpus-{args.n}.jsonl"), args.n)
    pg = Postgres(work)
    procs = []
    try:
        shared = ingest(orrery, os.path.join(work, "ingest"), corpus, pg.url)
        if args.no_embedded:
            print(f"ingest of {args.n} assets: PostgreSQL log {args.n / shared:,.0f} assets/s",
                  flush=True)
        else:
            embedded = ingest(orrery, os.path.join(work, "embedded"), corpus)
            print(f"ingest of {args.n} assets: embedded {args.n / embedded:,.0f} assets/s, "
                  f"PostgreSQL log {args.n / shared:,.0f} assets/s "
                  f"(ratio {embedded / shared:.2f})", flush=True)

        writer, wbase = node(orrery, os.path.join(work, "writer"), pg.url, "writer")
        procs.append(writer)
        start = time.monotonic()
        reader, rbase = node(orrery, os.path.join(work, "reader"), pg.url, "reader")
        procs.append(reader)
        head = None
        while True:
            h = health(rbase)
            if h and "revision" in h:
                head = h["revision"].get("head")
                if head and h["revision"]["applied"] >= head and h["status"] == "ok":
                    break
            if reader.poll() is not None:
                sys.exit("the reader exited")
            time.sleep(0.2)
        took = time.monotonic() - start
        print(f"fresh reader caught up with {head:,} revisions in {took:.1f} s: "
              f"{args.n / took:,.0f} assets/s", flush=True)

        token = subprocess.run(
            [orrery, "token", "create", "--user", "bench", "--role", "developer"],
            env=dict(ENV, ORRERY_DATABASE_URL=pg.url), check=True, capture_output=True,
            text=True).stdout.strip().splitlines()[-1]
        while health(wbase) is None or health(wbase).get("status") != "ok":
            time.sleep(0.2)
        lags = []
        auth = {"Authorization": f"Bearer {token}"}

        def found(base):
            """How many of the writes the owner's search finds on a node (a search asks
            nothing of PostgreSQL: the node finds the new revision by itself)."""
            req = urllib.request.Request(f"{base}/api/v1/assets?q=zorbal&limit=1", headers=auth)
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.load(r)["total"]

        for i in range(args.writes):
            body = json.dumps({"id": f"lag-{i}", "type": "Dataset", "name": f"Zorbal {i}"}).encode()
            req = urllib.request.Request(f"{wbase}/api/v1/assets", data=body, method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": f"Bearer {token}"})
            with urllib.request.urlopen(req, timeout=30) as r:
                int(r.headers["Orrery-Revision"])
            acked = time.monotonic()
            while found(rbase) < i + 1:
                time.sleep(0.002)
            lags.append((time.monotonic() - acked) * 1000)
        lags.sort()
        p95 = lags[max(0, int(len(lags) * 0.95) - 1)]
        print(f"commit to searchable on the reader over {len(lags)} writes: "
              f"p50 {statistics.median(lags):.0f} ms, p95 {p95:.0f} ms, max {lags[-1]:.0f} ms",
              flush=True)
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        pg.stop()
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
