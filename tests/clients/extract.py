"""Extracts structured data from landing pages the way a crawler does (extruct, JSON-LD and
friends) and prints, per URL, the JSON-LD items found. Usage: extract.py URL..."""

import json
import sys
import urllib.request

import extruct
from w3lib.html import get_base_url


def main():
    out = {}
    for url in sys.argv[1:]:
        with urllib.request.urlopen(url, timeout=30) as r:
            html = r.read().decode("utf-8")
        data = extruct.extract(html, base_url=get_base_url(html, url), syntaxes=["json-ld", "opengraph"])
        out[url] = {"json-ld": data["json-ld"], "opengraph": data["opengraph"]}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
