"""What the reference CWL tools make of CWL files: cwltool --validate (accept or refuse) and,
for the files it accepts, what cwl-utils reads of the entry process (inputs, outputs, steps,
container images), in the shape orrery's reader reports them.

Usage: cwl_oracle.py ROOT LIST [PREFIX=DIR ...]
  ROOT   the folder the listed files are relative to (references resolve inside it)
  LIST   a file naming one CWL file per line
  PREFIX=DIR  documents under the URL PREFIX are read from DIR instead (never fetched)
Prints one JSON object: {file: {"valid": bool, "error": str, "extract": {...}}}.
"""

import contextlib
import io
import json
import logging
import os
import sys
import urllib.parse

import schema_salad.fetcher
from cwltool.main import main as cwltool_main
from cwl_utils.errors import GraphTargetMissingException
from cwl_utils.parser import load_document_by_uri

ROOT = os.path.abspath(sys.argv[1])
FILES = [l.strip() for l in open(sys.argv[2]) if l.strip()]
MIRRORS = [tuple(a.split("=", 1)) for a in sys.argv[3:]]


def mirrored(url):
    for prefix, folder in MIRRORS:
        if url.startswith(prefix):
            return os.path.join(os.path.abspath(folder), url[len(prefix):])
    return None


def offline(cls):
    """Serve mirrored URLs from disk; everything else as schema-salad does (its own schemas
    from its package cache)."""
    fetch_text, check_exists = cls.fetch_text, cls.check_exists

    def text(self, url, content_types=None):
        local = mirrored(url)
        if local is not None:
            with open(local, encoding="utf-8") as f:
                return f.read()
        return fetch_text(self, url, content_types) if content_types else fetch_text(self, url)

    def exists(self, url):
        local = mirrored(url)
        if local is not None:
            return os.path.exists(local)
        return check_exists(self, url)

    cls.fetch_text, cls.check_exists = text, exists


offline(schema_salad.fetcher.DefaultFetcher)


def validate(path):
    err = io.StringIO()
    handler = logging.StreamHandler(err)
    log = logging.getLogger("cwltool")
    log.addHandler(handler)
    try:
        with contextlib.redirect_stderr(err):
            rc = cwltool_main(["--validate", "--disable-color", path], stderr=err, stdout=io.StringIO())
    except SystemExit as e:
        rc = e.code
    finally:
        log.removeHandler(handler)
    return rc == 0, err.getvalue()[-1500:]


def last(uri):
    frag = uri.split("#", 1)[1] if "#" in uri else uri
    return frag.rsplit("/", 1)[-1]


PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "string", "File",
              "Directory", "Any", "stdin", "stdout", "stderr"}


def render(t):
    """The short form orrery reports (see src/artefact/cwl/types.rs)."""
    if isinstance(t, str):
        if t in PRIMITIVES:
            return t
        return last(t)
    if isinstance(t, list):
        members = [render(m) for m in t if m != "null"]
        null = len(members) < len(t)
        if not members:
            return "null"
        if len(members) == 1:
            return members[0] + ("?" if null else "")
        joined = " | ".join(members)
        return f"({joined})?" if null else joined
    kind = getattr(t, "type_", None)
    if kind == "array":
        items = render(t.items)
        return f"({items})[]" if (" " in items or items.endswith("?")) else f"{items}[]"
    if kind in ("record", "enum"):
        name = getattr(t, "name", None)
        if not name or name.startswith("_:"):
            return kind
        return last(name)
    return render(kind) if kind is not None else "Any"


def optional(t):
    return t == "null" or (isinstance(t, list) and "null" in t)


def doc_text(d):
    if d is None:
        return None
    return "\n".join(d) if isinstance(d, list) else d


def fmt(f):
    if f is None:
        return None
    return " ".join(f) if isinstance(f, list) else f


def params(ps):
    return [{"id": last(p.id), "type": render(p.type_) if p.type_ is not None else None,
             "optional": optional(p.type_), "label": p.label, "doc": doc_text(p.doc),
             "format": fmt(getattr(p, "format", None))} for p in ps]


def images(proc, seen):
    out = set()
    if id(proc) in seen:
        return out
    seen.add(id(proc))
    for r in list(proc.requirements or []) + list(proc.hints or []):
        cls = r.get("class") if isinstance(r, dict) else getattr(r, "class_", None)
        if cls == "DockerRequirement":
            get = r.get if isinstance(r, dict) else (lambda k: getattr(r, k, None))
            img = get("dockerPull") or get("dockerImageId")
            if img:
                out.add(img)
    for s in getattr(proc, "steps", None) or []:
        out |= images(target(s.run), seen)
    return out


_loaded = {}


def target(run):
    if isinstance(run, str):
        if run not in _loaded:
            _loaded[run] = load_document_by_uri(run)
        return _loaded[run]
    return run


def rel(uri, entry_uri):
    base, _, frag = uri.partition("#")
    if base == entry_uri.partition("#")[0]:
        return "#" + frag
    path = os.path.relpath(urllib.parse.unquote(urllib.parse.urlparse(base).path), ROOT)
    return path + ("#" + frag if frag else "")


def entry_of_graph(path):
    """A packed graph without #main: its only workflow, else its first process."""
    from ruamel.yaml import YAML
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        items = YAML(typ="safe").load(f)["$graph"]
    flows = [i for i in items if i.get("class") == "Workflow"]
    chosen = flows[0] if len(flows) == 1 else items[0]
    return chosen["id"].lstrip("#")


def extract(path):
    uri = "file://" + os.path.join(ROOT, path)
    try:
        doc = load_document_by_uri(uri)
    except GraphTargetMissingException:
        doc = load_document_by_uri(uri + "#" + entry_of_graph(path))
    steps = []
    for s in getattr(doc, "steps", None) or []:
        run = s.run
        scatter = s.scatter
        if isinstance(scatter, str):
            scatter = [scatter]
        steps.append({
            "id": last(s.id),
            "run": rel(run, uri) if isinstance(run, str) else "inline",
            "runs": target(run).class_,
            "scatter": [last(x) for x in (scatter or [])],
            "scatterMethod": s.scatterMethod,
            "when": getattr(s, "when", None),
        })
    return {
        "class": doc.class_,
        "inputs": params(doc.inputs),
        "outputs": params(doc.outputs),
        "steps": steps,
        "images": sorted(images(doc, set())),
    }


result = {}
for f in FILES:
    ok, err = validate(os.path.join(ROOT, f))
    entry = {"valid": ok, "error": "" if ok else err}
    if ok:
        try:
            entry["extract"] = extract(f)
        except Exception as e:  # reported, never hidden: the test lists it
            entry["extract_error"] = repr(e)[:500]
    result[f] = entry
json.dump(result, sys.stdout, indent=1, sort_keys=True)
