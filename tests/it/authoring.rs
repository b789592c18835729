//! The signed-in pages over HTTP, as a browser sends them: sign-in and its cookie, the checks
//! every form passes (CSRF token, origin), the editor's saves with `If-Match` (stale, refused,
//! invalid), sessions ended by sign-out and by revoking their token, a forged cookie, and the
//! review workflow from the moderator's pages. Each refusal changes nothing, checked through
//! the API.

use crate::common::{Server, Session, hidden, orrery, set_cookie, token};
use serde_json::{Value, json};

struct World {
    s: Server,
    dir: tempfile::TempDir,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    World { s, dir }
}

/// The editor of `id` as `who`: its form token and revision.
fn editor(s: &Server, who: &Session, id: &str) -> (String, String, String) {
    let r = s.get_as(who, &format!("/assets/{id}/edit"));
    assert_eq!(r.status(), 200, "the editor of {id}");
    let body = r.text().unwrap();
    (
        hidden(&body, "_csrf").expect("a form token"),
        hidden(&body, "revision").expect("a revision"),
        body,
    )
}

fn api(s: &Server, token: &str, id: &str) -> Value {
    s.get_json(&format!("/api/v1/assets/{id}"), token)
}

fn location(r: &reqwest::blocking::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn sessions_forms_and_the_editor() {
    let w = world();
    let s = &w.s;
    let ann_token = token(w.dir.path(), "ann", &["developer"], &["team-a"]);
    let ann = s.sign_in(&ann_token);

    // The cookie: HttpOnly, SameSite=Lax, not Secure over http, path /.
    let r = s.get("/login");
    let login = set_cookie(&r, "orrery_login").unwrap();
    let csrf = hidden(&r.text().unwrap(), "_csrf").unwrap();
    let r = s
        .client
        .post(format!("{}/login", s.base))
        .header("Cookie", format!("orrery_login={login}"))
        .form(&[
            ("token", ann_token.as_str()),
            ("_csrf", &csrf),
            ("next", "//evil.example/"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/me", "sign-in never sends a reader off-site");
    let set = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("orrery_session="))
        .unwrap();
    for part in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(set.contains(part), "{set}");
    }
    assert!(!set.contains("Secure"), "http base URL: {set}");
    // Sign-in without the form's token, or from another site, or with a bad token.
    let r = s
        .client
        .post(format!("{}/login", s.base))
        .form(&[("token", ann_token.as_str()), ("_csrf", "x")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(set_cookie(&r, "orrery_session").is_none());
    let r = s
        .client
        .post(format!("{}/login", s.base))
        .header("Cookie", format!("orrery_login={login}"))
        .header("Origin", "https://evil.example")
        .form(&[("token", ann_token.as_str()), ("_csrf", &login)])
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = s
        .client
        .post(format!("{}/login", s.base))
        .header("Cookie", format!("orrery_login={login}"))
        .form(&[("token", "orr_000000000000_nope"), ("_csrf", &login)])
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.text()
            .unwrap()
            .contains("not a token this catalogue issued")
    );

    // My assets; a signed-in page is neither stored nor framed.
    let r = s.get_as(&ann, "/me");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(
        r.text()
            .unwrap()
            .contains("Signed in as <strong>ann</strong>")
    );
    assert_eq!(s.get("/me").status(), 303, "anonymous: to the sign-in page");

    // A new draft from the form.
    let (csrf, _, _) = editor_token_of_me(s, &ann);
    let r = s.post_as(
        &ann,
        "/me/new",
        &[
            ("_csrf", &csrf),
            ("id", "ann-lab"),
            ("type", "Datalab"),
            ("name", "Ann's lab"),
        ],
        &[],
    );
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/assets/ann-lab/edit?created=1");
    // The same id again: refused with the reason, nothing new.
    let r = s.post_as(
        &ann,
        "/me/new",
        &[
            ("_csrf", &csrf),
            ("id", "ann-lab"),
            ("type", "Datalab"),
            ("name", "Again"),
        ],
        &[],
    );
    assert_eq!(r.status(), 409);
    assert!(r.text().unwrap().contains("taken"));
    assert_eq!(api(s, &ann_token, "ann-lab")["name"], "Ann's lab");

    // Edit and save.
    let (csrf, rev, body) = editor(s, &ann, "ann-lab");
    assert!(
        body.contains("Only moderators and the science-applications team may change this."),
        "domain is read-only for a developer, with why"
    );
    let r = s.post_as(
        &ann,
        "/assets/ann-lab/edit",
        &[
            ("_csrf", &csrf),
            ("revision", &rev),
            ("_fields", "keywords"),
            ("keywords", "jupyter\r\neuclid"),
            ("_fields", "license"),
            ("license", "CC-BY-4.0"),
            ("_fields", "abstract"),
            ("abstract", "A **lab**"),
        ],
        &[],
    );
    assert_eq!(r.status(), 303, "{}", r.text().unwrap_or_default());
    let a = api(s, &ann_token, "ann-lab");
    assert_eq!(a["keywords"], json!(["euclid", "jupyter"]));
    assert_eq!(a["license"], "CC-BY-4.0");
    // Creators as rows: the empty ones offered to add more are left out.
    let (csrf, rev, body) = editor(s, &ann, "ann-lab");
    assert_eq!(
        body.matches("name=\"creator.name\"").count(),
        2,
        "two empty rows to fill"
    );
    let r = s.post_as(
        &ann,
        "/assets/ann-lab/edit",
        &[
            ("_csrf", &csrf),
            ("revision", &rev),
            ("_fields", "creator"),
            ("creator.name", "Ann Author"),
            ("creator.type", "Person"),
            ("creator.orcid", "0000-0002-1825-0097"),
            ("creator.affiliation", "ESAC"),
            ("creator.email", ""),
            ("creator.url", ""),
            ("creator.name", ""),
            ("creator.type", ""),
            ("creator.orcid", ""),
            ("creator.affiliation", ""),
            ("creator.email", ""),
            ("creator.url", ""),
        ],
        &[],
    );
    assert_eq!(r.status(), 303, "{}", r.text().unwrap_or_default());
    assert_eq!(
        api(s, &ann_token, "ann-lab")["creator"],
        json!([{"name": "Ann Author", "type": "Person",
                "orcid": "0000-0002-1825-0097", "affiliation": "ESAC"}])
    );
    let (_, _, body) = editor(s, &ann, "ann-lab");
    assert_eq!(
        body.matches("name=\"creator.name\"").count(),
        3,
        "the row and two empty ones"
    );

    // Refusals, each changing nothing.
    let unchanged = |what: &str| {
        let now = api(s, &ann_token, "ann-lab");
        assert_eq!(now["name"], "Ann's lab", "{what} changed the name");
        assert!(now.get("domain").is_none(), "{what} wrote domain");
    };
    let (csrf, rev, _) = editor(s, &ann, "ann-lab");
    // No form token.
    let r = s.post_as(
        &ann,
        "/assets/ann-lab/edit",
        &[("revision", &rev), ("_fields", "name"), ("name", "X")],
        &[],
    );
    assert_eq!(r.status(), 403);
    unchanged("a form without its token");
    // Another session's token.
    let other = s.sign_in(&ann_token);
    let (other_csrf, _, _) = editor(s, &other, "ann-lab");
    assert_ne!(other_csrf, csrf, "each session has its own form token");
    let r = s.post_as(
        &ann,
        "/assets/ann-lab/edit",
        &[
            ("_csrf", &other_csrf),
            ("revision", &rev),
            ("_fields", "name"),
            ("name", "X"),
        ],
        &[],
    );
    assert_eq!(r.status(), 403);
    unchanged("another session's token");
    // From another site.
    for (h, v) in [
        ("Origin", "https://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
    ] {
        let r = s.post_as(
            &ann,
            "/assets/ann-lab/edit",
            &[
                ("_csrf", &csrf),
                ("revision", &rev),
                ("_fields", "name"),
                ("name", "X"),
            ],
            &[(h, v)],
        );
        assert_eq!(r.status(), 403, "{h}");
        unchanged("a cross-site form");
    }
    // A field the role may not write, added to the form by hand.
    let r = s.post_as(
        &ann,
        "/assets/ann-lab/edit",
        &[
            ("_csrf", &csrf),
            ("revision", &rev),
            ("_fields", "domain"),
            ("domain", "Astronomy"),
            ("_fields", "name"),
            ("name", "X"),
        ],
        &[],
    );
    assert_eq!(r.status(), 403);
    let body = r.text().unwrap();
    assert!(
        body.contains("you may not write &#34;domain&#34;"),
        "the API's reason"
    );
    assert!(body.contains("id=\"e-domain\""), "next to the field");
    unchanged("a tampered form");
    // An invalid value: the message next to its field, with the closest values.
    let r = s.post_as(
        &ann,
        "/assets/ann-lab/edit",
        &[
            ("_csrf", &csrf),
            ("revision", &rev),
            ("_fields", "mission"),
            ("mission", "Gaiaa"),
            ("_fields", "name"),
            ("name", "X"),
        ],
        &[],
    );
    assert_eq!(r.status(), 422);
    let body = r.text().unwrap();
    assert!(body.contains("id=\"e-mission\""), "{body}");
    assert!(body.contains("did you mean Gaia"));
    assert!(body.contains("value=\"X\""), "the reader's input is kept");
    unchanged("an invalid value");
    // JSON that does not parse: refused before the write path.
    let r = s.post_as(
        &ann,
        "/assets/ann-lab/edit",
        &[
            ("_csrf", &csrf),
            ("revision", &rev),
            ("_fields", "coverage"),
            ("coverage", "[{"),
            ("_fields", "name"),
            ("name", "X"),
        ],
        &[],
    );
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().contains("This is not JSON"));
    unchanged("unreadable JSON");

    // A stale save: someone saved after the form was drawn.
    let r = s.post_as(
        &other,
        "/assets/ann-lab/edit",
        &[
            ("_csrf", &other_csrf),
            ("revision", &rev),
            ("_fields", "name"),
            ("name", "Saved elsewhere"),
        ],
        &[],
    );
    assert_eq!(r.status(), 303);
    let r = s.post_as(
        &ann,
        "/assets/ann-lab/edit",
        &[
            ("_csrf", &csrf),
            ("revision", &rev),
            ("_fields", "name"),
            ("name", "Mine"),
        ],
        &[],
    );
    assert_eq!(r.status(), 409);
    let body = r.text().unwrap();
    assert!(body.contains("Someone changed this asset after you opened it"));
    assert!(body.contains("Saved elsewhere"), "what changed is shown");
    assert!(
        body.contains("value=\"Mine\""),
        "the reader's input is kept"
    );
    let newer = hidden(&body, "revision").unwrap();
    assert_ne!(newer, rev);
    assert_eq!(api(s, &ann_token, "ann-lab")["name"], "Saved elsewhere");
    // Saving again writes over it, knowingly.
    let r = s.post_as(
        &ann,
        "/assets/ann-lab/edit",
        &[
            ("_csrf", &csrf),
            ("revision", &newer),
            ("_fields", "name"),
            ("name", "Mine"),
        ],
        &[],
    );
    assert_eq!(r.status(), 303);
    assert_eq!(api(s, &ann_token, "ann-lab")["name"], "Mine");

    // Visibility: private to a user, stated plainly; a bad name refused.
    let r = s.get_as(&ann, "/assets/ann-lab/sharing");
    let body = r.text().unwrap();
    let rev = hidden(&body, "revision").unwrap();
    let r = s.post_as(
        &ann,
        "/assets/ann-lab/sharing",
        &[
            ("_csrf", &csrf),
            ("revision", &rev),
            ("audience", "private"),
            ("users", "ben\nbad name!"),
            ("groups", ""),
        ],
        &[],
    );
    assert_eq!(r.status(), 422);
    assert!(r.text().unwrap().contains("Not an account or group name"));
    let r = s.post_as(
        &ann,
        "/assets/ann-lab/sharing",
        &[
            ("_csrf", &csrf),
            ("revision", &rev),
            ("audience", "private"),
            ("users", "ben"),
            ("groups", "team-b"),
        ],
        &[],
    );
    assert_eq!(r.status(), 303);
    let body = s.get_as(&ann, "/assets/ann-lab/sharing").text().unwrap();
    assert!(
        body.contains("Private: shared with users ben and groups team-b once published."),
        "{body}"
    );
    assert_eq!(
        api(s, &ann_token, "ann-lab")["visibility"]["users"],
        json!(["ben"])
    );

    // Session reads see what the bearer sees: the same page, through a cookie or the token.
    let by_cookie = s.get_as(&ann, "/?q=lab").text().unwrap();
    let by_token = s
        .call("GET", "/?q=lab", &ann_token, None, None, None)
        .text()
        .unwrap();
    let hits = |b: &str| b.matches("class=\"hit").count();
    assert_eq!(hits(&by_cookie), hits(&by_token));
    assert!(by_cookie.contains("Showing"), "{by_cookie}");

    // Sign-out ends the session on the server: its cookie no longer opens anything.
    let r = s.post_as(&ann, "/logout", &[("_csrf", &csrf)], &[]);
    assert_eq!(r.status(), 303);
    let cleared = set_cookie(&r, "orrery_session").unwrap();
    assert!(cleared.is_empty());
    for path in ["/me", "/assets/ann-lab/edit", "/?q=lab"] {
        let r = s.get_as(&ann, path);
        assert_eq!(r.status(), 303, "{path} after sign-out");
        assert!(
            location(&r).starts_with("/login?"),
            "{path}: the sign-in page"
        );
    }
    let r = s.post_as(
        &ann,
        "/assets/ann-lab/edit",
        &[
            ("_csrf", &csrf),
            ("revision", &newer),
            ("_fields", "name"),
            ("name", "After"),
        ],
        &[],
    );
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/login?"));
    assert_eq!(api(s, &ann_token, "ann-lab")["name"], "Mine");

    // Revoking the token ends its other sessions at once.
    assert_eq!(s.get_as(&other, "/me").status(), 200);
    let out = orrery(w.dir.path(), &["token", "revoke", &ann_token]);
    assert!(out.status.success());
    let r = s.get_as(&other, "/me");
    assert_eq!(r.status(), 303);
    assert!(location(&r).starts_with("/login?"));
    // A forged cookie: the sign-in page, never a page as someone.
    let forged = Session {
        cookie: "A".repeat(43),
    };
    let r = s.get_as(&forged, "/");
    assert_eq!(r.status(), 303);
    assert!(location(&r).contains("ended=1"));
    let junk = Session {
        cookie: "<script>".into(),
    };
    assert_eq!(s.get_as(&junk, "/me").status(), 303);
}

/// The form token of "my assets".
fn editor_token_of_me(s: &Server, who: &Session) -> (String, String, String) {
    let body = s.get_as(who, "/me").text().unwrap();
    (
        hidden(&body, "_csrf").expect("a form token"),
        String::new(),
        body,
    )
}

#[test]
fn review_from_the_moderators_pages() {
    let w = world();
    let s = &w.s;
    let dev_token = token(w.dir.path(), "dev", &["developer"], &[]);
    let mod_token = token(w.dir.path(), "mia", &["moderator", "developer"], &[]);
    let dev = s.sign_in(&dev_token);
    let mia = s.sign_in(&mod_token);
    for (who, id) in [(&dev, "rev-one"), (&mia, "rev-own")] {
        let (csrf, _, _) = editor_token_of_me(s, who);
        let r = s.post_as(
            who,
            "/me/new",
            &[
                ("_csrf", &csrf),
                ("id", id),
                ("type", "Dataset"),
                ("name", "Reviewed zqxreview"),
            ],
            &[],
        );
        assert_eq!(r.status(), 303);
        let (csrf, rev, _) = editor(s, who, id);
        // Submitting without a licence: the API's reason on the editor.
        let r = s.post_as(
            who,
            &format!("/assets/{id}/submit"),
            &[("_csrf", &csrf), ("revision", &rev)],
            &[],
        );
        assert_eq!(r.status(), 422);
        assert!(r.text().unwrap().contains("licence"));
        let r = s.post_as(
            who,
            &format!("/assets/{id}/edit"),
            &[
                ("_csrf", &csrf),
                ("revision", &rev),
                ("_fields", "license"),
                ("license", "CC0-1.0"),
            ],
            &[],
        );
        assert_eq!(r.status(), 303);
        let (csrf, rev, body) = editor(s, who, id);
        assert!(body.contains("a moderator will review it"));
        let r = s.post_as(
            who,
            &format!("/assets/{id}/submit"),
            &[("_csrf", &csrf), ("revision", &rev)],
            &[],
        );
        assert_eq!(r.status(), 303);
    }
    // The queue, for moderators only.
    assert_eq!(s.get_as(&dev, "/review").status(), 403);
    let queue = s.get_as(&mia, "/review").text().unwrap();
    assert!(queue.contains("/assets/rev-one/review") && queue.contains("/assets/rev-own/review"));
    // Their own asset: no buttons, and the API's refusal if forced.
    let body = s.get_as(&mia, "/assets/rev-own/review").text().unwrap();
    assert!(body.contains("This is your own asset"));
    assert!(!body.contains("Approve and publish"));
    let (csrf, rev, _) = editor(s, &mia, "rev-own");
    let r = s.post_as(
        &mia,
        "/assets/rev-own/approve",
        &[("_csrf", &csrf), ("revision", &rev)],
        &[],
    );
    assert_eq!(r.status(), 403);
    assert!(
        r.text()
            .unwrap()
            .contains("may not approve their own asset")
    );
    assert_eq!(api(s, &mod_token, "rev-own")["status"], "in_review");
    // Reject needs a comment; with one, the owner sees it.
    let body = s.get_as(&mia, "/assets/rev-one/review").text().unwrap();
    assert!(
        body.contains("Licence") && body.contains("CC0-1.0"),
        "the fields it sets"
    );
    let rev = hidden(&body, "revision").unwrap();
    let r = s.post_as(
        &mia,
        "/assets/rev-one/reject",
        &[("_csrf", &csrf), ("revision", &rev), ("comment", "  ")],
        &[],
    );
    assert_eq!(r.status(), 422);
    assert_eq!(api(s, &mod_token, "rev-one")["status"], "in_review");
    let r = s.post_as(
        &mia,
        "/assets/rev-one/reject",
        &[
            ("_csrf", &csrf),
            ("revision", &rev),
            ("comment", "Describe the zqxfix please"),
        ],
        &[],
    );
    assert_eq!(r.status(), 303);
    let me = s.get_as(&dev, "/me").text().unwrap();
    assert!(me.contains("Sent back by a moderator") && me.contains("Describe the zqxfix please"));
    let page = s.get_as(&dev, "/assets/rev-one").text().unwrap();
    assert!(page.contains("Describe the zqxfix please"));
    assert!(
        page.contains("id=\"history\""),
        "the owner sees the history"
    );
    assert!(page.contains("Sent back to draft"));
    // Fix, resubmit, approve: public, and found by anonymous readers.
    let (csrf_dev, rev, _) = editor(s, &dev, "rev-one");
    let r = s.post_as(
        &dev,
        "/assets/rev-one/edit",
        &[
            ("_csrf", &csrf_dev),
            ("revision", &rev),
            ("_fields", "description"),
            ("description", "Now described."),
        ],
        &[],
    );
    assert_eq!(r.status(), 303);
    let (_, rev, _) = editor(s, &dev, "rev-one");
    let r = s.post_as(
        &dev,
        "/assets/rev-one/submit",
        &[("_csrf", &csrf_dev), ("revision", &rev)],
        &[],
    );
    assert_eq!(r.status(), 303);
    let body = s.get_as(&mia, "/assets/rev-one/review").text().unwrap();
    let rev = hidden(&body, "revision").unwrap();
    let r = s.post_as(
        &mia,
        "/assets/rev-one/approve",
        &[("_csrf", &csrf), ("revision", &rev)],
        &[],
    );
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/review?approved=rev-one");
    let public = s.get("/?q=zqxreview").text().unwrap();
    assert!(public.contains("/assets/rev-one\""), "approved: public");
    assert!(
        !public.contains("/assets/rev-own\""),
        "still in review: not public"
    );
    // An edit of the published asset waits for review; the diff shows only what it changes.
    let (_, rev, _) = editor(s, &dev, "rev-one");
    let r = s.post_as(
        &dev,
        "/assets/rev-one/edit",
        &[
            ("_csrf", &csrf_dev),
            ("revision", &rev),
            ("_fields", "name"),
            ("name", "Renamed zqxreview"),
        ],
        &[],
    );
    assert_eq!(r.status(), 303);
    let (_, rev, body) = editor(s, &dev, "rev-one");
    assert!(body.contains("You are editing a pending revision"));
    let r = s.post_as(
        &dev,
        "/assets/rev-one/submit",
        &[("_csrf", &csrf_dev), ("revision", &rev)],
        &[],
    );
    assert_eq!(r.status(), 303);
    let body = s.get_as(&mia, "/assets/rev-one/review").text().unwrap();
    assert!(body.contains("An edit of a published asset"));
    assert_eq!(
        body.matches("<th scope=\"row\">").count(),
        1,
        "only the name changed: {body}"
    );
    assert!(
        s.get("/assets/rev-one")
            .text()
            .unwrap()
            .contains("<h1>Reviewed zqxreview</h1>"),
        "readers keep the published version"
    );
}
