"""Reads each asset's RDF the way linked-data users do: rdflib parses the JSON-LD, Turtle,
N-Triples and RDF/XML representations and checks they are the same graph (isomorphic); pyld
expands the JSON-LD. Prints a JSON report. Usage: rdf_check.py URL..."""

import json
import sys
import urllib.request

from pyld import jsonld
from rdflib import Graph
from rdflib.compare import isomorphic

FORMATS = {
    "application/ld+json": "json-ld",
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}


def fetch(url, accept):
    req = urllib.request.Request(url, headers={"Accept": accept})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read().decode("utf-8"), r.headers.get("Content-Type", ""), r.headers.get("Vary", "")


def main():
    report = []
    for url in sys.argv[1:]:
        graphs = {}
        entry = {"url": url, "triples": {}, "vary": {}}
        for accept, fmt in FORMATS.items():
            text, ctype, vary = fetch(url, accept)
            entry["vary"][accept] = vary
            g = Graph()
            g.parse(data=text, format=fmt, publicID=url)
            graphs[accept] = g
            entry["triples"][accept] = len(g)
            if accept == "application/ld+json":
                expanded = jsonld.expand(json.loads(text))
                entry["expanded_nodes"] = len(expanded)
        base = graphs["text/turtle"]
        entry["isomorphic"] = {a: isomorphic(base, g) for a, g in graphs.items()}
        report.append(entry)
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()
