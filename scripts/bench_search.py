#!/usr/bin/env python3
"""Search benchmark: N synthetic assets, a realistic query mix, orrery against PostgreSQL FTS.

1. Generates N assets (../shared/tools/gen_corpus.py) and ingests them with the release build
   (kept under --work, reused when present).
2. Starts `orrery serve` and sends the generator's query log (`--queries`: one to three words of
   middling frequency, mission names, rare words, phrases, prefixes, typos, fielded terms; 0-3
   facet filters; every response carries all facet counts), each query kind reported apart:
   - one at a time, reading the server-side time from the `Server-Timing` header: p50/p90/p99;
   - under load over loopback with wrk (16 connections): queries/s;
   - suggestions for 1000 prefixes: server-side p50/p99.
   Prints the index size and the server's RSS.
3. Starts a real PostgreSQL (initdb in --work), loads the same corpus into a table with a
   weighted tsvector (GIN) and facet arrays (GIN), and runs the same queries the way a team
   would build the portal on it: hits by ts_rank, an exact count, and one GROUP BY per facet
   with that facet's own filter left out (disjunctive). Prints its p50/p99 and the ratio.

Usage: scripts/bench_search.py [N] [--queries 2000] [--pg-queries 300] [--no-pg] [--work DIR]
"""
import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "..", "shared", "tools"))
import gen_corpus as G  # noqa: E402  (the generator's own vocabulary drives the query mix)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import release_binary  # noqa: E402

FACETS = {
    "type": [t for t, _ in G.TYPES],
    "domain": [d for d, _ in G.DOMAINS],
    "property": [p for p, _ in G.PROPERTIES],
    "mission": [m for m, _ in G.MISSIONS],
    "waveband": G.WAVEBANDS,
    "fileType": [f for f, _ in G.FILETYPES],
    "audience": G.AUDIENCES,
    "license": G.LICENSES,
    "keyword": G.WORDS,
    "esaOfficial": ["true", "false"],
}
COLUMN = {"type": "type", "domain": "domain", "property": "property", "mission": "mission",
          "waveband": "waveband", "fileType": "filetype", "audience": "audience",
          "license": "license", "keyword": "keywords", "esaOfficial": "esa"}
SCALAR = {"type", "license", "esaOfficial"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def query_mix(n, work, seed=1):
    """The generator's query log (`gen_corpus.py --queries`: the way people search, each query
    with its kind and 0-3 facet filters), with a sort for each (mostly relevance) and the words
    PostgreSQL's tsquery is given."""
    log = os.path.join(work, f"queries-{n}.jsonl")
    if not os.path.exists(log):
        gen = os.path.join(ROOT, "..", "shared", "tools", "gen_corpus.py")
        subprocess.run([sys.executable, gen, "0", "--out", os.devnull, "--queries", str(n),
                        "--queries-out", log], check=True)
    rng = random.Random(seed)
    mix = []
    with open(log) as f:
        for line in f:
            m = json.loads(line)
            q, kind = m["q"], m["kind"]
            if kind == "phrase":
                words = q.strip('"').split()
            elif kind == "prefix":
                words = [q.rstrip("*") + ":*"]
            elif kind == "field":
                words = []
            else:
                words = q.split()
            sort = rng.choices(["relevance", "popularity", "name"], weights=[80, 10, 10])[0]
            mix.append({"q": q, "kind": kind, "words": words,
                        "filters": [tuple(f) for f in m["filters"]], "sort": sort})
    return mix


def url(base, m):
    params = [("q", m["q"]), ("sort", m["sort"]), ("limit", "20")]
    for facet, values in m["filters"]:
        params += [(facet, v) for v in values]
    return base + "/api/v1/assets?" + urllib.parse.urlencode(params)


def rss_mib(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS", "VmHWM")):
                k, v = line.split(":")
                out[k] = int(v.split()[0]) / 1024
    return out


def du(path):
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(d, f))
            except OSError:
                pass
    return total


def ensure_packages(*pkgs):
    missing = [p for p in pkgs if shutil.which(p) is None]
    if missing:
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True)
        subprocess.run(sudo + ["apt-get", "install", "-y", "-qq"] + missing, check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def bench_orrery(args, orrery, data, mix):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, RUST_LOG="warn")
    # --no-tap: the search alone is measured. (On a first start the TAP service would build its
    # RegTAP tables for the whole catalogue in the background, competing for the two cores.)
    server = subprocess.Popen([orrery, "serve", "--data", data, "--addr", f"127.0.0.1:{port}", "--no-tap"],
                              env=env)
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        else:
            sys.exit("orrery serve did not become healthy")
        # Warm-up: one pass over a slice of the mix.
        for m in mix[:200]:
            urllib.request.urlopen(url(base, m)).read()
        server_ms, client_ms, totals = [], [], []
        for m in mix:
            t0 = time.perf_counter()
            with urllib.request.urlopen(url(base, m)) as r:
                body = r.read()
                timing = r.headers.get("Server-Timing", "")
            client_ms.append((time.perf_counter() - t0) * 1000)
            server_ms.append(float(timing.split("dur=")[1]))
            d = json.loads(body)
            assert len(d["facets"]) == 12, "every facet in every response"
            totals.append(d["total"])
            m["orrery_ms"] = server_ms[-1]
            m["total"] = d["total"]
        print(f"orrery, {len(mix)} queries one at a time, server-side: p50 {percentile(server_ms, 50):.2f} ms, "
              f"p90 {percentile(server_ms, 90):.2f} ms, p99 {percentile(server_ms, 99):.2f} ms "
              f"(client round trip p50 {percentile(client_ms, 50):.2f} ms); hits per query: median "
              f"{statistics.median(totals):.0f}, max {max(totals)}")
        by_kind = {}
        for m in mix:
            by_kind.setdefault(m["kind"], []).append(m["orrery_ms"])
        print("  server-side p50/p99 by kind: " + ", ".join(
            f"{k} {percentile(v, 50):.2f}/{percentile(v, 99):.2f} ms" for k, v in sorted(by_kind.items())))

        # Suggestions: every 1-5 letter prefix of the vocabulary's words and mission names.
        rng = random.Random(7)
        words = list(G.WORDS) + FACETS["mission"]
        prefixes = [w[:rng.randint(1, min(5, len(w)))] for w in rng.choices(words, k=1000)]
        suggest_ms = []
        for p in prefixes:
            with urllib.request.urlopen(base + "/api/v1/suggest?" + urllib.parse.urlencode({"q": p})) as r:
                r.read()
                suggest_ms.append(float(r.headers.get("Server-Timing", "").split("dur=")[1]))
        print(f"suggest, {len(prefixes)} prefixes of 1-5 letters, server-side: p50 {percentile(suggest_ms, 50):.2f} ms, "
              f"p99 {percentile(suggest_ms, 99):.2f} ms, max {max(suggest_ms):.2f} ms")

        if args.no_wrk:
            return
        ensure_packages("wrk")
        paths = os.path.join(args.work, "paths.txt")
        with open(paths, "w") as f:
            for m in mix:
                f.write(url("", m) + "\n")
        lua = os.path.join(args.work, "mix.lua")
        with open(lua, "w") as f:
            f.write("""
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
""" % paths)
        out = subprocess.run(["wrk", "-t", "1", "-c", "16", "-d", f"{args.duration}s", "-s", lua, base],
                             check=True, capture_output=True, text=True).stdout
        rps = [l for l in out.splitlines() if "Requests/sec" in l]
        errors = [l for l in out.splitlines() if "Non-2xx" in l or "Socket errors" in l]
        if errors:
            sys.exit("wrk saw errors:\n" + out)
        print(f"orrery under load over loopback (wrk, 1 thread, 16 connections, {args.duration} s): "
              f"{rps[0].split(':')[1].strip()} queries/s")
        mem = rss_mib(server.pid)
        print(f"orrery server RSS {mem.get('VmRSS', 0):.0f} MiB (peak {mem.get('VmHWM', 0):.0f} MiB); "
              f"index {du(os.path.join(data, 'index')) / 2**20:.0f} MiB on disk")
    finally:
        server.terminate()
        server.wait()


PG_SCHEMA = """
DROP TABLE IF EXISTS assets;
-- array_to_string is only STABLE; generated columns need IMMUTABLE (the usual wrapper).
CREATE OR REPLACE FUNCTION words(text[]) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT array_to_string($1, ' ') $$;
CREATE TABLE assets (
  id text PRIMARY KEY, type text, name text, abstract text, description text,
  keywords text[], domain text[], property text[], mission text[], waveband text[],
  filetype text[], audience text[], license text, esa boolean, popularity int, public boolean,
  tsv tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', coalesce(name, '')), 'A') ||
    setweight(to_tsvector('english', words(keywords)), 'B') ||
    setweight(to_tsvector('english', coalesce(abstract, '')), 'C') ||
    setweight(to_tsvector('english', coalesce(description, '')), 'D')) STORED
);
"""
PG_INDEXES = """
CREATE INDEX assets_tsv ON assets USING gin (tsv);
CREATE INDEX assets_domain ON assets USING gin (domain);
CREATE INDEX assets_property ON assets USING gin (property);
CREATE INDEX assets_mission ON assets USING gin (mission);
CREATE INDEX assets_waveband ON assets USING gin (waveband);
CREATE INDEX assets_filetype ON assets USING gin (filetype);
CREATE INDEX assets_audience ON assets USING gin (audience);
CREATE INDEX assets_keywords ON assets USING gin (keywords);
CREATE INDEX assets_type ON assets (type);
CREATE INDEX assets_license ON assets (license);
ANALYZE assets;
"""


def pg_bin():
    for d in ["/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin"]:
        if os.path.exists(os.path.join(d, "initdb")):
            return d
    if shutil.which("initdb"):
        return os.path.dirname(shutil.which("initdb"))
    ensure_packages("postgresql")
    return pg_bin()


def pg_array(values):
    return "{" + ",".join('"%s"' % v.replace('"', '\\"') for v in values) + "}"


def bench_postgres(args, corpus, mix):
    venv = os.path.join(ROOT, "target", "venv-bench")
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([py, "-m", "pip", "install", "-q", "psycopg[binary]==3.2.3"], check=True)
    bindir = pg_bin()
    pgdata = os.path.join(args.work, f"pg-{args.n}")
    sockdir = tempfile.mkdtemp(prefix="orrery-pg-")
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    fresh = not os.path.exists(os.path.join(args.work, f"pg-{args.n}.loaded"))
    if not os.path.exists(os.path.join(pgdata, "PG_VERSION")):
        os.makedirs(pgdata, exist_ok=True)
        if as_pg:
            shutil.chown(pgdata, "postgres")
        subprocess.run(as_pg + [os.path.join(bindir, "initdb"), "-D", pgdata, "-U", "postgres", "-A", "trust"],
                       check=True, stdout=subprocess.DEVNULL)
    if as_pg:
        shutil.chown(sockdir, "postgres")
    port = free_port()
    opts = (f"-p {port} -k {sockdir} -c listen_addresses='' -c shared_buffers=2GB -c work_mem=64MB "
            f"-c effective_cache_size=8GB -c max_parallel_workers_per_gather=2 -c jit=off")
    subprocess.run(as_pg + [os.path.join(bindir, "pg_ctl"), "-D", pgdata, "-o", opts, "-w", "-l",
                            os.path.join(pgdata, "log"), "start"], check=True, stdout=subprocess.DEVNULL)
    try:
        if fresh:
            csv_path = os.path.join(pgdata, "assets.csv")
            import csv
            with open(corpus) as src, open(csv_path, "w", newline="") as dst:
                w = csv.writer(dst)
                for line in src:
                    a = json.loads(line)
                    public = a.get("visibility", {}).get("audience", "public") == "public"
                    w.writerow([a["id"], a["type"], a["name"], a.get("abstract", ""), a.get("description", ""),
                                pg_array(a.get("keywords", [])), pg_array(a.get("domain", [])),
                                pg_array(a.get("property", [])), pg_array(a.get("mission", [])),
                                pg_array(a.get("waveband", [])), pg_array(a.get("associatedFileType", [])),
                                pg_array(a.get("audienceType", [])), a.get("license", ""),
                                "t" if a.get("ESAOfficial") else "f", 0, "t" if public else "f"])
            if as_pg:
                shutil.chown(csv_path, "postgres")
            t0 = time.monotonic()
            sql = PG_SCHEMA + (f"COPY assets (id, type, name, abstract, description, keywords, domain, property, "
                               f"mission, waveband, filetype, audience, license, esa, popularity, public) "
                               f"FROM '{csv_path}' WITH (FORMAT csv);") + PG_INDEXES
            subprocess.run(as_pg + [os.path.join(bindir, "psql"), "-q", "-h", sockdir, "-p", str(port), "-U",
                                    "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True)
            os.remove(csv_path)
            open(os.path.join(args.work, f"pg-{args.n}.loaded"), "w").close()
            print(f"PostgreSQL: loaded and indexed {args.n} rows in {time.monotonic() - t0:.0f} s")
        sample = mix[: args.pg_queries]
        spec = {"host": sockdir, "port": port, "sample": sample, "column": COLUMN, "scalar": sorted(SCALAR)}
        runner = os.path.join(args.work, "pg_runner.py")
        with open(runner, "w") as f:
            f.write(PG_RUNNER)
        out = subprocess.run([py, runner], input=json.dumps(spec), capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit("PostgreSQL runner failed:\n" + out.stderr)
        pg_ms = json.loads(out.stdout)
        ours = [m["orrery_ms"] for m in sample]
        print(f"PostgreSQL FTS, same {len(sample)} queries (hits + count + 10 disjunctive GROUP BYs): "
              f"p50 {percentile(pg_ms, 50):.1f} ms, p99 {percentile(pg_ms, 99):.1f} ms")
        ratio = percentile(pg_ms, 50) / percentile(ours, 50)
        per_query = statistics.median(p / o for p, o in zip(pg_ms, ours))
        print(f"orrery on the same queries: p50 {percentile(ours, 50):.2f} ms, p99 {percentile(ours, 99):.2f} ms")
        print(f"ratio PostgreSQL/orrery: {ratio:.1f}x at the median (median of per-query ratios {per_query:.1f}x)")
    finally:
        subprocess.run(as_pg + [os.path.join(bindir, "pg_ctl"), "-D", pgdata, "-m", "fast", "stop"],
                       stdout=subprocess.DEVNULL)


PG_RUNNER = r'''
import json, sys, time
import psycopg
spec = json.load(sys.stdin)
column, scalar = spec["column"], set(spec["scalar"])
conn = psycopg.connect(host=spec["host"], port=spec["port"], user="postgres", dbname="postgres", autocommit=True)

def tsquery(m):
    if m["kind"] == "phrase":
        return "phraseto_tsquery('english', %s)", [" ".join(m["words"])]
    if m["kind"] == "field":
        w = m["q"].split()
        return "plainto_tsquery('english', %s)", [w[1]]
    if m["kind"] == "prefix":
        return "to_tsquery('english', %s)", [m["words"][0]]
    return "plainto_tsquery('english', %s)", [" ".join(m["words"])]

def filters_sql(m, skip=None):
    sql, params = [], []
    flist = list(m["filters"])
    if m["kind"] == "field":
        flist.append(("keyword", [m["q"].split()[0].split(":")[1]]))
    for facet, values in flist:
        if facet == skip:
            continue
        col = column[facet]
        if facet == "esaOfficial":
            sql.append("esa = ANY(%s::boolean[])"); params.append([v == "true" for v in values])
        elif facet in scalar:
            sql.append(f"{col} = ANY(%s)"); params.append(values)
        else:
            sql.append(f"{col} && %s::text[]"); params.append(values)
    return sql, params

facets = ["type", "domain", "property", "mission", "waveband", "fileType", "audience", "license", "keyword", "esaOfficial"]
out = []
with conn.cursor() as cur:
    for m in spec["sample"][:20]:
        q, qp = tsquery(m)
        cur.execute(f"SELECT count(*) FROM assets WHERE public AND tsv @@ {q}", qp)
    for m in spec["sample"]:
        q, qp = tsquery(m)
        t0 = time.perf_counter()
        fs, fp = filters_sql(m)
        where = " AND ".join(["public", f"tsv @@ {q}"] + fs)
        order = {"relevance": f"ts_rank(tsv, {q}) DESC", "popularity": "popularity DESC", "name": "lower(name)"}[m["sort"]]
        oparams = qp if m["sort"] == "relevance" else []
        cur.execute(f"SELECT id, name, abstract FROM assets WHERE {where} ORDER BY {order} LIMIT 20", qp + fp + oparams)
        cur.fetchall()
        cur.execute(f"SELECT count(*) FROM assets WHERE {where}", qp + fp)
        cur.fetchall()
        for facet in facets:
            fs2, fp2 = filters_sql(m, skip=facet)
            where2 = " AND ".join(["public", f"tsv @@ {q}"] + fs2)
            col = column[facet]
            if facet in scalar:
                cur.execute(f"SELECT {col}, count(*) FROM assets WHERE {where2} GROUP BY {col}", qp + fp2)
            else:
                cur.execute(f"SELECT v, count(*) FROM assets, unnest({col}) v WHERE {where2} GROUP BY v", qp + fp2)
            cur.fetchall()
        out.append((time.perf_counter() - t0) * 1000)
print(json.dumps(out))
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=1_000_000)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--pg-queries", type=int, default=300)
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--no-wrk", action="store_true", help="skip the load test")
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "bench"))
    args = ap.parse_args()
    orrery = release_binary()
    os.makedirs(args.work, exist_ok=True)
    corpus = os.path.join(args.work, f"corpus-{args.n}.jsonl")
    if not os.path.exists(corpus):
        gen = os.path.join(ROOT, "..", "shared", "tools", "gen_corpus.py")
        subprocess.run([sys.executable, gen, str(args.n), "--out", corpus], check=True)
    data = os.path.join(args.work, f"data-{args.n}")
    if not os.path.exists(os.path.join(data, "index")):
        shutil.rmtree(data, ignore_errors=True)
        t0 = time.monotonic()
        subprocess.run([orrery, "ingest", "--batch", "5000", "--data", data, corpus], check=True,
                       env=dict(os.environ, RUST_LOG="warn"))
        print(f"ingested {args.n} assets (store + projections + search index) in {time.monotonic() - t0:.0f} s")
    mix = query_mix(args.queries, args.work)
    bench_orrery(args, orrery, data, mix)
    if not args.no_pg:
        bench_postgres(args, corpus, mix)


if __name__ == "__main__":
    main()
