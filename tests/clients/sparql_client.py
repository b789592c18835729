"""Queries a live /sparql endpoint with SPARQLWrapper as linked-data users do, in every results
format and both HTTP methods, and prints what it read as JSON on stdout for the Rust test to
check. Usage: sparql_client.py ENDPOINT"""

import csv
import io
import json
import sys

from SPARQLWrapper import CSV, GET, JSON, POST, POSTDIRECTLY, TSV, TURTLE, XML, JSONLD, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

endpoint = sys.argv[1]
PREFIX = "PREFIX esado: <https://w3id.org/esado#> PREFIX sdo: <https://schema.org/> "
NAMES = PREFIX + "SELECT ?a ?name WHERE { ?a a esado:Dataset ; sdo:name ?name } ORDER BY ?a"
COUNT = PREFIX + "SELECT (COUNT(?a) AS ?n) WHERE { ?a a esado:Dataset }"


def client(fmt, method=GET, request=None):
    s = SPARQLWrapper(endpoint)
    s.setReturnFormat(fmt)
    s.setMethod(method)
    if request is not None:
        s.setRequestMethod(request)
    return s


out = {}

# SELECT in JSON by GET, by urlencoded POST and by a direct POST (application/sparql-query).
for name, method, request in [("get", GET, None), ("post_form", POST, None), ("post_direct", POST, POSTDIRECTLY)]:
    s = client(JSON, method, request)
    s.setQuery(NAMES)
    res = s.query().convert()
    out["names_" + name] = [[b["a"]["value"], b["name"]["value"]] for b in res["results"]["bindings"]]

# The same SELECT as XML (a DOM), CSV and TSV.
s = client(XML)
s.setQuery(NAMES)
dom = s.query().convert()
rows = []
for result in dom.getElementsByTagName("result"):
    row = {}
    for b in result.getElementsByTagName("binding"):
        node = [c for c in b.childNodes if c.nodeType == c.ELEMENT_NODE][0]
        row[b.getAttribute("name")] = node.firstChild.data
    rows.append([row["a"], row["name"]])
out["names_xml"] = rows

s = client(CSV)
s.setQuery(NAMES)
text = s.query().convert().decode("utf-8")
out["names_csv"] = [[r["a"], r["name"]] for r in csv.DictReader(io.StringIO(text))]

s = client(TSV)
s.setQuery(NAMES)
text = s.query().convert().decode("utf-8")
lines = text.strip("\n").split("\n")
out["tsv_header"] = lines[0]
out["tsv_rows"] = len(lines) - 1

s = client(JSON)
s.setQuery(COUNT)
out["count"] = int(s.query().convert()["results"]["bindings"][0]["n"]["value"])

# ASK.
s = client(JSON)
s.setQuery(PREFIX + "ASK { ?a a esado:Datalab }")
out["ask"] = s.query().convert()["boolean"]

# CONSTRUCT as Turtle and JSON-LD (SPARQLWrapper parses both into rdflib graphs).
construct = PREFIX + "CONSTRUCT { ?a sdo:name ?name } WHERE { ?a a esado:Dataset ; sdo:name ?name }"
s = client(TURTLE)
s.setQuery(construct)
turtle = s.query().convert()
out["construct_turtle_bytes"] = len(turtle)
from rdflib.compare import isomorphic
import rdflib

g_turtle = rdflib.Graph().parse(data=turtle, format="turtle")
s = client(JSONLD)
s.setQuery(construct)
g_jsonld = s.query().convert()
out["construct_triples"] = len(g_turtle)
out["construct_isomorphic"] = isomorphic(g_turtle, g_jsonld)

# DESCRIBE one dataset (RDF/XML through rdflib).
first = out["names_get"][0][0]
s = client(XML)
s.setQuery("DESCRIBE <%s>" % first)
g = s.query().convert()
out["describe_triples"] = len(g)
out["describe_subjects_ok"] = all(str(subj).startswith(first) for subj in g.subjects())

# A malformed query: SPARQLWrapper raises QueryBadFormed with the server's message.
s = client(JSON)
s.setQuery("SELECT ?a WHERE { ?a ")
try:
    s.query()
    out["malformed"] = None
except QueryBadFormed as e:
    out["malformed"] = str(e)

print(json.dumps(out))
