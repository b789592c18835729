"""Uses a live RegTAP service the way VO users do, through pyvo: registry searches with every
kind of constraint, describe(), get_tables(), and plain TAP queries sync and async. Prints what
it read as JSON on stdout for the Rust test to check.

Usage: tap_client.py TAP_BASE MESSENGER_DESISE OWN_TAP_IVOID
(MESSENGER_DESISE: the IVOA messenger vocabulary, put in astropy's download cache because pyvo
fetches it from www.ivoa.net for waveband constraints.)"""

import io
import json
import os
import sys
import tempfile
import warnings

base, messenger, own_ivoid = sys.argv[1], sys.argv[2], sys.argv[3]
os.environ["IVOA_REGISTRY"] = base
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp()
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp()

from astropy.utils.data import import_file_to_cache  # noqa: E402

import_file_to_cache("http://www.ivoa.net/rdf/messenger", messenger)

import pyvo  # noqa: E402
from pyvo import registry  # noqa: E402
from pyvo.dal.exceptions import DALQueryError  # noqa: E402

registry.choose_RegTAP_service(base)
out = {"pyvo": pyvo.__version__}


def summary(results):
    """The resources found, with what pyvo made of their rows, by identifier."""
    return sorted(
        (
            {
                "ivoid": r.ivoid,
                "res_type": r.res_type,
                "title": r.res_title,
                "waveband": list(r.waveband),
                "access_urls": sorted(i.access_url for i in r.interfaces),
                "standard_ids": sorted(i.standard_id or "" for i in r.interfaces),
            }
            for r in results
        ),
        key=lambda d: d["ivoid"],
    )


with warnings.catch_warnings():
    warnings.simplefilter("error", category=pyvo.dal.exceptions.DALOverflowWarning)
    out["keywords"] = summary(registry.search(keywords=["BIMA"]))
    out["keywords_two"] = summary(registry.search(keywords=["bima", "archive"]))
    out["servicetype_tap"] = summary(registry.search(servicetype="tap"))
    out["waveband"] = summary(registry.search(waveband="millimeter"))
    out["author"] = summary(registry.search(author="%Crutcher%"))
    out["ivoid"] = summary(registry.search(ivoid=own_ivoid))
    out["datamodel_regtap"] = summary(registry.search(datamodel="regtap"))
    out["combined"] = summary(registry.search(registry.Freetext("bima"), waveband="millimeter"))

# One resource in detail.
bima = registry.search(ivoid="ivo://bima.ncsa/bima")
out["bima_count"] = len(bima)
buf = io.StringIO()
bima[0].describe(verbose=True, file=buf)
out["describe"] = buf.getvalue()

tap = registry.search(servicetype="tap")
ours = [r for r in tap if r.ivoid == own_ivoid]
out["own_tap_found"] = len(ours)
if ours:
    out["own_tables"] = sorted(t for t in ours[0].get_tables())
    out["own_service_url"] = ours[0].get_service("tap").baseurl

# Plain TAP: sync and async agree; MAXREC overflow; errors.
svc = pyvo.dal.TAPService(base)
q = "SELECT TOP 5 ivoid, res_title, created FROM rr.resource ORDER BY ivoid"
sync = svc.run_sync(q)
asy = svc.run_async(q)
out["sync"] = [[str(v) for v in row] for row in sync.to_table().iterrows()]
out["async"] = [[str(v) for v in row] for row in asy.to_table().iterrows()]
out["sync_fields"] = [[f.name, f.datatype, f.arraysize, f.xtype] for f in sync.votable.get_first_table().fields]
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    r = svc.run_sync("SELECT ivoid FROM rr.resource", maxrec=3)
out["maxrec_rows"] = len(r)
out["maxrec_status"] = r.query_status
# pyvo warns of an overflow unless the rows are exactly the MAXREC asked for.
out["maxrec_warned"] = any("overflow" in str(w.message).lower() for w in caught)
out["count"] = int(svc.run_sync("SELECT COUNT(*) AS n FROM rr.resource")["n"][0])
out["tap_schema_tables"] = sorted(
    str(r["table_name"]) for r in svc.run_sync("SELECT table_name FROM TAP_SCHEMA.tables")
)
out["service_tables"] = sorted(svc.tables.keys())
caps = svc.capabilities
out["languages"] = [lang.name for cap in caps if hasattr(cap, "languages") for lang in cap.languages]
for name, bad in [
    ("syntax", "SELECT FROM WHERE"),
    ("unknown_table", "SELECT * FROM rr.nothing"),
    ("unknown_column", "SELECT nothing FROM rr.resource"),
]:
    try:
        svc.run_sync(bad)
        out["error_" + name] = None
    except DALQueryError as e:
        out["error_" + name] = str(e)
try:
    svc.run_async("SELECT FROM WHERE")
    out["async_error"] = None
except Exception as e:  # pyvo raises DALQueryError for a job in ERROR
    out["async_error"] = f"{type(e).__name__}: {e}"

json.dump(out, sys.stdout)
