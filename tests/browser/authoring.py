"""The signed-in authoring pages in a real browser: headless Chromium (Debian's, driven by
Playwright) against a running orrery on an empty data directory. Started by `tests/it/browser.rs`,
which issues the tokens and passes them here.

The whole life of an asset runs once with the script on and once with it off, each with its own
asset: sign in through the form (a wrong token first), a draft from "My assets", the editor
(name, Markdown abstract with its preview, keywords, a licence from the grouped picker, a
creator row), refused values kept in their controls, a stale save (two pages of one session),
visibility private to another developer (a bad name refused first) and back, submit; the
moderator (own context, signed in through the form) cannot reject without a comment (neither in
the browser nor past it), rejects with one; the developer reads the comment on "My assets" and
the asset page, fixes and resubmits; the moderator's own submission is not hers to decide; she
approves; an anonymous reader finds it in the search. Forms that must be refused are: a form
from another site or another origin (served with `page.route` while the developer's cookie
exists), one without its form token, one with a field added by hand. Sign-out and a revoked
token end the session. axe-core runs on every signed-in page, in light and dark mode (the editor
also in its preview, error, stale and refused states); the keyboard's focus is never hidden
behind a sticky bar (WCAG 2.4.11), and the links of a problems box lead to their fields.
Screenshots go to the given folder (prefix `auth-`; `-nojs` with the script off, `-dark` in dark
mode); axe-core runs where scripts do.

Usage: authoring.py BASE_URL SCREENSHOT_DIR AXE_JS ANN_TOKEN BEN_TOKEN MIA_TOKEN CAT_TOKEN
                    DATA_DIR ORRERY_BIN
(ann and ben: developers; mia: a moderator; cat: a developer whose token is revoked.)
Exits non-zero, naming every failed check, when any check fails.
"""

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

from playwright.sync_api import sync_playwright

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ARGS, CHROMIUM, check, finish  # noqa: E402
from harness import axe as run_axe  # noqa: E402

BASE, SHOTS, AXE, ANN, BEN, MIA, CAT, DATA, BIN = sys.argv[1:10]
VIEWPORT = {"width": 1280, "height": 900}


def asset_api(id, token):
    """The asset as the API gives it to `token`'s account (None when it answers 404)."""
    req = urllib.request.Request(f"{BASE}/api/v1/assets/{id}")
    req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise


def path_of(url):
    """The path and query of `url` (what follows the origin)."""
    p = urllib.parse.urlsplit(url)
    return p.path + (f"?{p.query}" if p.query else "")


def press(page, target):
    """Clicks a button (a selector or a locator) that sends a form and waits for the page it
    leads to. Returns (status of the answer to the form, final response): the first is 303 when
    the answer was a redirect."""
    loc = page.locator(target) if isinstance(target, str) else target
    with page.expect_navigation() as nav:
        loc.click()
    final = nav.value
    first = final.request
    while first.redirected_from is not None:
        first = first.redirected_from
    sent = first.response() if first is not final.request else final
    return (sent.status if sent else None), final


def text(page, selector):
    loc = page.locator(selector)
    return " ".join(loc.all_inner_texts()) if loc.count() else ""


def shot(page, name):
    page.screenshot(path=f"{SHOTS}/auth-{name}.png", full_page=True)


def axe(page, what):
    run_axe(page, AXE, what)


FOCUS_HIDDEN = """() => {
  const a = document.activeElement;
  if (!a || a === document.body) return null;
  const r = a.getBoundingClientRect();
  const name = a.id ? '#' + a.id
    : a.name ? `${a.name}=${a.value}`
    : `${a.tagName.toLowerCase()} "${a.textContent.trim().slice(0, 30)}"`;
  const by = [];
  for (const el of document.querySelectorAll('body *')) {
    const pos = getComputedStyle(el).position;
    if ((pos !== 'sticky' && pos !== 'fixed') || el.contains(a)) continue;
    const s = el.getBoundingClientRect();
    if (s.width && s.height && r.top >= s.top && r.bottom <= s.bottom && r.left >= s.left && r.right <= s.right)
      by.push('.' + el.className.split(' ').join('.'));
  }
  return {name, by};
}"""


def focus_not_hidden(page, what):
    """WCAG 2.4.11 (Focus Not Obscured, AA in 2.2): tabbing forwards then backwards through the
    page, no focused element is entirely hidden behind a sticky or fixed part of the page."""
    page.evaluate("window.scrollTo(0, 0)")
    hidden = {}
    for key in ["Tab", "Shift+Tab"]:
        for i in range(400):
            page.keyboard.press(key)
            r = page.evaluate(FOCUS_HIDDEN)
            if r is None:
                if i > 3:
                    break
                continue
            if r["by"]:
                hidden[r["name"]] = r["by"][0]
    check(not hidden, f"keyboard: no focused element is hidden behind a sticky bar on {what} {hidden}")


def in_page_links(page, what):
    """Every in-page link of the problems box leads to an element of the page."""
    broken = page.locator(".problems a[href^='#']").evaluate_all(
        "as => as.map(a => a.getAttribute('href')).filter(h => !document.getElementById(h.slice(1)))"
    )
    check(not broken, f"the problems' links on {what} lead somewhere (no element for {broken})")


def audit(page, js, name, what, dark=True, keys=True):
    """A screenshot of the page, and (where scripts run, for axe is a script) axe-core on it, in
    light and dark mode, and (`keys`) the keyboard's focus never hidden."""
    suffix = "" if js else "-nojs"
    title = page.title()
    check("orrery" in title, f"{what}: the page has a title ({title!r})")
    check(page.locator("main").count() == 1 and page.locator("h1").count() == 1, f"{what}: one main, one h1")
    shot(page, name + suffix)
    if not js:
        return
    axe(page, what)
    if keys:
        focus_not_hidden(page, what)
    if dark:
        page.emulate_media(color_scheme="dark")
        axe(page, f"{what} in dark mode")
        shot(page, f"{name}-dark")
        page.emulate_media(color_scheme="light")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def watch(page, errors):
    def console(m):
        # A page answered with 4xx is logged as a failed load: that is the answer, not an error.
        if m.type == "error" and "Failed to load resource" not in m.text:
            errors.append(m.text)

    page.on("console", console)
    page.on("pageerror", lambda e: errors.append(str(e)))


def account_nav(page):
    """The links and buttons of the header's account navigation."""
    nav = page.locator('nav[aria-label="Account"]')
    return [t.strip() for t in nav.locator("a, button").all_inner_texts()]


def sign_in(page, token, who, mode, start="/me", audit_as=None):
    """Signs in through the form the page at `start` sends an anonymous reader to; checks it
    lands back on `start`."""
    page.goto(BASE + start)
    check(
        path_of(page.url).startswith("/login?next=" + urllib.parse.quote(start, safe="")),
        f"{mode}: {who} anonymous at {start} is sent to the sign-in page ({path_of(page.url)})",
    )
    check(account_nav(page) == ["Sign in"], f"{mode}: anonymous, the header offers Sign in")
    check(
        page.locator("#token").get_attribute("type") == "password",
        f"{mode}: the token is a password input",
    )
    if audit_as:
        audit(page, audit_as[0], "login", "the sign-in page")
    page.fill("#token", token)
    status, _ = press(page, 'form[action="/login"] button[type=submit]')
    check(status == 303, f"{mode}: {who} signs in: 303 ({status})")
    check(path_of(page.url) == start, f"{mode}: {who} is back at {start} ({path_of(page.url)})")
    nav = account_nav(page)
    check(
        "My assets" in nav and any(n.startswith("Sign out") for n in nav),
        f"{mode}: signed in, the header has My assets and Sign out {nav}",
    )
    session = [c for c in page.context.cookies() if c["name"] == "orrery_session"]
    check(
        len(session) == 1 and session[0]["httpOnly"] and session[0]["sameSite"] == "Lax",
        f"{mode}: the session cookie is HttpOnly and SameSite=Lax "
        f"{session and {k: session[0][k] for k in ('httpOnly', 'sameSite')}}",
    )
    return session[0]["value"] if session else None


def set_and_save(page, values):
    """Fills editor controls ({selector: value}) and presses Save."""
    for sel, v in values.items():
        page.fill(sel, v)
    return press(page, 'button[name="_action"][value="save"]')


def attack(ctx, js, mode, id, name_before, form_token, revision):
    """Forms another site or another origin sends to the editor while the developer's cookie
    exists: none changes the asset."""
    for who, origin, with_token in [
        ("another site", "http://attacker.test", False),
        ("another origin of the same site, with a leaked form token", f"http://127.0.0.1:{free_port()}", True),
    ]:
        page = ctx.new_page()
        url = f"{origin}/csrf.html"
        csrf = f'<input type="hidden" name="_csrf" value="{form_token}">' if with_token else ""
        html = f"""<!doctype html><html lang="en"><head><title>Win a prize</title></head>
<body{' onload="document.forms[0].submit()"' if js else ''}><form method="post" action="{BASE}/assets/{id}/edit">
{csrf}<input type="hidden" name="revision" value="{revision}">
<input type="hidden" name="_fields" value="name"><input type="hidden" name="name" value="Defaced">
<button type="submit">Claim</button></form></body></html>"""
        page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=html))
        with page.expect_response(
            lambda r: r.request.method == "POST" and r.url.startswith(f"{BASE}/assets/{id}/edit")
        ) as posted:
            page.goto(url)  # with the script on, the page sends the form itself
            if not js:
                page.click("button")
        status = posted.value.status
        location = posted.value.headers.get("location", "")
        page.wait_for_url(lambda u: u.startswith(BASE))
        now = asset_api(id, ANN)
        check(
            now["name"] == name_before,
            f"{mode}: a form from {who} changes nothing "
            f"(answer {status}, at {path_of(page.url)}, name {now['name']!r})",
        )
        check(status in (303, 403), f"{mode}: the form from {who} is refused or sent to sign in ({status})")
        if not with_token:
            check(
                status == 303 and location.startswith("/login?"),
                f"{mode}: across sites the session cookie is not sent: sent to sign in ({status} {location})",
            )
        if with_token:
            check(status == 403, f"{mode}: the origin check alone refuses it with 403 ({status})")
            check(
                "This form was refused" in page.content(),
                f"{mode}: the refusal is a page that says so",
            )
        page.close()


def flows(browser, js):
    mode = "JS on" if js else "JS off"
    id = "auth-js-on" if js else "auth-js-off"
    word = "zzauthjson" if js else "zzauthjsoff"
    errors = []

    dev = browser.new_context(java_script_enabled=js, viewport=VIEWPORT)
    page = dev.new_page()
    watch(page, errors)

    # Anonymous: the header offers sign-in; /me sends to the form; a wrong token is refused.
    page.goto(BASE + "/")
    check(account_nav(page) == ["Sign in"], f"{mode}: the search page's header offers Sign in")
    page.goto(BASE + "/login?next=/me")
    page.fill("#token", "orr_000000000000_not-a-token")
    status, _ = press(page, 'form[action="/login"] button[type=submit]')
    check(status == 401, f"{mode}: a wrong token is answered 401 ({status})")
    problems = text(page, ".problems")
    check("not a token this catalogue issued" in problems, f"{mode}: the form says why ({problems!r})")
    check(
        page.locator("#token").get_attribute("aria-invalid") == "true",
        f"{mode}: the token input is marked invalid",
    )
    check(
        not [c for c in dev.cookies() if c["name"] == "orrery_session"],
        f"{mode}: a wrong token sets no session cookie",
    )
    audit(page, js, "login-error", "the sign-in page with an error")
    page.goto(BASE + "/")

    cookie = sign_in(page, ANN, "dev-ann", mode, audit_as=(js,))
    check("Review" not in account_nav(page), f"{mode}: a developer has no Review link")
    check("Signed in as dev-ann" in text(page, ".intro"), f"{mode}: /me names the reader")
    audit(page, js, "me", "my assets (/me)")

    # A new draft from the form.
    page.fill("#new-id", id)
    page.select_option("#new-type", "Dataset")
    page.fill("#new-name", f"Authoring {mode} draft")
    status, _ = press(page, '#new button[type=submit]')
    check(status == 303, f"{mode}: the new-asset form creates a draft ({status})")
    check(
        path_of(page.url) == f"/assets/{id}/edit?created=1",
        f"{mode}: on to the editor ({path_of(page.url)})",
    )
    check("Draft created" in text(page, ".notice"), f"{mode}: the editor says the draft was created")
    a = asset_api(id, ANN)
    check(a and a["status"] == "draft" and a["owner"] == "dev-ann", f"{mode}: the API has the draft")
    page.goto(BASE + "/me")
    check(
        page.locator(f'#drafts a[href="/assets/{id}"]').count() == 1,
        f"{mode}: /me lists it under Drafts",
    )

    # The editor: read-only fields with why; the grouped licence picker.
    page.goto(BASE + f"/assets/{id}/edit")
    why = text(page, "#f-domain .why")
    check("Only moderators" in why, f"{mode}: Domain is read-only for a developer, with why ({why!r})")
    check(page.locator('#f-domain input[type="checkbox"]').count() == 0, f"{mode}: Domain has no checkboxes")
    groups = page.locator("#i-license optgroup").evaluate_all("gs => gs.map(g => g.label)")
    check(
        groups == ["Popular licences", "European Space Agency", "Others"],
        f"{mode}: the licence picker is grouped {groups}",
    )
    licence = page.locator('#i-license optgroup[label="Popular licences"] option').first.get_attribute("value")
    audit(page, js, "editor", "the editor")

    # Fill in, preview the Markdown, save.
    name = f"Authoring {mode} {word}"
    abstract = f"A plain abstract about {word}."
    description = f"A **bold** description about {word}, with a [link](https://example.org/)."
    page.fill("#i-name", name)
    page.fill("#i-abstract", abstract)
    page.fill("#i-description", description)
    page.fill("#i-keywords", f"alpha\nbeta\n{word}")
    page.select_option("#i-license", licence)
    status, _ = press(page, 'button[name="_action"][value="preview"]')
    check(status == 200, f"{mode}: Preview Markdown answers the editor ({status})")
    check("A preview" in text(page, ".notice"), f"{mode}: the preview says nothing is saved")
    strong = text(page, "#f-description .preview strong")
    check(strong == "bold", f"{mode}: the preview renders the Markdown ({strong!r})")
    check(page.locator("#i-name").input_value() == name, f"{mode}: the preview keeps the input")
    check(asset_api(id, ANN)["name"] != name, f"{mode}: a preview saves nothing")
    audit(page, js, "editor-preview", "the editor with a preview", keys=False)
    status, _ = press(page, 'button[name="_action"][value="save"]')
    check(status == 303, f"{mode}: Save answers 303 ({status})")
    check("?saved=" in page.url, f"{mode}: back to the editor with ?saved= ({path_of(page.url)})")
    check("Saved (revision" in text(page, ".notice"), f"{mode}: the editor says it was saved")
    a = asset_api(id, ANN)
    check(a["name"] == name, f"{mode}: the API has the name ({a['name']!r})")
    check(a.get("abstract") == abstract, f"{mode}: the API has the abstract")
    check(a.get("description") == description, f"{mode}: the API has the Markdown description")
    check(
        sorted(a.get("keywords", [])) == sorted(["alpha", "beta", word]),
        f"{mode}: the API has the keywords {a.get('keywords')}",
    )
    check(a.get("license") == licence, f"{mode}: the API has the licence {a.get('license')} ({licence})")
    check(page.locator("#i-license").input_value() == licence, f"{mode}: the picker shows the saved licence")

    # Errors: JSON that does not parse, a creator row without a name; the input is kept and
    # nothing saved.
    rows = page.locator("#f-creator .agent")
    check(rows.count() >= 1, f"{mode}: Creators are rows ({rows.count()})")
    page.fill("#i-coverage", "{nope")
    rows.nth(0).locator('input[name="creator.affiliation"]').fill("ESA")
    page.fill("#i-name", f"{name} unsaved")
    status, _ = press(page, 'button[name="_action"][value="save"]')
    check(status == 422, f"{mode}: unreadable values are answered 422 ({status})")
    check("Not saved" in text(page, ".problems"), f"{mode}: the problems say Not saved")
    for key, message in [("coverage", "This is not JSON"), ("creator", "has no name")]:
        check(
            page.locator(f'.problems a[href="#i-{key}"]').count() == 1,
            f"{mode}: the problems link to {key}",
        )
        check(message in text(page, f"#e-{key}"), f"{mode}: the message is next to {key} ({text(page, f'#e-{key}')!r})")
    check(
        page.locator("#i-coverage").get_attribute("aria-invalid") == "true",
        f"{mode}: the JSON field is marked invalid",
    )
    check(page.locator("#i-coverage").input_value() == "{nope", f"{mode}: the JSON input is kept")
    check(
        page.locator('#f-creator .agent input[name="creator.affiliation"]').first.input_value() == "ESA",
        f"{mode}: the creator row is kept",
    )
    check(page.locator("#i-name").input_value() == f"{name} unsaved", f"{mode}: the name input is kept")
    check(asset_api(id, ANN)["name"] == name, f"{mode}: an error saves nothing")
    in_page_links(page, f"the editor in its error state ({mode})")
    audit(page, js, "editor-error", "the editor in its error state", keys=False)
    # Put right: a creator with a name, no coverage.
    page.fill("#i-coverage", "")
    page.fill("#i-name", name)
    first = page.locator("#f-creator .agent").nth(0)
    first.locator('input[name="creator.name"]').fill("Ann Author")
    first.locator('select[name="creator.type"]').select_option("Person")
    first.locator('input[name="creator.affiliation"]').fill("ESA")
    status, _ = press(page, 'button[name="_action"][value="save"]')
    check(status == 303, f"{mode}: the corrected form is saved ({status})")
    creators = asset_api(id, ANN).get("creator") or []
    check(
        len(creators) == 1
        and creators[0].get("name") == "Ann Author"
        and creators[0].get("affiliation") == "ESA"
        and creators[0].get("type") == "Person",
        f"{mode}: the API has the creator {creators}",
    )
    check(
        page.locator('#f-creator .agent input[name="creator.name"]').first.input_value() == "Ann Author"
        and page.locator("#f-creator .agent").count() >= 2,
        f"{mode}: the editor shows the creator and an empty row to add another",
    )

    # A stale save: the editor open in two pages; the second saves first.
    one = page
    two = dev.new_page()
    watch(two, errors)
    one.goto(BASE + f"/assets/{id}/edit")
    two.goto(BASE + f"/assets/{id}/edit")
    drawn = one.locator('input[name="revision"]').first.input_value()
    status, _ = set_and_save(two, {"#i-name": f"{name} (other tab)"})
    check(status == 303, f"{mode}: the other page saves first ({status})")
    status, _ = set_and_save(one, {"#i-name": f"{name} (mine)", "#i-keywords": f"alpha\nbeta\ngamma\n{word}"})
    check(status == 409, f"{mode}: the stale save is answered 409 ({status})")
    problems = text(one, ".problems")
    check("Someone changed this asset" in problems, f"{mode}: the problems say someone changed it ({problems!r})")
    stale = text(one, "section.stale")
    check(
        f"{name} (other tab)" in stale and "dev-ann" in stale,
        f"{mode}: the changes since are listed ({stale[:160]!r})",
    )
    check(one.locator("#i-name").input_value() == f"{name} (mine)", f"{mode}: the reader's name is kept")
    check("gamma" in one.locator("#i-keywords").input_value(), f"{mode}: the reader's keywords are kept")
    now = asset_api(id, ANN)
    revision = one.locator('input[name="revision"]').first.input_value()
    check(
        revision != drawn and revision == str(now["revision"]),
        f"{mode}: the form's revision is the current one ({drawn} → {revision}, API {now['revision']})",
    )
    check(now["name"] == f"{name} (other tab)", f"{mode}: the stale save wrote nothing")
    in_page_links(one, f"the editor in its stale state ({mode})")
    audit(one, js, "editor-stale", "the editor in its stale state", keys=False)
    status, _ = press(one, 'button[name="_action"][value="save"]')
    check(status == 303, f"{mode}: saving again succeeds ({status})")
    now = asset_api(id, ANN)
    check(now["name"] == f"{name} (mine)", f"{mode}: saving again writes the reader's version ({now['name']!r})")
    check("gamma" in now.get("keywords", []), f"{mode}: with the reader's keywords")
    two.close()
    name = f"{name} (mine)"

    # Refused forms, each changing nothing.
    page = one
    page.goto(BASE + f"/assets/{id}/edit")
    form_token = page.locator('input[name="_csrf"]').first.input_value()
    revision = page.locator('input[name="revision"]').first.input_value()
    attack(dev, js, mode, id, name, form_token, revision)
    page.goto(BASE + f"/assets/{id}/edit")
    page.evaluate("() => document.querySelector('form.editor input[name=_csrf]').remove()")
    status, _ = set_and_save(page, {"#i-name": "Without a token"})
    check(status == 403, f"{mode}: a form without its token is answered 403 ({status})")
    check("This form was refused" in text(page, "h1"), f"{mode}: the refusal says so ({text(page, 'h1')!r})")
    check(asset_api(id, ANN)["name"] == name, f"{mode}: a form without its token changes nothing")
    audit(page, js, "refused", "the refused-form page")
    r = dev.request.post(
        f"{BASE}/assets/{id}/sharing",
        form={"revision": revision, "audience": "private", "users": "dev-ben"},
        max_redirects=0,
    )
    check(r.status == 403, f"{mode}: a visibility form without its token is answered 403 ({r.status})")
    page.goto(BASE + f"/assets/{id}/edit")
    page.evaluate(
        """() => {
        const f = document.querySelector('form.editor');
        for (const [n, v] of [['_fields', 'domain'], ['domain', 'Astronomy']]) {
          const i = document.createElement('input');
          i.type = 'hidden'; i.name = n; i.value = v; f.appendChild(i);
        }
    }"""
    )
    status, _ = set_and_save(page, {"#i-name": "Tampered"})
    check(status == 403, f"{mode}: a field added by hand is answered 403 ({status})")
    problems = text(page, ".problems")
    check("you may not write" in problems and "domain" in problems, f"{mode}: the page gives the reason ({problems!r})")
    check(page.locator("#e-domain").count() == 1, f"{mode}: the reason is next to Domain")
    check(page.locator("#i-name").input_value() == "Tampered", f"{mode}: the input is kept")
    now = asset_api(id, ANN)
    check(
        now["name"] == name and "domain" not in now,
        f"{mode}: the tampered form changes nothing (domain {now.get('domain')})",
    )
    in_page_links(page, f"the editor refusing a field ({mode})")
    audit(page, js, "editor-forbidden", "the editor refusing a field", keys=False)

    # Visibility: private to dev-ben, then public again.
    page.goto(BASE + f"/assets/{id}/sharing")
    now_text = text(page, "#vis-h + p")
    check(now_text.startswith("Now:") and "Public" in now_text, f"{mode}: the audience is stated ({now_text!r})")
    check(page.locator('input[name="audience"][value="public"]').is_checked(), f"{mode}: Public is checked")
    audit(page, js, "sharing", "the visibility page")
    page.check('input[name="audience"][value="private"]')
    page.fill("#users", "dev-ben\nnot a name!")
    status, _ = press(page, 'form[action$="/sharing"] button[type=submit]')
    check(status == 422, f"{mode}: a name that is no account name is refused with 422 ({status})")
    problems = text(page, ".problems")
    check(
        "Not an account or group name" in problems and "not a name!" in problems,
        f"{mode}: the page says which ({problems!r})",
    )
    check(page.locator('input[name="audience"][value="private"]').is_checked(), f"{mode}: the choice is kept")
    check((asset_api(id, ANN).get("visibility") or {}).get("audience", "public") == "public", f"{mode}: nothing saved")
    audit(page, js, "sharing-error", "the visibility page refusing a name")
    page.fill("#users", "dev-ben")
    status, _ = press(page, 'form[action$="/sharing"] button[type=submit]')
    check(status == 303, f"{mode}: Save visibility answers 303 ({status})")
    now_text = text(page, "#vis-h + p")
    check("Private" in now_text and "dev-ben" in now_text, f"{mode}: now private to dev-ben ({now_text!r})")
    vis = asset_api(id, ANN).get("visibility") or {}
    check(
        vis.get("audience") == "private" and vis.get("users") == ["dev-ben"],
        f"{mode}: the API has the private audience {vis}",
    )
    check(page.locator("#users").input_value() == "dev-ben", f"{mode}: the form shows the users")
    page.check('input[name="audience"][value="public"]')
    page.fill("#users", "")
    status, _ = press(page, 'form[action$="/sharing"] button[type=submit]')
    check(status == 303, f"{mode}: back to public ({status})")
    now_text = text(page, "#vis-h + p")
    check("Public" in now_text, f"{mode}: now public ({now_text!r})")
    vis = asset_api(id, ANN).get("visibility") or {}
    check(vis.get("audience", "public") == "public" and not vis.get("users"), f"{mode}: the API has it public {vis}")

    # Submit.
    page.goto(BASE + f"/assets/{id}/edit")
    status, _ = press(page, 'form[action$="/submit"] button[type=submit]')
    check(status == 303, f"{mode}: Submit answers 303 ({status})")
    check("submitted=" in page.url, f"{mode}: back to the editor ({path_of(page.url)})")
    check(asset_api(id, ANN)["status"] == "in_review", f"{mode}: the API has it in review")
    check(page.locator("#pub-h").count() == 0, f"{mode}: no Submit once submitted")
    page.goto(BASE + "/me")
    check(page.locator(f'#review a[href="/assets/{id}"]').count() == 1, f"{mode}: /me lists it under In review")

    anon = browser.new_context(java_script_enabled=js, viewport=VIEWPORT)
    apage = anon.new_page()
    apage.goto(BASE + f"/?q={word}")
    check(
        apage.locator(f'a[href="/assets/{id}"]').count() == 0,
        f"{mode}: anonymous, the search does not find it in review",
    )
    r = apage.goto(BASE + f"/assets/{id}")
    check(r.status == 404, f"{mode}: anonymous, its page is a 404 in review ({r.status})")

    # The moderator: the queue, the review page, a rejection without and with a comment.
    mod = browser.new_context(java_script_enabled=js, viewport=VIEWPORT)
    mpage = mod.new_page()
    watch(mpage, errors)
    sign_in(mpage, MIA, "mod-mia", mode, start="/review")
    check("Review" in account_nav(mpage), f"{mode}: a moderator has the Review link")
    link = mpage.locator(f'table.queue a[href="/assets/{id}/review"]')
    check(link.count() == 1, f"{mode}: the queue lists the submission")
    audit(mpage, js, "queue", "the review queue (/review)")
    link.click()
    mpage.wait_for_url(lambda u: u.endswith(f"/assets/{id}/review"))
    heads = mpage.locator("table.diff thead th").all_inner_texts()
    check(heads == ["Field", "Published", "Submitted"], f"{mode}: the diff table's columns {heads}")
    diff = text(mpage, "table.diff tbody")
    check(name in diff and word in diff, f"{mode}: the diff shows the submitted values")
    check(mpage.locator("text=Approve and publish").count() == 1, f"{mode}: an Approve button")
    audit(mpage, js, "review", "the review page")
    # An empty comment: the browser asks for one; the server refuses one sent anyway.
    review_url = mpage.url
    mpage.goto(BASE + f"/assets/{id}")
    check(
        mpage.locator(f'.manage-bar a[href="/assets/{id}/review"]').count() == 1,
        f"{mode}: the asset page offers the moderator its review",
    )
    check(text(mpage, ".asset-head .badge.status") == "In review", f"{mode}: with the status In review")
    mpage.goto(review_url)
    mpage.locator('form[action$="/reject"] button[type=submit]').click()
    mpage.wait_for_timeout(500)
    check(mpage.url == review_url, f"{mode}: the required comment stops an empty rejection in the browser")
    check(
        mpage.evaluate("document.getElementById('comment').validity.valueMissing"),
        f"{mode}: the comment is marked missing",
    )
    mpage.evaluate("document.getElementById('comment').removeAttribute('required')")
    status, _ = press(mpage, 'form[action$="/reject"] button[type=submit]')
    check(status == 422, f"{mode}: the server refuses a rejection without a comment ({status})")
    problems = text(mpage, ".problems")
    check(bool(problems) and "Nothing was changed" in problems, f"{mode}: the page says why ({problems!r})")
    check(asset_api(id, ANN)["status"] == "in_review", f"{mode}: still in review")
    audit(mpage, js, "review-error", "the review page refusing an empty comment")
    if not js:
        csrf = mpage.locator('form[action$="/reject"] input[name="_csrf"]').input_value()
        rev = mpage.locator('form[action$="/reject"] input[name="revision"]').input_value()
        r = mod.request.post(
            f"{BASE}/assets/{id}/reject",
            form={"_csrf": csrf, "revision": rev, "comment": "   "},
            max_redirects=0,
        )
        check(r.status == 422, f"{mode}: a blank comment posted without a browser is refused ({r.status})")
        check(asset_api(id, ANN)["status"] == "in_review", f"{mode}: still in review")
    comment = f"Please add a description ({word})."
    mpage.goto(review_url)
    mpage.fill("#comment", comment)
    status, _ = press(mpage, 'form[action$="/reject"] button[type=submit]')
    check(status == 303, f"{mode}: Reject answers 303 ({status})")
    check(path_of(mpage.url) == f"/review?rejected={id}", f"{mode}: back to the queue ({path_of(mpage.url)})")
    check("back to its owner" in text(mpage, ".notice"), f"{mode}: the queue says it was sent back")
    a = asset_api(id, ANN)
    check(
        a["status"] == "draft" and a.get("moderatorComment") == comment,
        f"{mode}: the API has it rejected with the comment",
    )

    # The developer: the comment on /me and on the asset page; fix and resubmit.
    page.goto(BASE + "/me")
    card = page.locator("#rejected li.card", has=page.locator(f'a[href="/assets/{id}"]'))
    check(card.count() == 1, f"{mode}: /me lists it under Sent back by a moderator")
    check(
        "Sent back by a moderator" in text(page, "#rejected-h"),
        f"{mode}: the group is titled Sent back by a moderator",
    )
    check(
        f"Moderator’s comment: {comment}" in (card.inner_text() if card.count() else ""),
        f"{mode}: with the moderator's comment",
    )
    audit(page, js, "me-rejected", "my assets with a rejected asset")
    page.goto(BASE + f"/assets/{id}")
    check(
        f"Moderator’s comment: {comment}" in text(page, ".asset-head .notice"),
        f"{mode}: the asset page shows the comment",
    )
    lead = text(page, ".asset-head .lead")
    check(word in lead, f"{mode}: the asset page leads with the abstract ({lead!r})")
    overview = text(page, "#overview .prose strong")
    check(overview == "bold", f"{mode}: the Overview renders the Markdown description ({overview!r})")
    bar = page.locator(".manage-bar")
    check(
        bar.locator(f'a[href="/assets/{id}/edit"]').inner_text() == "Edit metadata"
        and bar.locator(f'a[href="/assets/{id}/sharing"]').inner_text() == "Visibility",
        f"{mode}: the owner's manage bar has Edit metadata and Visibility",
    )
    check(text(page, ".asset-head .badge.status") == "Draft", f"{mode}: the status badge says Draft")
    history = text(page, "#history")
    events = page.locator("#history li.event").count()
    check(events >= 6, f"{mode}: the history lists the events ({events})")
    check(
        all(
            s in history
            for s in ["Created", "Edited", "Submitted for review", "Sent back to draft", "mod-mia", "dev-ann", comment]
        ),
        f"{mode}: the history says who did what, with the comment ({history[:200]!r})",
    )
    check(page.locator("#history time[datetime]").count() >= events, f"{mode}: each event says when")
    check(page.locator("#history table.diff").count() >= 1, f"{mode}: the history shows field changes")
    audit(page, js, "asset-history", "the asset page with its history")
    page.goto(BASE + f"/assets/{id}/edit")
    check(comment in text(page, ".notice"), f"{mode}: the editor shows the comment")
    status, _ = set_and_save(page, {"#i-description": f"A description, as asked ({word})."})
    check(status == 303, f"{mode}: the fix is saved ({status})")
    status, _ = press(page, 'form[action$="/submit"] button[type=submit]')
    check(status == 303, f"{mode}: resubmitted ({status})")
    check(asset_api(id, ANN)["status"] == "in_review", f"{mode}: in review again")

    # The moderator's own submission: shown, not theirs to decide.
    own = f"{id}-mia"
    mpage.goto(BASE + "/me")
    mpage.fill("#new-id", own)
    mpage.select_option("#new-type", "Dataset")
    mpage.fill("#new-name", f"Mia's own {mode}")
    press(mpage, "#new button[type=submit]")
    mpage.select_option("#i-license", licence)
    press(mpage, 'button[name="_action"][value="save"]')
    status, _ = press(mpage, 'form[action$="/submit"] button[type=submit]')
    check(
        status == 303 and asset_api(own, MIA)["status"] == "in_review",
        f"{mode}: the moderator submits an asset of her own",
    )
    mpage.goto(BASE + "/review")
    row = text(mpage, f'table.queue tr:has(a[href="/assets/{own}/review"])')
    check("another moderator decides" in row, f"{mode}: the queue marks her own ({row!r})")
    mpage.goto(BASE + f"/assets/{own}/review")
    check("This is your own asset" in text(mpage, ".notice"), f"{mode}: her own review page says so")
    check(
        mpage.locator('form[action$="/approve"], form[action$="/reject"]').count() == 0,
        f"{mode}: and has no Approve or Reject",
    )
    audit(mpage, js, "review-own", "the moderator's own review page")

    # Approve.
    mpage.goto(BASE + "/review")
    mpage.locator(f'table.queue a[href="/assets/{id}/review"]').click()
    mpage.wait_for_url(lambda u: u.endswith(f"/assets/{id}/review"))
    check(f"A description, as asked ({word})." in text(mpage, "table.diff"), f"{mode}: the diff shows the fix")
    status, _ = press(mpage, 'form[action$="/approve"] button[type=submit]')
    check(status == 303, f"{mode}: Approve answers 303 ({status})")
    check(path_of(mpage.url) == f"/review?approved={id}", f"{mode}: back to the queue ({path_of(mpage.url)})")
    check(f"Approved and published {id}" in text(mpage, ".notice"), f"{mode}: the queue says it was published")
    check(asset_api(id, ANN)["status"] == "published", f"{mode}: the API has it published")
    check(
        mpage.locator(f'table.queue a[href="/assets/{id}/review"]').count() == 0,
        f"{mode}: the queue no longer lists it",
    )
    mpage.goto(BASE + f"/assets/{id}")
    check(mpage.locator(".manage-bar").count() == 1, f"{mode}: a moderator sees the manage bar")
    mod.close()

    # Anyone finds it now.
    found = False
    for _ in range(20):
        apage.goto(BASE + f"/?q={word}")
        if apage.locator(f'a[href="/assets/{id}"]').count() == 1:
            found = True
            break
        apage.wait_for_timeout(250)
    check(found, f"{mode}: anonymous, the public search finds it (/?q={word})")
    if found:
        hit = text(apage, f'article.hit:has(a[href="/assets/{id}"]) .abs')
        check(word in hit, f"{mode}: the search result shows the abstract ({hit!r})")
        apage.locator(f'a[href="/assets/{id}"]').first.click()
        apage.wait_for_url(lambda u: u.endswith(f"/assets/{id}"))
        check(text(apage, "h1") == name, f"{mode}: anonymous, its page ({text(apage, 'h1')!r})")
        check(apage.locator(".manage-bar, #history").count() == 0, f"{mode}: anonymous, no manage bar nor history")
    anon.close()

    page.goto(BASE + "/me")
    check(page.locator(f'#published a[href="/assets/{id}"]').count() == 1, f"{mode}: /me lists it under Published")

    # Sign-out ends the session: its cookie, sent again, opens the sign-in page.
    status, _ = press(page, 'form[action="/logout"] button[type=submit]')
    check(
        status == 303 and path_of(page.url) == "/",
        f"{mode}: Sign out goes to the search page ({status}, {path_of(page.url)})",
    )
    check(account_nav(page) == ["Sign in"], f"{mode}: signed out, the header offers Sign in")
    check(
        not [c for c in dev.cookies() if c["name"] == "orrery_session" and c["value"]],
        f"{mode}: the session cookie is gone",
    )
    dev.add_cookies([{"name": "orrery_session", "value": cookie, "url": BASE}])
    page.goto(BASE + f"/assets/{id}/edit")
    check(
        path_of(page.url).startswith("/login"),
        f"{mode}: the old cookie opens the sign-in page ({path_of(page.url)})",
    )
    check("session has ended" in text(page, ".notice"), f"{mode}: which says the session ended")
    check(asset_api(id, ANN)["status"] == "published", f"{mode}: nothing changed on the way")
    check(not errors, f"{mode}: no console errors {errors}")
    dev.close()


def other_developer(browser):
    """A developer who is not the owner manages nothing of another's asset."""
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    sign_in(page, BEN, "dev-ben", "dev-ben")
    for path in ["/assets/auth-js-on/edit", "/assets/auth-js-on/sharing"]:
        r = page.goto(BASE + path)
        check(
            r.status in (403, 404) and page.locator("form.editor, #users").count() == 0,
            f"dev-ben: {path} is not his to manage ({r.status})",
        )
    r = page.goto(BASE + "/review")
    check(r.status == 403, f"dev-ben: the review queue is for moderators ({r.status})")
    page.goto(BASE + "/assets/auth-js-on")
    check(page.locator(".manage-bar").count() == 0, "dev-ben: no manage bar on another's asset")
    ctx.close()


def revoked(browser):
    """Revoking a token ends its session at once."""
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    sign_in(page, CAT, "dev-cat", "revocation")
    r = page.goto(BASE + "/me")
    check(r.status == 200 and "dev-cat" in text(page, ".intro"), "revocation: dev-cat reads /me")
    out = subprocess.run([BIN, "token", "revoke", "--data", DATA, CAT], capture_output=True, text=True)
    check(out.returncode == 0, f"revocation: orrery token revoke succeeds ({out.stdout.strip()} {out.stderr.strip()})")
    page.goto(BASE + "/me")
    check(
        path_of(page.url).startswith("/login"),
        f"revocation: the next page is the sign-in page ({path_of(page.url)})",
    )
    check("session has ended" in text(page, ".notice"), "revocation: which says the session ended")
    page.fill("#token", CAT)
    status, _ = press(page, 'form[action="/login"] button[type=submit]')
    check(
        status == 401 and "revoked" in text(page, ".problems"),
        f"revocation: the token no longer signs in ({status})",
    )
    ctx.close()


def main():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for name, run in [
                ("JS on", lambda: flows(browser, js=True)),
                ("JS off", lambda: flows(browser, js=False)),
                ("dev-ben", lambda: other_developer(browser)),
                ("revocation", lambda: revoked(browser)),
            ]:
                try:
                    run()
                except Exception as e:  # noqa: BLE001 (a step that cannot go on is one failure)
                    check(False, f"{name}: the run stopped: {type(e).__name__}: {e}")
        finally:
            browser.close()
    finish()


if __name__ == "__main__":
    main()
