//! The UWS 1.1 documents of a job list: the list, a job, its parameters and its results.

use super::*;

type W<'w> = Writer<&'w mut Vec<u8>>;

fn text(w: &mut W, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

fn nil(w: &mut W, name: &str) -> io::Result<()> {
    w.create_element(name)
        .with_attribute(("xsi:nil", "true"))
        .write_empty()?;
    Ok(())
}

fn instant_or_nil(w: &mut W, name: &str, t: Option<&DateTime<Utc>>) -> io::Result<()> {
    match t {
        Some(t) => text(w, name, &format_instant(t)),
        None => nil(w, name),
    }
}

fn document(body: impl FnOnce(&mut W) -> io::Result<()>) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(2048);
    let mut w = Writer::new(&mut buf);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    body(&mut w)?;
    Ok(buf)
}

const NAMESPACES: [(&str, &str); 3] = [
    ("xmlns:uws", NS_UWS),
    ("xmlns:xlink", NS_XLINK),
    ("xmlns:xsi", NS_XSI),
];

fn parameters(w: &mut W, job: &Job, root: bool) -> io::Result<()> {
    let mut e = w.create_element("uws:parameters");
    if root {
        e = e.with_attributes(NAMESPACES);
    }
    e.write_inner_content(|w| {
        for (name, value) in job.parameters.iter() {
            w.create_element("uws:parameter")
                .with_attribute(("id", name))
                .write_text_content(BytesText::new(value))?;
        }
        Ok::<_, io::Error>(())
    })?;
    Ok(())
}

fn results(w: &mut W, job: &Job, base: &str, root: bool) -> io::Result<()> {
    let mut e = w.create_element("uws:results");
    if root {
        e = e.with_attributes(NAMESPACES);
    }
    e.write_inner_content(|w| {
        if let Some(info) = &job.result {
            let href = format!("{base}/{}/results/result", job.id);
            let size = info.size.to_string();
            w.create_element("uws:result")
                .with_attributes([
                    ("id", "result"),
                    ("xlink:href", href.as_str()),
                    ("size", size.as_str()),
                    ("mime-type", info.content_type.as_str()),
                ])
                .write_empty()?;
        }
        Ok::<_, io::Error>(())
    })?;
    Ok(())
}

/// `<uws:job>`: one job. `base` is the absolute URL of the job list.
pub fn job_xml(job: &Job, base: &str) -> io::Result<Vec<u8>> {
    document(|w| {
        w.create_element("uws:job")
            .with_attributes(NAMESPACES)
            .with_attribute(("version", "1.1"))
            .write_inner_content(|w| {
                text(w, "uws:jobId", &job.id)?;
                if let Some(run_id) = job.run_id() {
                    text(w, "uws:runId", run_id)?;
                }
                match &job.owner {
                    Some(owner) => text(w, "uws:ownerId", owner)?,
                    None => nil(w, "uws:ownerId")?,
                }
                text(w, "uws:phase", job.phase.as_str())?;
                text(w, "uws:creationTime", &format_instant(&job.creation_time))?;
                instant_or_nil(w, "uws:startTime", job.start_time.as_ref())?;
                instant_or_nil(w, "uws:endTime", job.end_time.as_ref())?;
                text(
                    w,
                    "uws:executionDuration",
                    &job.execution_duration.to_string(),
                )?;
                text(w, "uws:destruction", &format_instant(&job.destruction))?;
                parameters(w, job, false)?;
                results(w, job, base, false)?;
                if let Some(message) = &job.error {
                    w.create_element("uws:errorSummary")
                        .with_attributes([("type", "fatal"), ("hasDetail", "true")])
                        .write_inner_content(|w| text(w, "uws:message", message))?;
                }
                Ok(())
            })?;
        Ok(())
    })
}

/// `<uws:jobs>`: references to the listed jobs.
pub fn jobs_xml(jobs: &[Job], base: &str) -> io::Result<Vec<u8>> {
    document(|w| {
        w.create_element("uws:jobs")
            .with_attributes(NAMESPACES)
            .with_attribute(("version", "1.1"))
            .write_inner_content(|w| {
                for job in jobs {
                    let href = format!("{base}/{}", job.id);
                    w.create_element("uws:jobref")
                        .with_attributes([("id", job.id.as_str()), ("xlink:href", href.as_str())])
                        .write_inner_content(|w| {
                            text(w, "uws:phase", job.phase.as_str())?;
                            if let Some(run_id) = job.run_id() {
                                text(w, "uws:runId", run_id)?;
                            }
                            match &job.owner {
                                Some(owner) => text(w, "uws:ownerId", owner)?,
                                None => nil(w, "uws:ownerId")?,
                            }
                            text(w, "uws:creationTime", &format_instant(&job.creation_time))
                        })?;
                }
                Ok(())
            })?;
        Ok(())
    })
}

/// `<uws:parameters>` of a job, as a document of its own.
pub fn parameters_xml(job: &Job) -> io::Result<Vec<u8>> {
    document(|w| parameters(w, job, true))
}

/// `<uws:results>` of a job, as a document of its own.
pub fn results_xml(job: &Job, base: &str) -> io::Result<Vec<u8>> {
    document(|w| results(w, job, base, true))
}
