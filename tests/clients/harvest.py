"""Harvests an OAI-PMH endpoint with sickle, as a registry harvester does, and prints what it
got as JSON: every header (identifier, datestamp, deleted) and, for records, the xsi:type and
title of their VOResource. Usage: harvest.py URL VERB PREFIX [FROM]"""

import json
import sys

from sickle import Sickle

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


def main():
    url, verb, prefix = sys.argv[1:4]
    args = {"metadataPrefix": prefix, "ignore_deleted": False}
    if len(sys.argv) > 4:
        args["from"] = sys.argv[4]
    s = Sickle(url, max_retries=1, timeout=60)
    out = []
    items = s.ListRecords(**args) if verb == "ListRecords" else s.ListIdentifiers(**args)
    for item in items:
        header = item if verb == "ListIdentifiers" else item.header
        entry = {
            "identifier": header.identifier,
            "datestamp": header.datestamp,
            "deleted": header.deleted,
            "sets": header.setSpecs,
        }
        if verb == "ListRecords" and not header.deleted:
            root = item.xml.find(".//{http://www.openarchives.org/OAI/2.0/}metadata")[0]
            entry["type"] = root.get(XSI_TYPE)
            entry["title"] = root.findtext("title")
            entry["ivoid"] = root.findtext("identifier")
        out.append(entry)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
