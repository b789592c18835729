"""The portal in a real browser: headless Chromium (Debian's, driven by Playwright) against a
running orrery. Started by `tests/it/browser.rs`, which serves the demo catalogue with a private
asset shared between two accounts and passes their tokens.

Every flow runs once with the script on and once with it off; a keyboard-only run; facet counts
compared with the API for three callers; axe-core on every kind of page; the exports of one URL
compared with its page; no console errors. Screenshots of each page go to the given folder.

Usage: portal.py BASE_URL SCREENSHOT_DIR AXE_JS OWNER_TOKEN SHARED_TOKEN PRIVATE_ID
Exits non-zero, naming every failed check, when any check fails.
"""

import csv
import io
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

from playwright.sync_api import sync_playwright

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ARGS, CHROMIUM, check, finish  # noqa: E402
from harness import axe as run_axe  # noqa: E402

BASE, SHOTS, AXE, OWNER, SHARED, PRIVATE_ID = sys.argv[1:7]
def api(path, token=None):
    req = urllib.request.Request(BASE + path)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req) as r:
        return r.read().decode("utf-8")


def query_of(url):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)


def page_facets(page):
    """{facet: {value: (count, selected)}} as the page shows them (folded values included)."""
    return page.evaluate(
        """() => {
        const out = {};
        for (const sec of document.querySelectorAll('.facets .facet')) {
          const name = sec.getAttribute('aria-labelledby').slice(2);
          const vals = {};
          for (const a of sec.querySelectorAll('a.fv')) {
            const href = new URL(a.href);
            vals[a.querySelector('.v').textContent] = [
              parseInt(a.querySelector('.n').firstChild.textContent, 10),
              a.classList.contains('on')];
          }
          out[name] = vals;
        }
        return out;
    }"""
    )


def label(facet, value):
    if facet == "type" and value == "DataVolume":
        return "Data volume"
    if facet == "esaOfficial":
        return {"true": "Yes", "false": "No"}[value]
    if facet == "skyCell":
        # The cell's centre by healpy (nested), and the side of a cell of equal area.
        import healpy
        order, cell = (int(x) for x in value.split("/"))
        ra, dec = healpy.pix2ang(2**order, cell, nest=True, lonlat=True)
        side = (41253 / (12 * 4**order)) ** 0.5
        return f"RA {float(ra) + 0.0:.0f}°, Dec {float(dec) + 0.0:+.0f}° ({side:.0f}° cell)"
    return value


def compare_counts(page, path, token, who, preset=False):
    """The facet counts of the page at `path` equal the API's for the same caller (a catalogue,
    `preset`, does not show its fixed type as a facet). The page offers up to 100 values a facet
    (the first few shown, the rest under "show more"): the API is asked for as many."""
    qs = urllib.parse.urlsplit(path).query
    answer = json.loads(api("/api/v1/assets?" + "&".join(p for p in [qs, "facetLimit=100"] if p), token))
    shown = page_facets(page)
    for facet in answer["facets"]:
        name = facet["name"]
        if preset and name == "type":
            continue
        want = {label(name, v["value"]): v["count"] for v in facet["values"]}
        got = {k: c for k, (c, _) in shown.get(name, {}).items()}
        if not want:
            check(name not in shown, f"{who}: empty facet {name} is hidden on {path}")
            continue
        check(got == want, f"{who}: counts of {name} on {path} equal the API's ({got} vs {want})")
    total = answer["total"]
    showing = page.locator("#results-h").inner_text()
    check(
        (f"of {total} " in showing) if total else showing == "No results",
        f"{who}: '{showing}' names the API's total {total} on {path}",
    )


def appears(page, selector):
    """Whether `selector` is on the page within a few seconds (a refresh in place is async)."""
    try:
        page.wait_for_selector(selector, timeout=5000)
        return True
    except Exception:  # noqa: BLE001 (Playwright's timeout)
        return False


def shot(page, name):
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def axe(page, what):
    run_axe(page, AXE, what)


def flows(browser, js):
    mode = "JS on" if js else "JS off"
    ctx = browser.new_context(java_script_enabled=js, viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))

    # URL -> page: the box, the chips, the selected facets, the counts, "Showing".
    url = "/?q=gaia&mission=Gaia+DR3&type=Dataset"
    page.goto(BASE + url)
    check(page.locator("#q").input_value() == "gaia", f"{mode}: the box holds the query")
    chips = page.locator(".chips .chip").all_inner_texts()
    # "Gaia DR3" is another name of the mission Gaia: the page names it as the facet does.
    check(
        any("Gaia" in c for c in chips) and any("Dataset" in c for c in chips),
        f"{mode}: chips show the chosen values {chips}",
    )
    shown = page_facets(page)
    check(shown.get("mission", {}).get("Gaia", (0, False))[1], f"{mode}: Gaia is ticked")
    compare_counts(page, url, None, f"{mode} anonymous")
    canonical = page.locator('link[rel="canonical"]').get_attribute("href")
    check(
        canonical == BASE + "/?q=gaia&type=Dataset&mission=Gaia",
        f"{mode}: the canonical URL is the normalised state ({canonical})",
    )
    shot(page, f"search-{'js' if js else 'nojs'}")

    # page -> URL: type, submit, pick a facet, remove a chip, clear all.
    page.goto(BASE + "/")
    page.fill("#q", "jupyter")
    page.locator(".searchbox button[type=submit]").click()
    page.wait_for_url(lambda u: "q=jupyter" in u)
    check(query_of(page.url).get("q") == ["jupyter"], f"{mode}: submitting puts q in the URL")
    first_type = page.locator('.facet[aria-labelledby="f-type"] a.fv').first
    value = first_type.locator(".v").inner_text()
    first_type.click()
    page.wait_for_url(lambda u: "type=" in u)
    check("type" in query_of(page.url), f"{mode}: a facet value picked goes into the URL")
    canonical = page.locator('link[rel="canonical"]').get_attribute("href")
    check(page.url == canonical, f"{mode}: the address is the canonical one ({page.url} vs {canonical})")
    check(page.locator(".chips .chip").count() >= 1, f"{mode}: the picked value is a chip")
    compare_counts(page, page.url[len(BASE):], None, f"{mode} anonymous")
    page.locator(".chips .chip", has_text=value).first.click()
    page.wait_for_url(lambda u: "type=" not in u)
    check("type" not in query_of(page.url), f"{mode}: removing the chip removes it from the URL")
    # Back and forward restore the state.
    page.go_back()
    page.wait_for_url(lambda u: "type=" in u)
    check(
        appears(page, ".chips .chip"),
        f"{mode}: back restores the facet selection ({page.url})",
    )
    page.go_forward()
    page.wait_for_url(lambda u: "type=" not in u)
    page.goto(BASE + "/?q=gaia&mission=Gaia+DR3")
    page.locator(".chips a.clear").click()
    page.wait_for_url(lambda u: urllib.parse.urlsplit(u).query == "")
    check(page.locator(".chips").count() == 0, f"{mode}: clear all empties the state")

    # Sorting is a form with a button: changing the select alone goes nowhere.
    page.goto(BASE + "/?q=gaia")
    page.select_option("#sort", "name")
    check("sort=" not in page.url, f"{mode}: changing the sort alone does not navigate")
    page.locator(".sort button").click()
    page.wait_for_url(lambda u: "sort=name" in u)
    names = page.locator(".hits .hit h3").all_inner_texts()
    check(names == sorted(names, key=str.lower), f"{mode}: sorted by name {names[:5]}")

    # Numbered pages.
    page.goto(BASE + "/?limit=5")
    check(page.locator('link[rel="next"]').count() == 1, f"{mode}: page 1 names its next page")
    page.locator('.pages a[rel="next"]').click()
    page.wait_for_url(lambda u: "page=2" in u)
    check("Showing 6–10 of" in page.locator("#results-h").inner_text(), f"{mode}: page 2 shows 6–10")

    # An unparsable query: the page, with the parser's message beside the box.
    page.goto(BASE + '/?q=%22unclosed')
    check(page.locator("#q-error").count() == 1, f"{mode}: a query that does not parse is explained")
    check("character" in page.locator("#q-error").inner_text(), f"{mode}: the message names the position")

    # Junk parameters: the page and a notice.
    page.goto(BASE + "/?colour=red&page=zz")
    check(page.locator(".notice").count() == 1, f"{mode}: junk parameters get a notice")

    # Nothing found: which filter to remove and what it gives.
    page.goto(BASE + "/?q=jupyter&mission=Planck")
    relax = page.locator(".empty li").all_inner_texts()
    check(bool(relax), f"{mode}: zero results suggest a filter to remove {relax}")

    # The asset page's sections answer their anchors.
    page.goto(BASE + "/assets/gaia-dr3#download")
    check(page.locator("#download").is_visible(), f"{mode}: #download is on the page")
    for tab in ["overview", "details", "query", "visualize", "analyze", "download"]:
        check(page.locator(f"#{tab}").count() == 1, f"{mode}: the asset page has #{tab}")

    if js:
        # Suggestions as one types.
        page.goto(BASE + "/")
        page.locator("#q").press_sequentially("gai", delay=50)
        page.wait_for_selector("#q-suggest li", timeout=5000)
        check(page.locator("#q-suggest li").count() > 0, "JS on: suggestions appear as one types")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        check(page.locator("#q").input_value().strip() != "gai", "JS on: a suggestion is taken with the keyboard")
    check(not errors, f"{mode}: no console errors {errors}")
    ctx.close()


def keyboard(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(BASE + "/?q=gaia")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    check(focused == "skip", f"keyboard: the first Tab reaches the skip link ({focused})")
    page.keyboard.press("Enter")
    check(page.url.endswith("#results"), "keyboard: the skip link goes past the facets")
    # From the top: Tab to the box, type, Enter.
    page.goto(BASE + "/")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    check(page.evaluate("document.activeElement.id") == "q", "keyboard: Tab reaches the search box")
    page.keyboard.type("euclid")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda u: "q=euclid" in u)
    check("q=euclid" in page.url, "keyboard: Enter in the box searches")
    # Tab to the first facet value and pick it with Enter.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('fv')"):
            break
    on_facet = page.evaluate("document.activeElement.classList.contains('fv')")
    check(on_facet, "keyboard: Tab reaches the facet values")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    check(outline not in ("none", ""), f"keyboard: focus is visible ({outline})")
    before = page.url
    page.keyboard.press("Enter")
    page.wait_for_url(lambda u: u != before)
    check(page.url != before, "keyboard: Enter on a facet value picks it")
    check(
        page.evaluate("document.activeElement.classList.contains('fv')"),
        "keyboard: focus stays on the facet value once the results are refreshed",
    )
    ctx.close()


def callers(browser):
    """Facet counts as the owner and as the user a private asset is shared with."""
    anon_total = json.loads(api("/api/v1/assets"))["total"]
    for who, token in [("owner", OWNER), ("shared user", SHARED)]:
        ctx = browser.new_context(extra_http_headers={"Authorization": f"Bearer {token}"})
        page = ctx.new_page()
        for url in ["/", "/?q=zzbrowser", "/?keyword=zzbrowser", "/datasets"]:
            page.goto(BASE + url)
            qs = "type=Dataset" if url == "/datasets" else urllib.parse.urlsplit(url).query
            compare_counts(page, "/?" + qs, token, who, preset=url == "/datasets")
        mine = json.loads(api("/api/v1/assets", token))["total"]
        check(mine == anon_total + 1, f"{who}: sees one asset more than anonymous ({mine} vs {anon_total})")
        page.goto(BASE + f"/assets/{PRIVATE_ID}")
        check(page.locator("h1").inner_text().startswith("Browser private"), f"{who}: the private asset's page")
        ctx.close()
    ctx = browser.new_context()
    page = ctx.new_page()
    r = page.goto(BASE + f"/assets/{PRIVATE_ID}")
    check(r.status == 404, "anonymous: the private asset's page is a 404")
    check(page.locator("h1").inner_text() == "No such asset", "anonymous: the 404 is a page for people")
    page.goto(BASE + "/?keyword=zzbrowser")
    check(page.locator("#results-h").inner_text() == "No results", "anonymous: the private asset is not found")
    ctx.close()


def accessibility(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    pages = {
        "search": "/",
        "results": "/?q=gaia&mission=Gaia+DR3",
        "no-results": "/?q=jupyter&mission=Planck",
        "datalabs": "/datalabs",
        "pipelines": "/pipelines",
        "datasets": "/datasets",
        "volumes": "/volumes",
        "datalab": "/assets/jl-esdc",
        "pipeline": "/assets/hello-pipeman",
        "dataset": "/assets/gaia-dr3",
        "volume": "/assets/planck-legacy-archive",
        "resource": "/assets/goce-mission",
        "not-found": "/assets/no-such-asset",
    }
    for name, url in pages.items():
        page.goto(BASE + url)
        title = page.title()
        check(bool(title) and "orrery" in title, f"{name}: the page has a title ({title})")
        check(page.locator("main").count() == 1, f"{name}: one main landmark")
        axe(page, f"{name} ({url})")
        shot(page, name)
    for scheme in ["dark"]:
        page.emulate_media(color_scheme=scheme)
        for name in ["results", "pipeline"]:
            page.goto(BASE + pages[name])
            axe(page, f"{name} in {scheme} mode")
            shot(page, f"{name}-{scheme}")
    ctx.close()
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    page.goto(BASE + "/?q=gaia")
    folded = page.evaluate("!document.querySelector('.facets details.fold').open")
    check(folded, "phone: the facets are folded")
    axe(page, "results on a phone")
    shot(page, "results-phone")
    phone.close()


def exports():
    url = "q=gaia&sort=name"
    page_ids = []
    html = api("/?" + url)
    for part in html.split('<article class="hit')[1:]:
        href = part.split('href="', 1)[1].split('"', 1)[0]
        page_ids.append(href.rsplit("/", 1)[1])
    atom = ET.fromstring(api("/search.atom?" + url))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    atom_ids = [e.find("a:id", ns).text.rsplit("/", 1)[1] for e in atom.findall("a:entry", ns)]
    check(atom_ids == page_ids, f"exports: the Atom feed holds the page's hits {atom_ids} {page_ids}")
    rows = list(csv.DictReader(io.StringIO(api("/search.csv?" + url))))
    csv_ids = [r["id"] for r in rows]
    lines = [json.loads(line) for line in api("/search.jsonl?" + url).splitlines()]
    jsonl_ids = [x["id"] for x in lines]
    total = json.loads(api("/api/v1/assets?" + url))["total"]
    check(len(csv_ids) == total, f"exports: CSV holds every hit ({len(csv_ids)} of {total})")
    check(csv_ids[: len(page_ids)] == page_ids, "exports: CSV starts with the page's hits")
    check(jsonl_ids == csv_ids, "exports: JSON Lines holds the same hits as CSV")
    for bad in ["/search.csv?mission=Gaai", "/search.jsonl?colour=red", "/search.atom?q=%22open"]:
        try:
            api(bad)
            status = 200
        except urllib.error.HTTPError as e:
            status = e.code
        check(status == 400, f"exports: {bad} is refused, not widened ({status})")


def main():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            flows(browser, js=True)
            flows(browser, js=False)
            keyboard(browser)
            callers(browser)
            accessibility(browser)
            exports()
        finally:
            browser.close()
    finish()


if __name__ == "__main__":
    main()
