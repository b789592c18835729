#!/usr/bin/env python3
"""Authoring benchmark: the metadata editor's save against the API's write, and the search page
for a signed-in reader against an anonymous one.

1. Uses the catalogue of scripts/bench_portal.py (N assets under --work, generated and ingested
   with the release build when missing) and starts `orrery serve --no-tap`.
2. Signs in through the sign-in form as a developer and creates one draft. Then, alternately,
   renames it through the editor (the form POST a browser sends, with its CSRF token and
   `If-Match` revision) and through `PATCH /api/v1/assets/{id}` with the bearer token, each time
   to a new unique word, and polls the search API (as the owner) until that word finds it:
   p50 and p99 of write-to-searchable for both, and of their difference.
3. Asks the search page for each query of the generator's log anonymously and with the session
   cookie, alternately, reading the server-side time from `Server-Timing`: p50, p99 and mean of
   both and of the per-query difference.

Usage: scripts/bench_authoring.py [N] [--saves 200] [--queries 1000] [--work DIR]
"""
import argparse
import http.cookiejar
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import ROOT, release_binary, serve  # noqa: E402
from bench_portal import paired, report, timing  # noqa: E402

ID = "bench-authoring"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def hidden(body, name):
    m = re.search(rf'name="{name}" value="([^"]*)"', body)
    if not m:
        raise SystemExit(f"no hidden {name} in the page")
    return m.group(1)


def lowered(headers):
    """Headers by lower-case name; several `Set-Cookie` are kept, joined by newlines."""
    out = {k.lower(): v for k, v in headers.items()}
    out["set-cookie"] = "\n".join(headers.get_all("Set-Cookie") or [])
    return out


def request(url, data=None, headers=None, method=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req) as r:
            return r.status, lowered(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, lowered(e.headers), e.read().decode()


def sign_in(base, token):
    status, h, body = request(base + "/login")
    login = re.search(r"orrery_login=([^;]+)", h["set-cookie"]).group(1)
    form = urllib.parse.urlencode({"token": token, "_csrf": hidden(body, "_csrf"), "next": "/me"})
    status, h, _ = request(base + "/login", form.encode(), {"Cookie": f"orrery_login={login}"})
    if status != 303:
        raise SystemExit(f"sign-in answered {status}")
    return re.search(r"orrery_session=([^;]+)", h["set-cookie"]).group(1)


def searchable(base, token, word, deadline=10.0):
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        _, _, body = request(f"{base}/api/v1/assets?q={word}&limit=1",
                             headers={"Authorization": f"Bearer {token}"})
        if json.loads(body)["total"] >= 1:
            return
    raise SystemExit(f"{word} was not searchable within {deadline} s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int, nargs="?", default=100_000)
    ap.add_argument("--saves", type=int, default=200)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--work", default=os.path.join(ROOT, "target", "bench"))
    args = ap.parse_args()
    orrery = release_binary()
    data = os.path.join(args.work, f"data-{args.n}")
    log = os.path.join(args.work, f"queries-{args.n}.jsonl")
    if not os.path.exists(os.path.join(data, "index")) or not os.path.exists(log):
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "bench_portal.py"),
                        str(args.n), "--queries", str(args.queries), "--work", args.work],
                       check=True)
    with open(log) as f:
        queries = [json.loads(line) for line in f][: args.queries]
    server, base = serve(orrery, data, "--no-tap")
    try:
        out = subprocess.run([orrery, "token", "create", "--data", data, "--user", "bench-author",
                              "--role", "developer"], check=True, capture_output=True, text=True)
        token = out.stdout.strip().splitlines()[-1]
        cookie = sign_in(base, token)
        jar = {"Cookie": f"orrery_session={cookie}"}
        _, _, me = request(base + "/me", headers=jar)
        csrf = hidden(me, "_csrf")
        request(f"{base}/api/v1/assets/{ID}", method="DELETE",
                headers={"Authorization": f"Bearer {token}"})
        form = urllib.parse.urlencode({"_csrf": csrf, "id": ID, "type": "Dataset", "name": "Bench"})
        status, _, body = request(base + "/me/new", form.encode(), jar)
        if status != 303:
            raise SystemExit(f"creating the draft answered {status}: {body[:300]}")

        editor_ms, api_ms = [], []
        for i in range(args.saves):
            _, _, page = request(f"{base}/assets/{ID}/edit", headers=jar)
            revision = hidden(page, "revision")
            word = f"zqbench{i}e"
            form = urllib.parse.urlencode([("_csrf", csrf), ("revision", revision),
                                           ("_fields", "name"), ("name", f"Bench {word}")])
            t0 = time.monotonic()
            status, _, body = request(f"{base}/assets/{ID}/edit", form.encode(), jar)
            if status != 303:
                raise SystemExit(f"the editor's save answered {status}: {body[:300]}")
            searchable(base, token, word)
            editor_ms.append((time.monotonic() - t0) * 1000)

            word = f"zqbench{i}a"
            _, h, _ = request(f"{base}/api/v1/assets/{ID}",
                              headers={"Authorization": f"Bearer {token}"})
            t0 = time.monotonic()
            status, _, body = request(
                f"{base}/api/v1/assets/{ID}", json.dumps({"name": f"Bench {word}"}).encode(),
                {"Authorization": f"Bearer {token}", "Content-Type": "application/merge-patch+json",
                 "If-Match": h["etag"]},
                method="PATCH")
            if status != 200:
                raise SystemExit(f"the API's write answered {status}: {body[:300]}")
            searchable(base, token, word)
            api_ms.append((time.monotonic() - t0) * 1000)
        diff = [e - a for e, a in zip(editor_ms, api_ms)]
        print(f"{args.n} assets, {args.saves} saves each, write to searchable (client-side ms):")
        report([("editor save", editor_ms), ("API PATCH", api_ms), ("editor - API", diff)], 14)

        wall = {"anonymous": [], "signed in": []}

        def page(qs, who, headers):
            t0 = time.monotonic()
            _, h, _ = request(f"{base}/?{qs}", headers=headers)
            wall[who].append((time.monotonic() - t0) * 1000)
            return timing(h, "page")

        anon, signed, delta = paired(queries, lambda qs: page(qs, "anonymous", {}),
                                     lambda qs: page(qs, "signed in", jar))
        print(f"{len(queries)} queries of the generator's log, search page server-side ms "
              "(the page's work; the session's lookup comes before it):")
        report([("anonymous", anon), ("signed in", signed), ("signed - anon", delta)], 14)
        a, b = (wall[k][len(queries):] for k in ("anonymous", "signed in"))
        print("the same requests, client-side ms (session lookup, page and transfer):")
        report([("anonymous", a), ("signed in", b), ("signed - anon", [y - x for x, y in zip(a, b)])], 14)
        request(f"{base}/api/v1/assets/{ID}", method="DELETE",
                headers={"Authorization": f"Bearer {token}"})
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
