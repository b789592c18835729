"""Shared pieces of the benchmark scripts: the release build, ports, memory, the corpus."""
import os
import socket
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def release_binary():
    """Builds the release binary (incrementally) and returns its path; `ORRERY_BIN` names
    another binary instead (to measure two builds side by side, interleaved)."""
    if os.environ.get("ORRERY_BIN"):
        return os.environ["ORRERY_BIN"]
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    subprocess.run(["cargo", "build", "--release", "--bin", "orrery"], cwd=ROOT, check=True)
    return os.path.join(target, "release", "orrery")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid):
    """The resident set size of a process, in MiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split(":")[1].split()[0]) / 1024
    return 0.0


def corpus(path, n, *extra):
    """Generates N synthetic assets into `path` (../shared/tools/gen_corpus.py) unless there."""
    if not os.path.exists(path):
        gen = os.path.join(ROOT, "..", "shared", "tools", "gen_corpus.py")
        subprocess.run([sys.executable, gen, str(n), *extra, "--out", path], check=True)
    return path


def serve(orrery, data, *extra):
    """Starts `orrery serve` on a free loopback port and waits until it is healthy (projections
    caught up). Returns the process and its base URL; fails if the server exits first."""
    import time
    import urllib.request

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [orrery, "serve", "--data", data, "--addr", f"127.0.0.1:{port}", "--no-demo", *extra],
        env=dict(os.environ, RUST_LOG="warn"))
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2)
            return server, base
        except OSError:
            if server.poll() is not None:
                raise SystemExit("the server exited")
            time.sleep(0.2)
