"""An HTTP proxy in front of an OAI-PMH endpoint that stops working after a number of requests,
to interrupt a harvest the way a network or a registry does. Every request it receives is
logged (one query string per line) to LOG.

Usage: flaky_proxy.py PORT UPSTREAM_BASE LOG [FAIL_AFTER]
  FAIL_AFTER: answer 503 (Retry-After: 0) to every request after this many (default: never)."""

import sys
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, upstream, log = int(sys.argv[1]), sys.argv[2], sys.argv[3]
fail_after = int(sys.argv[4]) if len(sys.argv) > 4 else -1
served = 0


class Proxy(BaseHTTPRequestHandler):
    def do_GET(self):
        global served
        query = self.path.split("?", 1)[1] if "?" in self.path else ""
        with open(log, "a") as f:
            f.write(query + "\n")
        if 0 <= fail_after <= served:
            self.send_response(503)
            self.send_header("Retry-After", "0")
            self.end_headers()
            self.wfile.write(b"down")
            return
        served += 1
        with urllib.request.urlopen(upstream + self.path, timeout=60) as r:
            body = r.read()
            self.send_response(r.status)
            self.send_header("Content-Type", r.headers.get("Content-Type", "text/xml"))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *args):
        pass


print("ready", flush=True)
ThreadingHTTPServer(("127.0.0.1", port), Proxy).serve_forever()
