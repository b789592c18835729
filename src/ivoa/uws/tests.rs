use super::*;

#[test]
fn instants_parse_in_the_forms_clients_send() {
    let t = parse_instant("2024-03-01T10:20:30Z").unwrap();
    assert_eq!(format_instant(&t), "2024-03-01T10:20:30.000Z");
    assert_eq!(
        parse_instant("2024-03-01T10:20:30.5")
            .unwrap()
            .timestamp_subsec_millis(),
        500
    );
    assert_eq!(
        parse_instant("2024-03-01T12:20:30+02:00").unwrap(),
        parse_instant("2024-03-01T10:20:30Z").unwrap()
    );
    assert_eq!(
        parse_instant("2024-03-01").unwrap(),
        parse_instant("2024-03-01T00:00:00Z").unwrap()
    );
    assert!(parse_instant("yesterday").is_none());
}

struct Instant;

impl Runner for Instant {
    async fn run(&self, _: Params) -> Result<Output, Failure> {
        Ok(Output {
            body: b"done".to_vec(),
            content_type: "text/plain".into(),
        })
    }
}

#[tokio::test]
async fn the_reaper_sweeps_destroyed_jobs_without_being_asked() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        default_duration: 10,
        max_duration: 10,
        retention: 60,
        max_wait: 1,
        max_jobs: 5,
    };
    let jobs = Jobs::new(Arc::new(Instant), dir.path().to_owned(), limits);
    let doomed = jobs.create(Params::new()).unwrap();
    let kept = jobs.create(Params::new()).unwrap();
    jobs.set_destruction(&doomed.id, "2001-01-01T00:00:00Z")
        .unwrap();
    let reaper = jobs.start_reaper(Duration::from_millis(20));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let left: Vec<String> = jobs.lock().keys().cloned().collect();
    assert_eq!(left, [kept.id]);
    // The sweep ends with the list.
    drop(jobs);
    tokio::time::timeout(Duration::from_secs(2), reaper)
        .await
        .unwrap()
        .unwrap();
}

#[test]
fn filters_read_phase_after_and_last() {
    let p: Params = [("phase", "ERROR"), ("PHASE", "COMPLETED"), ("last", "2")]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    let f = Filter::from_params(&p).unwrap();
    assert_eq!(f.phases, [Phase::Error, Phase::Completed]);
    assert_eq!(f.last, Some(2));
    let bad: Params = [("LAST".to_string(), "0".to_string())]
        .into_iter()
        .collect();
    assert!(matches!(
        Filter::from_params(&bad),
        Err(JobError::Invalid(_))
    ));
    let bad: Params = [("PHASE".to_string(), "DONE".to_string())]
        .into_iter()
        .collect();
    assert!(matches!(
        Filter::from_params(&bad),
        Err(JobError::Invalid(_))
    ));
}
