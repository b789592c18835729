"""pyvo's RegTAP 1.2 coverage constraints (Spatial, Spectral, Temporal) against a live service,
each result set compared with a ground truth computed here, independently of the service:
HEALPix cells from healpy (the C++ healpix_cxx), set relations and interval overlaps in plain
Python, unit conversions from astropy.

Usage:
  coverage_client.py records DIR N SEED TRUTH_JSON
      writes N VOResource records with seeded random coverage into DIR (the cells, intervals
      and keywords of each in TRUTH_JSON)
  coverage_client.py search TAP_BASE TRUTH_JSON MESSENGER_DESISE
      runs the searches; prints a JSON report on stdout; exits 1 on the first disagreement
  coverage_client.py shapes FILE N SEED
      writes N asset documents (JSON Lines) with seeded cones and polygons as sky coverage
  coverage_client.py crosscheck TAP_BASE FILE
      reads back the MOC the registry made of each shape (rr.stc_spatial, order 6) and checks
      it against healpy: every cell whose centre is inside the shape is in it, and every cell
      in it lies within one cell of the shape
"""

import json
import math
import os
import random
import statistics
import sys
import tempfile
import time

import healpy
import numpy

ORDER = 6
NSIDE = 1 << ORDER


def cone_cells(ra, dec, radius, nside=NSIDE, inclusive=True):
    """The NESTED cells of a cone (degrees) at `nside`."""
    vec = healpy.ang2vec(ra, dec, lonlat=True)
    return set(
        int(c)
        for c in healpy.query_disc(
            nside, vec, math.radians(radius), inclusive=inclusive, nest=True
        )
    )


def polygon_cells(vertices, nside=NSIDE, inclusive=True):
    vecs = numpy.array([healpy.ang2vec(a, d, lonlat=True) for a, d in vertices])
    return set(
        int(c)
        for c in healpy.query_polygon(nside, vecs, inclusive=inclusive, nest=True)
    )


def to_order6(cells, order):
    """Cells of `order` as the set of order-6 cells they cover or lie in."""
    if order >= ORDER:
        return {c >> (2 * (order - ORDER)) for c in cells}
    shift = 2 * (ORDER - order)
    return {(c << shift) + k for c in cells for k in range(1 << shift)}


def ascii_moc(order, cells, rng):
    """An ASCII MOC as registries write them: cells unsorted, separators mixed."""
    cells = list(cells)
    rng.shuffle(cells)
    out = f"{order}/"
    for i, c in enumerate(cells):
        out += ("" if i == 0 else rng.choice([" ", ",", "\n", "\t", ", "])) + str(c)
    return out


H = 6.62607015e-34
C = 299792458.0


def records(directory, n, seed, truth_file):
    rng = random.Random(seed)
    truth = []
    for i in range(n):
        ivoid = f"ivo://cov.test/r{i}"
        pulsar = i % 3 == 0
        scs = i % 4 == 0
        spatial = temporal = spectral = None
        cells = []
        if i == 0:
            cells = list(range(12 * 4**ORDER))
            spatial = "0/0-11"
        elif rng.random() < 0.9:
            ra, dec = rng.uniform(0, 360), math.degrees(math.asin(rng.uniform(-1, 1)))
            radius = math.exp(rng.uniform(math.log(0.5), math.log(30)))
            order = 8 if rng.random() < 0.15 else ORDER
            raw = cone_cells(ra, dec, radius, nside=1 << order)
            cells = sorted(to_order6(raw, order))
            spatial = ascii_moc(order, raw, rng)
        intervals_t, intervals_s = [], []
        if rng.random() < 0.8:
            for _ in range(rng.choice([1, 1, 2])):
                a = rng.uniform(40000, 61000)
                b = a + math.exp(rng.uniform(0, math.log(8000)))
                intervals_t.append([a, b])
        if rng.random() < 0.7:
            for _ in range(rng.choice([1, 1, 2])):
                a = 10 ** rng.uniform(-27, -13)
                b = a * 10 ** rng.uniform(0.1, 3)
                intervals_s.append([a, b])
        coverage = ""
        if spatial:
            coverage += f"<spatial>{spatial}</spatial>"
        for a, b in intervals_t:
            # Bounds written in either order: a registry reads the interval.
            coverage += f"<temporal>{a!r} {b!r}</temporal>"
        for a, b in intervals_s:
            coverage += f"<spectral>{b!r} {a!r}</spectral>"
        words = "pulsar timing survey" if pulsar else "galaxy redshift survey"
        kind = "vs:CatalogService" if scs else "vs:DataCollection"
        capability = (
            '<capability xsi:type="cs:ConeSearch" standardID="ivo://ivoa.net/std/ConeSearch">'
            '<interface xsi:type="vs:ParamHTTP" role="std"><accessURL use="base">'
            f"http://cov.test/scs/{i}?</accessURL></interface><maxSR>1</maxSR>"
            "<maxRecords>100</maxRecords><verbosity>false</verbosity>"
            "<testQuery><ra>1</ra><dec>1</dec><sr>0.1</sr></testQuery></capability>"
            if scs
            else ""
        )
        rights = "" if scs else "<rights>public</rights>"
        xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<ri:Resource xmlns:ri="http://www.ivoa.net/xml/RegistryInterface/v1.0"
  xmlns:vr="http://www.ivoa.net/xml/VOResource/v1.0"
  xmlns:vs="http://www.ivoa.net/xml/VODataService/v1.1"
  xmlns:cs="http://www.ivoa.net/xml/ConeSearch/v1.0"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:type="{kind}" status="active" created="2020-01-01T00:00:00Z" updated="2024-01-01T00:00:00Z">
  <title>Coverage test record {i}</title>
  <identifier>{ivoid}</identifier>
  <curation><publisher>Coverage tests</publisher>
    <contact><name>Tester</name><email>t@cov.test</email></contact></curation>
  <content><subject>astronomy</subject>
    <description>A {words} record with coverage.</description>
    <referenceURL>http://cov.test/{i}</referenceURL></content>
  {rights}{capability}
  <coverage>{coverage}</coverage>
</ri:Resource>
"""
        with open(os.path.join(directory, f"r{i}.xml"), "w") as f:
            f.write(xml)
        truth.append(
            {
                "ivoid": ivoid,
                "cells": cells,
                "temporal": intervals_t,
                "spectral": intervals_s,
                "pulsar": pulsar,
                "scs": scs,
            }
        )
    with open(truth_file, "w") as f:
        json.dump(truth, f)


def search(base, truth_file, messenger):
    os.environ["IVOA_REGISTRY"] = base
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp()
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp()
    from astropy.utils.data import import_file_to_cache

    import_file_to_cache("http://www.ivoa.net/rdf/messenger", messenger)
    from astropy import units as u
    from astropy.coordinates import SkyCoord
    from astropy.time import Time
    from pyvo import registry

    registry.choose_RegTAP_service(base)
    with open(truth_file) as f:
        truth = json.load(f)
    for t in truth:
        t["cells"] = set(t["cells"])
    everyone = {t["ivoid"] for t in truth}
    report = {"checked": 0, "found": 0, "times_ms": {}}
    rng = random.Random(7)

    def found(*constraints, **kw):
        t0 = time.perf_counter()
        rs = registry.search(*constraints, **kw)
        elapsed = (time.perf_counter() - t0) * 1000
        return {r.ivoid for r in rs} & everyone, elapsed

    def check(label, got, want_low, want_high=None):
        """`want_low` ⊆ got ⊆ `want_high` (equal when no upper bound is given)."""
        high = want_low if want_high is None else want_high
        if not (want_low <= got <= high):
            print(
                json.dumps(
                    {
                        "failed": label,
                        "missing": sorted(want_low - got)[:20],
                        "extra": sorted(got - high)[:20],
                        "got": len(got),
                        "want": [len(want_low), len(high)],
                    }
                ),
                file=sys.stderr,
            )
            sys.exit(1)
        report["checked"] += 1
        report["found"] += len(got)

    def where(pred):
        return {t["ivoid"] for t in truth if pred(t)}

    def overlaps(cells):
        return where(lambda t: bool(t["cells"] & cells))

    def covers(cells):
        return where(lambda t: bool(t["cells"]) and cells <= t["cells"])

    def enclosed(cells):
        return where(lambda t: bool(t["cells"]) and t["cells"] <= cells)

    pixrad = math.degrees(healpy.max_pixrad(NSIDE))
    # An ASCII MOC, every relation; the cells are exactly what the registry compares.
    for k in range(8):
        ra, dec = rng.uniform(0, 360), rng.uniform(-70, 70)
        cells = cone_cells(ra, dec, rng.choice([0.8, 3, 12, 40]))
        moc = f"{ORDER}/" + " ".join(str(c) for c in sorted(cells))
        for intersect, want in [
            ("covers", covers(cells)),
            ("enclosed", enclosed(cells)),
            ("overlaps", overlaps(cells)),
        ]:
            got, _ = found(registry.Spatial(moc, intersect=intersect))
            check(f"MOC {k} {intersect}", got, want)
    # Points: the order-6 cell holding each (pyvo's default `covers`), as tuples and SkyCoords.
    for k in range(12):
        ra, dec = rng.uniform(0, 360), rng.uniform(-85, 85)
        cell = int(healpy.ang2pix(NSIDE, ra, dec, nest=True, lonlat=True))
        want = covers({cell})
        got, _ = found(registry.Spatial((ra, dec)))
        check(f"point {k}", got, want)
        got, _ = found(registry.Spatial(SkyCoord(ra * u.deg, dec * u.deg)))
        check(f"point {k} SkyCoord", got, want)
    # Circles and polygons become MOCs in the service; each result lies between what the
    # cells surely inside the shape and the cells within one cell of it would give.
    for k in range(12):
        ra, dec = rng.uniform(0, 360), rng.uniform(-70, 70)
        r = rng.choice([0.3, 2, 7, 20])
        inner = cone_cells(ra, dec, r, inclusive=False)
        outer = cone_cells(ra, dec, r + pixrad)
        got, _ = found(registry.Spatial((ra, dec, r), intersect="overlaps"))
        check(f"circle {k} overlaps", got, overlaps(inner), overlaps(outer))
        got, _ = found(registry.Spatial((ra, dec, r)))
        check(f"circle {k} covers", got, covers(outer), covers(inner))
        got, _ = found(registry.Spatial((ra, dec, r), intersect="enclosed"))
        check(f"circle {k} enclosed", got, enclosed(inner), enclosed(outer))
        got2, _ = found(
            registry.Spatial((SkyCoord(ra * u.deg, dec * u.deg), r * u.deg), intersect="enclosed")
        )
        check(f"circle {k} enclosed, SkyCoord and Quantity", got2, got)
        # At order 4: the query's cells are order-4 cells, each 16 order-6 cells.
        inner4 = to_order6(cone_cells(ra, dec, r, nside=16, inclusive=False), 4)
        outer4 = to_order6(
            cone_cells(ra, dec, r + math.degrees(healpy.max_pixrad(16)), nside=16), 4
        )
        got, _ = found(registry.Spatial((ra, dec, r), order=4, intersect="overlaps"))
        check(f"circle {k} order 4 overlaps", got, overlaps(inner4), overlaps(outer4))
    for k in range(8):
        ra, dec = rng.uniform(10, 350), rng.uniform(-60, 60)
        size = rng.choice([1.5, 6, 15])
        vertices = [(ra, dec), (ra + size, dec), (ra + size / 2, dec + size)]
        flat = [x for v in vertices for x in v]
        inner = polygon_cells(vertices, inclusive=False)
        outer = set()
        for c in polygon_cells(vertices):
            outer |= set(int(n) for n in healpy.get_all_neighbours(NSIDE, c, nest=True) if n >= 0)
            outer.add(c)
        got, _ = found(registry.Spatial(flat, intersect="overlaps"))
        check(f"polygon {k} overlaps", got, overlaps(inner), overlaps(outer))
        got, _ = found(registry.Spatial(flat))
        check(f"polygon {k} covers", got, covers(outer), covers(inner))
    # `inclusive` keeps what the plain constraint finds.
    plain, _ = found(registry.Spatial((120.0, 10.0, 5.0), intersect="overlaps"))
    wide, _ = found(registry.Spatial((120.0, 10.0, 5.0), intersect="overlaps", inclusive=True))
    check("spatial inclusive", plain, set(), wide)

    # Spectral: energies, frequencies and wavelengths (pyvo sends the latter reversed).
    def spectral(lo, hi):
        lo, hi = min(lo, hi), max(lo, hi)
        return where(lambda t: any(a <= hi and lo <= b for a, b in t["spectral"]))

    ev = 1.602176634e-19
    for label, constraint, (lo, hi) in [
        ("5 eV", registry.Spectral(5 * u.eV), (5 * ev, 5 * ev)),
        ("1e-20 J", registry.Spectral(1e-20), (1e-20, 1e-20)),
        (
            "88-102 MHz",
            registry.Spectral((88 * u.MHz, 102 * u.MHz)),
            (H * 88e6, H * 102e6),
        ),
        (
            "5000-6000 Angstrom",
            registry.Spectral((5000 * u.Angstrom, 6000 * u.Angstrom)),
            (H * C / 5000e-10, H * C / 6000e-10),
        ),
        ("1-10 keV", registry.Spectral((1 * u.keV, 10 * u.keV)), (1e3 * ev, 1e4 * ev)),
    ]:
        got, _ = found(constraint)
        check(f"spectral {label}", got, spectral(lo, hi))
    got, _ = found(registry.Spectral((1 * u.keV, 10 * u.keV), inclusive=True))
    check(
        "spectral inclusive",
        got,
        spectral(1e3 * ev, 1e4 * ev) | where(lambda t: not t["spectral"]),
    )

    # Temporal: an instant and an interval (MJD).
    def temporal(lo, hi):
        return where(lambda t: any(a <= hi and lo <= b for a, b in t["temporal"]))

    instant = Time("2010-01-10").mjd
    got, _ = found(registry.Temporal(Time("2010-01-10")))
    check("temporal instant", got, temporal(instant, instant))
    got, _ = found(registry.Temporal((54130, 54200)))
    check("temporal interval", got, temporal(54130, 54200))
    got, _ = found(registry.Temporal((54130, 54200), inclusive=True))
    check(
        "temporal inclusive",
        got,
        temporal(54130, 54200) | where(lambda t: not t["temporal"]),
    )

    # Everything at once, with keywords and a service type; timed end to end.
    moc_cells = cone_cells(200.0, 20.0, 60.0)
    moc = f"{ORDER}/" + " ".join(str(c) for c in sorted(moc_cells))
    combined = (
        overlaps(moc_cells)
        & temporal(45000, 58000)
        & spectral(1e-22, 1e-17)
        & where(lambda t: t["pulsar"])
    )
    times = []
    for _ in range(20):
        got, ms = found(
            registry.Spatial(moc, intersect="overlaps"),
            registry.Temporal((45000, 58000)),
            registry.Spectral((1e-22, 1e-17)),
            keywords=["pulsar"],
        )
        times.append(ms)
        check("combined", got, combined)
    report["times_ms"]["spatial+temporal+spectral+keyword"] = {
        "p50": statistics.median(times),
        "p95": sorted(times)[int(0.95 * (len(times) - 1))],
    }
    got, _ = found(
        registry.Spatial(moc, intersect="overlaps"),
        registry.Temporal((45000, 58000)),
        keywords=["pulsar"],
        servicetype="scs",
    )
    check(
        "combined with a service type",
        got,
        overlaps(moc_cells) & temporal(45000, 58000) & where(lambda t: t["pulsar"] and t["scs"]),
    )
    report["combined"] = len(combined)
    print(json.dumps(report))


def shapes(path, n, seed):
    rng = random.Random(seed)
    with open(path, "w") as f:
        for i in range(n):
            ra, dec = rng.uniform(0, 360), rng.uniform(-75, 75)
            if i % 2 == 0:
                sky = {"frame": "ICRS", "circle": [ra, dec, math.exp(rng.uniform(math.log(0.3), math.log(40)))]}
            else:
                size = rng.uniform(1, 20)
                sky = {"frame": "ICRS", "polygon": [ra, dec, (ra + size) % 360, dec,
                                                    (ra + size / 2) % 360, min(dec + size, 89)]}
            doc = {"id": f"shape-{i:04d}", "type": "Dataset", "name": f"Shape {i}",
                   "coverage": {"sky": sky}}
            f.write(json.dumps(doc) + "\n")


def cells_of(moc):
    """The order-6 cells of an ASCII MOC of order 6 or less."""
    out, order = set(), None
    for token in moc.replace(",", " ").split():
        if "/" in token:
            head, _, rest = token.partition("/")
            order = int(head)
            if not rest:
                continue
            token = rest
        lo, _, hi = token.partition("-")
        for c in range(int(lo), int(hi or lo) + 1):
            out |= to_order6({c}, order)
    return out


def crosscheck(base, path):
    import pyvo

    svc = pyvo.dal.TAPService(base)
    rows = svc.run_sync(
        "SELECT ivoid, coverage FROM rr.stc_spatial WHERE ivoid LIKE '%/shape-%'",
        maxrec=100000,
    )
    made = {str(r["ivoid"]).rsplit("/", 1)[-1]: str(r["coverage"]) for r in rows}
    pixrad = math.degrees(healpy.max_pixrad(NSIDE))
    checked = 0
    with open(path) as f:
        for line in f:
            doc = json.loads(line)
            sky = doc["coverage"]["sky"]
            moc = cells_of(made[doc["id"]])
            if "circle" in sky:
                ra, dec, r = sky["circle"]
                inner = cone_cells(ra, dec, r, inclusive=False)
                outer = cone_cells(ra, dec, r + pixrad)
            else:
                p = sky["polygon"]
                vertices = [(p[0], p[1]), (p[2], p[3]), (p[4], p[5])]
                inner = polygon_cells(vertices, inclusive=False)
                outer = set()
                for c in polygon_cells(vertices):
                    outer.add(c)
                    outer |= {int(x) for x in healpy.get_all_neighbours(NSIDE, c, nest=True) if x >= 0}
            if not (inner <= moc <= outer):
                print(json.dumps({"failed": doc["id"], "sky": sky,
                                  "missing": sorted(inner - moc)[:10],
                                  "extra": sorted(moc - outer)[:10]}), file=sys.stderr)
                sys.exit(1)
            checked += 1
    print(json.dumps({"shapes": checked}))


if __name__ == "__main__":
    if sys.argv[1] == "records":
        records(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif sys.argv[1] == "shapes":
        shapes(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif sys.argv[1] == "crosscheck":
        crosscheck(sys.argv[2], sys.argv[3])
    else:
        search(sys.argv[2], sys.argv[3], sys.argv[4])
