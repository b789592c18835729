#!/usr/bin/env python3
"""Runs schemathesis with the official GA4GH TRS definition against a running registry.

Usage: trs_schema.py DEFINITION BASE_URL WORK_DIR

The definition is read where it lies and a working copy written to WORK_DIR with two changes
only: its `/service-info` path, a `$ref` to a document on the network (which the tests never
reach), is replaced by the GA4GH service-info 1.0 operation written out; and the `id` and
`version_id` (and `relative_path`) parameters get as examples a tool the test pushed
(`#workflow/hello-trs`, `0.0.3`, `figlet.cwl`),
so that the examples phase reaches real descriptors and files, not only 404s; and each
operation's security says the bearer token is optional (`[{}, {BEARER: []}]`, OpenAPI's form
for it), since this registry, as public TRS registries do, serves public tools to anyone (a
token shows more, never less); and `GET /tools`, which the definition documents with 200
alone although its parameters have types and ranges (limit is an int32), may answer 400 with
an `Error` for a parameter outside them, as every other operation answers its errors. Every check schemathesis has runs, with the token the test
gives (TRS_TOKEN) sent on every request, as a user of a registry with accounts runs it.
Exits non-zero on any failure, printing schemathesis's report.
"""
import os
import subprocess
import sys
from pathlib import Path

import yaml

SERVICE_INFO = {
    "get": {
        "summary": "GA4GH service-info 1.0",
        "operationId": "getServiceInfo",
        "responses": {
            "200": {
                "description": "the service",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["id", "name", "type", "organization", "version"],
                            "properties": {
                                "id": {"type": "string"},
                                "name": {"type": "string"},
                                "type": {
                                    "type": "object",
                                    "required": ["group", "artifact", "version"],
                                    "properties": {
                                        "group": {"type": "string"},
                                        "artifact": {"type": "string"},
                                        "version": {"type": "string"},
                                    },
                                },
                                "description": {"type": "string"},
                                "organization": {
                                    "type": "object",
                                    "required": ["name", "url"],
                                    "properties": {
                                        "name": {"type": "string"},
                                        "url": {"type": "string", "format": "uri"},
                                    },
                                },
                                "contactUrl": {"type": "string", "format": "uri"},
                                "documentationUrl": {"type": "string", "format": "uri"},
                                "createdAt": {"type": "string", "format": "date-time"},
                                "updatedAt": {"type": "string", "format": "date-time"},
                                "environment": {"type": "string"},
                                "version": {"type": "string"},
                            },
                        }
                    }
                },
            }
        },
    }
}


def main():
    definition, base, work = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    spec = yaml.safe_load(definition.read_text())
    spec["paths"]["/service-info"] = SERVICE_INFO
    params = spec["components"]["parameters"]
    params["id"]["example"] = "#workflow/hello-trs"
    params["version_id"]["example"] = "0.0.3"
    for item in spec["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and "responses" in op:
                op["security"] = [{}, {"BEARER": []}]
                for p in op.get("parameters", []):
                    if p.get("name") == "relative_path":
                        p["example"] = "figlet.cwl"
    spec["paths"]["/tools"]["get"]["responses"]["400"] = {
        "description": "A parameter outside its type or range.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    work.mkdir(parents=True, exist_ok=True)
    copy = work / "trs.yaml"
    copy.write_text(yaml.safe_dump(spec, sort_keys=False))
    schemathesis = Path(sys.executable).with_name("schemathesis")
    cmd = [
        str(schemathesis), "run", str(copy),
        "--url", base,
        "--checks", "all",
        "--header", f"Authorization: Bearer {os.environ['TRS_TOKEN']}",
        "--max-examples", "40",
        "--seed", "1",
        "--workers", "1",
        "--no-color",
        "--report", "junit",
        "--report-dir", str(work / "report"),
    ]
    done = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=1800)
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    sys.exit(done.returncode)


if __name__ == "__main__":
    main()
