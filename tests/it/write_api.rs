//! The write path against a real server: tokens from the command line, the field-level write
//! policy, optimistic concurrency, the publication workflow with pending revisions, history,
//! and every refusal in problem+json with nothing changed.

use crate::common::{Server, orrery, token};
use serde_json::{Value, json};

const JSON: Option<&str> = Some("application/json");
const MERGE: Option<&str> = Some("application/merge-patch+json");

struct World {
    s: Server,
    alice: String,
    bob: String,
    mo: String,
    sa: String,
    app: String,
    // Dropped last: the server stops before its data directory goes.
    _dir: tempfile::TempDir,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let s = Server::start(dir.path(), &[]);
    // Tokens are issued while the server runs.
    let p = dir.path();
    World {
        alice: token(p, "alice", &["developer"], &["team-a"]),
        bob: token(p, "bob", &["developer"], &["team-b"]),
        mo: token(p, "mo", &["moderator"], &[]),
        sa: token(p, "sa", &["sciapps"], &[]),
        app: token(p, "build-service", &["application"], &[]),
        s,
        _dir: dir,
    }
}

fn problem(r: reqwest::blocking::Response, status: u16) -> Value {
    assert_eq!(r.status(), status, "expected {status}");
    assert_eq!(
        r.headers()["content-type"],
        "application/problem+json",
        "an error is problem+json"
    );
    let v: Value = r.json().unwrap();
    assert_eq!(v["status"], status);
    v
}

fn revision(s: &Server, id: &str, tok: &str) -> u64 {
    s.get_json(&format!("/api/v1/assets/{id}"), tok)["revision"]
        .as_u64()
        .unwrap()
}

fn create(w: &World, tok: &str, doc: Value) -> reqwest::blocking::Response {
    w.s.call(
        "POST",
        "/api/v1/assets",
        tok,
        JSON,
        Some(doc.to_string()),
        None,
    )
}

fn patch(w: &World, id: &str, tok: &str, p: Value) -> reqwest::blocking::Response {
    w.s.call(
        "PATCH",
        &format!("/api/v1/assets/{id}"),
        tok,
        MERGE,
        Some(p.to_string()),
        None,
    )
}

fn post(
    w: &World,
    id: &str,
    what: &str,
    tok: &str,
    body: Option<Value>,
) -> reqwest::blocking::Response {
    w.s.call(
        "POST",
        &format!("/api/v1/assets/{id}/{what}"),
        tok,
        body.as_ref().map(|_| "application/json"),
        body.map(|b| b.to_string()),
        None,
    )
}

#[test]
fn tokens_and_authentication() {
    let w = world();
    let dir = w._dir.path();
    // Reads work anonymously; writes need a token.
    assert_eq!(w.s.get("/api/v1/assets/jl-euclid-dps").status(), 200);
    let r = create(&w, "", json!({"id": "x", "type": "Dataset", "name": "X"}));
    let www = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(www.starts_with("Bearer"), "{www}");
    problem(r, 401);
    // A malformed, unknown or other-scheme credential is 401, also on reads.
    for bad in [
        "Bearer nope",
        "Basic YWxpY2U6eA==",
        "Bearer orr_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let r =
            w.s.client
                .get(format!("{}/api/v1/assets/jl-euclid-dps", w.s.base))
                .header("Authorization", bad)
                .send()
                .unwrap();
        problem(r, 401);
    }
    // The token is the last line of stdout; only its hash is stored.
    let db = std::fs::read(dir.join("catalog.sqlite")).unwrap_or_default();
    let wal = std::fs::read(dir.join("catalog.sqlite-wal")).unwrap_or_default();
    let secret = w.alice.rsplit('_').next().unwrap();
    for bytes in [&db, &wal] {
        assert!(
            !bytes
                .windows(secret.len())
                .any(|win| win == secret.as_bytes()),
            "the token's secret is stored in clear"
        );
    }
    // list shows ids and users, never tokens.
    let out = orrery(dir, &["token", "list"]);
    let listing = String::from_utf8(out.stdout).unwrap();
    assert!(listing.contains("alice") && listing.contains("build-service"));
    assert!(!listing.contains(secret));
    // Revocation takes effect at once, with the server running.
    let victim = token(dir, "carol", &["developer"], &[]);
    let ok = create(
        &w,
        &victim,
        json!({"id": "carol-1", "type": "Dataset", "name": "C"}),
    );
    assert_eq!(ok.status(), 201);
    let id = victim.split('_').nth(1).unwrap();
    let out = orrery(dir, &["token", "revoke", id]);
    assert!(out.status.success());
    let r = create(
        &w,
        &victim,
        json!({"id": "carol-2", "type": "Dataset", "name": "C"}),
    );
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    let v = problem(r, 401);
    assert!(v["detail"].as_str().unwrap().contains("revoked"));
    // An expired token.
    let out = orrery(
        dir,
        &[
            "token",
            "create",
            "--user",
            "dave",
            "--role",
            "developer",
            "--expires",
            "2020-01-01T00:00:00Z",
        ],
    );
    assert!(out.status.success());
    let old = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned();
    let r = w.s.call(
        "GET",
        "/api/v1/assets/jl-euclid-dps",
        &old,
        None,
        None,
        None,
    );
    let v = problem(r, 401);
    assert!(v["detail"].as_str().unwrap().contains("expired"), "{v}");
    let out = orrery(
        dir,
        &[
            "token",
            "create",
            "--user",
            "x",
            "--role",
            "developer",
            "--expires",
            "soon",
        ],
    );
    assert!(!out.status.success());
    let out = orrery(dir, &["token", "create", "--user", "x"]);
    assert!(!out.status.success(), "a role is required");
}

#[test]
fn the_field_table_decides_who_writes_what() {
    let w = world();
    let base = json!({"id": "ds-1", "type": "Dataset", "name": "Dataset one", "keywords": ["a"]});
    // Application accounts do not create (name and type are DEVELOPER fields).
    let v = problem(create(&w, &w.app, base.clone()), 403);
    assert!(v["detail"].as_str().unwrap().contains("\"name\""));
    // A developer may not set MODERATOR/SCIAPPS or APPLICATION fields, nor the status.
    let mut doc = base.clone();
    doc["domain"] = json!(["Space Science"]);
    doc["dateCreated"] = json!("2020-01-01");
    let v = problem(create(&w, &w.alice, doc), 403);
    let pointers: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/dateCreated", "/domain"]);
    let mut doc = base.clone();
    doc["status"] = json!("published");
    problem(create(&w, &w.alice, doc), 403);
    assert_eq!(
        w.s.call("GET", "/api/v1/assets/ds-1", &w.alice, None, None, None)
            .status(),
        404,
        "nothing was created"
    );

    let r = create(&w, &w.alice, base.clone());
    assert_eq!(r.status(), 201);
    assert_eq!(
        r.headers()["location"].to_str().unwrap(),
        format!("{}/api/v1/assets/ds-1", w.s.base)
    );
    let created: Value = r.json().unwrap();
    assert_eq!(created["owner"], "alice");
    assert_eq!(created["status"], "draft");
    // 409: the id is taken.
    problem(create(&w, &w.bob, base.clone()), 409);
    // Another developer does not even see the draft.
    problem(patch(&w, "ds-1", &w.bob, json!({"name": "mine"})), 404);
    // The owner may write DEVELOPER fields, not the domain.
    assert_eq!(
        patch(&w, "ds-1", &w.alice, json!({"abstract": "An abstract."})).status(),
        200
    );
    let before = revision(&w.s, "ds-1", &w.alice);
    let v = problem(
        patch(
            &w,
            "ds-1",
            &w.alice,
            json!({"abstract": "Changed", "domain": ["Space Science"]}),
        ),
        403,
    );
    assert_eq!(v["errors"][0]["pointer"], "/domain");
    let now = w.s.get_json("/api/v1/assets/ds-1", &w.alice);
    assert_eq!(
        now["abstract"], "An abstract.",
        "a refused write changes nothing"
    );
    assert_eq!(now["revision"].as_u64().unwrap(), before);
    // Sciapps sets the domain and the publisher; a moderator the domain but not the publisher.
    assert_eq!(
        patch(
            &w,
            "ds-1",
            &w.sa,
            json!({"domain": ["Space Science"], "publisher": {"name": "ESA"}})
        )
        .status(),
        200
    );
    problem(
        patch(&w, "ds-1", &w.mo, json!({"publisher": {"name": "Other"}})),
        403,
    );
    assert_eq!(
        patch(&w, "ds-1", &w.mo, json!({"keywords": ["a", "b"]})).status(),
        200,
        "moderators edit DEVELOPER fields of any asset"
    );
    // The application writes APPLICATION fields only, datalabImage by sub-field.
    assert_eq!(
        patch(&w, "ds-1", &w.app, json!({"build": {"status": "SUCCESS"}, "dateCreated": "2021-02-03", "datalabImage": {"id": "img-1", "platform": "0.7.0"}})).status(),
        200
    );
    let v = problem(
        patch(
            &w,
            "ds-1",
            &w.app,
            json!({"datalabImage": {"keyword": ["latest"]}}),
        ),
        403,
    );
    assert_eq!(v["errors"][0]["pointer"], "/datalabImage/keyword");
    problem(
        patch(&w, "ds-1", &w.app, json!({"name": "by the app"})),
        403,
    );
    assert_eq!(
        patch(
            &w,
            "ds-1",
            &w.alice,
            json!({"datalabImage": {"keyword": ["latest"]}})
        )
        .status(),
        200
    );
    problem(
        patch(
            &w,
            "ds-1",
            &w.alice,
            json!({"datalabImage": {"id": "img-2"}}),
        ),
        403,
    );
    // A replace by the owner that leaves out what it may not write keeps it; changing it is
    // refused whole.
    let put =
        json!({"id": "ds-1", "type": "Dataset", "name": "Dataset one", "abstract": "Replaced."});
    let r = w.s.call(
        "PUT",
        "/api/v1/assets/ds-1",
        &w.alice,
        JSON,
        Some(put.to_string()),
        None,
    );
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().unwrap();
    assert_eq!(doc["abstract"], "Replaced.");
    assert!(
        doc.get("keywords").is_none(),
        "the owner removed its keywords"
    );
    assert_eq!(
        doc["domain"],
        json!(["Space Science"]),
        "kept: sciapps' field"
    );
    assert_eq!(
        doc["build"]["status"], "SUCCESS",
        "kept: the application's field"
    );
    assert_eq!(
        doc["datalabImage"],
        json!({"id": "img-1", "platform": "0.7.0"})
    );
    // Replacing again with the same document changes nothing (idempotent).
    let rev = doc["revision"].as_u64().unwrap();
    let r = w.s.call(
        "PUT",
        "/api/v1/assets/ds-1",
        &w.alice,
        JSON,
        Some(put.to_string()),
        None,
    );
    assert_eq!(
        r.json::<Value>().unwrap()["revision"].as_u64().unwrap(),
        rev
    );
    let mut bad = put.clone();
    bad["domain"] = json!(["Earth Observation"]);
    problem(
        w.s.call(
            "PUT",
            "/api/v1/assets/ds-1",
            &w.alice,
            JSON,
            Some(bad.to_string()),
            None,
        ),
        403,
    );
    let mut other = put.clone();
    other["id"] = json!("ds-2");
    problem(
        w.s.call(
            "PUT",
            "/api/v1/assets/ds-1",
            &w.alice,
            JSON,
            Some(other.to_string()),
            None,
        ),
        422,
    );
    // 415, 400, 422, all leaving the asset alone.
    let r = w.s.call(
        "PATCH",
        "/api/v1/assets/ds-1",
        &w.alice,
        JSON,
        Some("{}".into()),
        None,
    );
    assert_eq!(r.headers()["accept-patch"], "application/merge-patch+json");
    problem(r, 415);
    problem(
        w.s.call(
            "POST",
            "/api/v1/assets",
            &w.alice,
            Some("text/plain"),
            Some(base.to_string()),
            None,
        ),
        415,
    );
    problem(
        w.s.call(
            "PUT",
            "/api/v1/assets/ds-1",
            &w.alice,
            JSON,
            Some("{not json".into()),
            None,
        ),
        400,
    );
    let v = problem(
        patch(&w, "ds-1", &w.alice, json!({"mission": ["Nonexistent"]})),
        422,
    );
    assert_eq!(v["errors"][0]["pointer"], "/mission/0");
    let v = problem(patch(&w, "ds-1", &w.alice, json!({"colour": "blue"})), 422);
    assert!(v["errors"].as_array().is_some_and(|e| !e.is_empty()));
    assert_eq!(
        revision(&w.s, "ds-1", &w.alice),
        rev,
        "no refusal changed anything"
    );
    // Unknown assets are 404 for everyone.
    problem(patch(&w, "no-such", &w.mo, json!({"name": "x"})), 404);
}

#[test]
fn etags_and_if_match() {
    let w = world();
    assert_eq!(
        create(
            &w,
            &w.alice,
            json!({"id": "e-1", "type": "Dataset", "name": "E"})
        )
        .status(),
        201
    );
    let r =
        w.s.call("GET", "/api/v1/assets/e-1", &w.alice, None, None, None);
    let tag = r.headers()["etag"].to_str().unwrap().to_owned();
    // A write from the current ETag goes through and returns the next one.
    let r = w.s.call(
        "PATCH",
        "/api/v1/assets/e-1",
        &w.alice,
        MERGE,
        Some(json!({"abstract": "one"}).to_string()),
        Some(&tag),
    );
    assert_eq!(r.status(), 200);
    let next = r.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(next, tag);
    // The old ETag is stale now: 412 and nothing changes.
    let v = problem(
        w.s.call(
            "PATCH",
            "/api/v1/assets/e-1",
            &w.alice,
            MERGE,
            Some(json!({"abstract": "two"}).to_string()),
            Some(&tag),
        ),
        412,
    );
    assert!(v["detail"].as_str().unwrap().contains("revision"));
    problem(
        w.s.call(
            "DELETE",
            "/api/v1/assets/e-1",
            &w.alice,
            None,
            None,
            Some(&tag),
        ),
        412,
    );
    problem(
        w.s.call(
            "POST",
            "/api/v1/assets/e-1/submit",
            &w.alice,
            None,
            None,
            Some("W/\"1\""),
        ),
        412,
    );
    assert_eq!(
        w.s.get_json("/api/v1/assets/e-1", &w.alice)["abstract"],
        "one"
    );
    // `*` and a list with the current tag match.
    let r = w.s.call(
        "PATCH",
        "/api/v1/assets/e-1",
        &w.alice,
        MERGE,
        Some(json!({"abstract": "three"}).to_string()),
        Some("*"),
    );
    assert_eq!(r.status(), 200);
    let cur = r.headers()["etag"].to_str().unwrap().to_owned();
    let list = format!("\"1\", {cur}");
    let r = w.s.call(
        "DELETE",
        "/api/v1/assets/e-1",
        &w.alice,
        None,
        None,
        Some(&list),
    );
    assert_eq!(r.status(), 204);
    problem(
        w.s.call("GET", "/api/v1/assets/e-1", &w.alice, None, None, None),
        404,
    );
}

#[test]
fn publication_workflow_and_history() {
    let w = world();
    let doc = json!({"id": "wf-1", "type": "Dataset", "name": "Workflow one", "abstract": "First words."});
    assert_eq!(create(&w, &w.alice, doc).status(), 201);
    // A licence from the catalogue is needed to submit.
    let v = problem(post(&w, "wf-1", "submit", &w.alice, None), 422);
    assert_eq!(v["errors"][0]["pointer"], "/license");
    problem(
        patch(&w, "wf-1", &w.alice, json!({"license": "Not-A-Licence"})),
        422,
    );
    assert_eq!(
        patch(&w, "wf-1", &w.alice, json!({"license": "cc-by-4.0"})).status(),
        200
    );
    // Only moderators approve, and only what is in review.
    problem(post(&w, "wf-1", "approve", &w.mo, None), 409);
    let r = post(&w, "wf-1", "submit", &w.alice, None);
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap()["status"], "in_review");
    problem(post(&w, "wf-1", "submit", &w.alice, None), 409);
    problem(post(&w, "wf-1", "approve", &w.alice, None), 403);
    problem(post(&w, "wf-1", "approve", &w.sa, None), 403);
    assert_eq!(
        w.s.get("/api/v1/assets/wf-1").status(),
        404,
        "not public while in review"
    );
    // Rejection needs a comment and sends it back to draft.
    problem(post(&w, "wf-1", "reject", &w.mo, None), 422);
    let r = post(
        &w,
        "wf-1",
        "reject",
        &w.mo,
        Some(json!({"comment": "Say which mission."})),
    );
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().unwrap();
    assert_eq!(doc["status"], "draft");
    assert_eq!(doc["moderatorComment"], "Say which mission.");
    assert_eq!(
        w.s.get_json("/api/v1/assets/wf-1", &w.alice)["moderatorComment"],
        "Say which mission."
    );
    assert_eq!(
        patch(&w, "wf-1", &w.alice, json!({"mission": ["Gaia"]})).status(),
        200
    );
    assert_eq!(post(&w, "wf-1", "submit", &w.alice, None).status(), 200);
    let r = post(
        &w,
        "wf-1",
        "approve",
        &w.mo,
        Some(json!({"comment": "Thanks."})),
    );
    assert_eq!(r.status(), 200);
    // Published: anyone reads it and finds it.
    let public = w.s.get_json("/api/v1/assets/wf-1", "");
    assert_eq!(public["name"], "Workflow one");
    assert!(public.get("status").is_none(), "status is a private field");
    assert!(public["datePublished"].is_string());
    let found = w.s.get_json("/api/v1/assets?q=id:wf-1", "");
    assert_eq!(found["total"], 1);

    // Editing a published public asset writes a pending revision: readers keep the published
    // version, search too, until a moderator approves.
    let r = patch(&w, "wf-1", &w.alice, json!({"name": "Workflow xylophonic"}));
    assert_eq!(r.status(), 200);
    let own: Value = r.json().unwrap();
    assert_eq!(own["name"], "Workflow one");
    assert_eq!(own["pending"]["name"], "Workflow xylophonic");
    assert_eq!(own["pending"]["status"], "draft");
    assert_eq!(
        w.s.get_json("/api/v1/assets/wf-1", "")["name"],
        "Workflow one"
    );
    assert!(
        w.s.get_json("/api/v1/assets/wf-1", "")
            .get("pending")
            .is_none()
    );
    assert_eq!(w.s.get_json("/api/v1/assets?q=xylophonic", "")["total"], 0);
    // What no reader sees (private fields, platform counters) applies at once, to the
    // published version and the pending one alike, and leaves dateModified alone.
    let modified = w.s.get_json("/api/v1/assets/wf-1", "")["dateModified"].clone();
    let r = patch(
        &w,
        "wf-1",
        &w.app,
        json!({"build": {"status": "SUCCESS"}, "popularity": 7}),
    );
    assert_eq!(r.status(), 200);
    let own = w.s.get_json("/api/v1/assets/wf-1", &w.alice);
    assert_eq!(own["build"]["status"], "SUCCESS");
    assert_eq!(own["pending"]["build"]["status"], "SUCCESS");
    assert_eq!(own["pending"]["name"], "Workflow xylophonic");
    let public = w.s.get_json("/api/v1/assets/wf-1", "");
    assert_eq!(public["popularity"], 7);
    assert_eq!(public["dateModified"], modified);
    // Further edits continue the pending revision.
    assert_eq!(
        patch(&w, "wf-1", &w.alice, json!({"abstract": "Second words."})).status(),
        200
    );
    assert_eq!(post(&w, "wf-1", "submit", &w.alice, None).status(), 200);
    let pending = w.s.get_json("/api/v1/assets/wf-1", &w.mo);
    assert_eq!(pending["pending"]["status"], "in_review");
    assert_eq!(pending["status"], "published");
    assert_eq!(
        w.s.get_json("/api/v1/assets/wf-1", "")["abstract"],
        "First words."
    );
    let r = post(&w, "wf-1", "approve", &w.mo, None);
    assert_eq!(r.status(), 200);
    let public = w.s.get_json("/api/v1/assets/wf-1", "");
    assert_eq!(public["name"], "Workflow xylophonic");
    assert_eq!(public["abstract"], "Second words.");
    assert_eq!(w.s.get_json("/api/v1/assets?q=xylophonic", "")["total"], 1);
    assert!(
        w.s.get_json("/api/v1/assets/wf-1", &w.alice)
            .get("pending")
            .is_none()
    );

    // A private audience is shared at once on submit, and never public.
    let doc = json!({"id": "wf-2", "type": "Dataset", "name": "Quetzalcoatl two", "license": "CC-BY-4.0",
                     "visibility": {"audience": "private", "users": ["bob"], "groups": []}});
    assert_eq!(create(&w, &w.alice, doc).status(), 201);
    problem(
        w.s.call("GET", "/api/v1/assets/wf-2", &w.bob, None, None, None),
        404,
    );
    let r = post(&w, "wf-2", "submit", &w.alice, None);
    assert_eq!(r.json::<Value>().unwrap()["status"], "published");
    assert_eq!(
        w.s.get_json("/api/v1/assets/wf-2", &w.bob)["name"],
        "Quetzalcoatl two"
    );
    assert_eq!(w.s.get("/api/v1/assets/wf-2").status(), 404);
    assert_eq!(
        w.s.get_json("/api/v1/assets?q=quetzalcoatl", &w.bob)["total"],
        1
    );
    assert_eq!(
        w.s.get_json("/api/v1/assets?q=quetzalcoatl", "")["total"],
        0
    );
    // Bob reads it but does not own it.
    problem(patch(&w, "wf-2", &w.bob, json!({"name": "Bob's"})), 403);
    // Sharing changes of a private asset apply at once; turning it public needs review.
    let r = patch(
        &w,
        "wf-2",
        &w.alice,
        json!({"visibility": {"audience": "public", "users": [], "groups": []}}),
    );
    assert_eq!(r.status(), 200);
    let own: Value = r.json().unwrap();
    assert_eq!(own["visibility"]["audience"], "private");
    assert_eq!(own["pending"]["visibility"]["audience"], "public");
    assert_eq!(w.s.get("/api/v1/assets/wf-2").status(), 404);

    // History: every change and transition with who, when, what and comments; for the owner,
    // moderators and sciapps.
    let h = w.s.get_json("/api/v1/assets/wf-1/history", &w.alice);
    let events = h["events"].as_array().unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "create", "update", "submit", "reject", "update", "submit", "approve", "update",
            "update", "update", "submit", "approve"
        ]
    );
    let revs: Vec<u64> = events
        .iter()
        .map(|e| e["revision"].as_u64().unwrap())
        .collect();
    assert!(
        revs.windows(2).all(|p| p[0] < p[1]),
        "revisions increase: {revs:?}"
    );
    assert!(
        events
            .iter()
            .all(|e| e["at"].is_string() && e["by"].is_string())
    );
    assert_eq!(events[3]["by"], "mo");
    assert_eq!(events[3]["comment"], "Say which mission.");
    assert_eq!(
        events[3]["status"],
        json!({"from": "in_review", "to": "draft"})
    );
    assert_eq!(
        events[1]["changes"],
        json!([{"field": "license", "to": "CC-BY-4.0"}])
    );
    assert_eq!(
        events[7]["changes"],
        json!([{"field": "name", "from": "Workflow one", "to": "Workflow xylophonic"}])
    );
    assert_eq!(events[7]["pending"], true);
    assert_eq!(
        w.s.get_json("/api/v1/assets/wf-1/history", &w.mo)["events"]
            .as_array()
            .unwrap()
            .len(),
        events.len()
    );
    assert_eq!(
        w.s.get_json("/api/v1/assets/wf-1/history", &w.sa)["events"]
            .as_array()
            .unwrap()
            .len(),
        events.len()
    );
    problem(
        w.s.call(
            "GET",
            "/api/v1/assets/wf-1/history",
            &w.bob,
            None,
            None,
            None,
        ),
        403,
    );
    problem(
        w.s.call("GET", "/api/v1/assets/wf-1/history", "", None, None, None),
        401,
    );

    // Deleting leaves nothing to read; only owner, moderator or sciapps may.
    problem(
        w.s.call("DELETE", "/api/v1/assets/wf-2", &w.bob, None, None, None),
        403,
    );
    assert_eq!(
        w.s.call("DELETE", "/api/v1/assets/wf-2", &w.alice, None, None, None)
            .status(),
        204
    );
    problem(
        w.s.call("GET", "/api/v1/assets/wf-2", &w.alice, None, None, None),
        404,
    );
    problem(
        w.s.call("DELETE", "/api/v1/assets/wf-2", &w.alice, None, None, None),
        404,
    );
    let after = w.s.get_json("/api/v1/assets?q=quetzalcoatl", &w.bob);
    assert_eq!(after["total"], 0, "{after}");
    // The id of a deleted asset may be used again.
    assert_eq!(
        create(
            &w,
            &w.bob,
            json!({"id": "wf-2", "type": "Dataset", "name": "Again"})
        )
        .status(),
        201
    );

    let dir = w._dir.path().to_owned();
    w.s.stop();
    let out = orrery(&dir, &["check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
