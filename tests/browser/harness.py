"""What the browser checks share: Debian's Chromium and its flags, the checks' ledger, and
axe-core run on a page (WCAG 2.0-2.2 A and AA, and best practices)."""

import sys

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

failures = []


def check(ok, what):
    if ok:
        print(f"ok    {what}")
    else:
        print(f"FAIL  {what}")
        failures.append(what)


def axe(page, axe_js, what):
    """Runs axe-core (from the file `axe_js`) on the page; a check that it finds nothing."""
    page.add_script_tag(path=axe_js)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    bad = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]
    check(not bad, f"axe-core finds no violation on {what}: {bad}")


def finish():
    """Exits non-zero, naming every failed check, when any failed."""
    if failures:
        print(f"\n{len(failures)} check(s) failed:")
        for f in failures:
            print(f"  {f}")
        sys.exit(1)
    print("\nevery check passed")
