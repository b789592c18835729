//! Reading pipelines: references, packed graphs, refusals with their place.

use super::*;

fn bundle(files: &[(&str, &str)]) -> Bundle {
    let mut b = Bundle::default();
    for (p, t) in files {
        b.insert(p, t.as_bytes().to_vec()).unwrap();
    }
    b
}

const TOOL: &str = "cwlVersion: v1.2\nclass: CommandLineTool\nbaseCommand: figlet\nrequirements:\n  DockerRequirement: {dockerPull: 'figlet:2.2'}\ninputs:\n  text: {type: string, label: Text}\noutputs:\n  out: stdout\n";

const WF: &str = "cwlVersion: v1.2\nclass: Workflow\nlabel: Hello\n$namespaces: {s: https://schema.org/}\ns:license: Apache-2.0\ninputs:\n  text: string\n  n: int?\noutputs:\n  result: {type: File, outputSource: second/out}\nsteps:\n  first:\n    run: tools/figlet.cwl\n    in: {text: text}\n    out: [out]\n  second:\n    run: tools/figlet.cwl\n    in: {text: {source: text}}\n    out: [out]\n    when: $(inputs.text != null)\n";

#[test]
fn a_workflow_and_its_tools() {
    let b = bundle(&[("hello.cwl", WF), ("tools/figlet.cwl", TOOL)]);
    let x = read(&b, "hello.cwl", &[], Limits::default()).unwrap();
    let p = &x.pipeline;
    assert_eq!(p.process_class.as_deref(), Some("Workflow"));
    assert_eq!(p.cwl_version.as_deref(), Some("v1.2"));
    assert_eq!(p.steps.len(), 2);
    assert_eq!(p.steps[0].run.as_deref(), Some("tools/figlet.cwl"));
    assert_eq!(p.steps[0].runs.as_deref(), Some("CommandLineTool"));
    assert_eq!(p.steps[1].when.as_deref(), Some("$(inputs.text != null)"));
    assert_eq!(p.images, vec!["figlet:2.2"]);
    assert_eq!(p.inputs[1].kind.as_deref(), Some("int?"));
    assert!(p.inputs[1].optional);
    assert_eq!(x.metadata.license.as_deref(), Some("Apache-2.0"));
    assert_eq!(x.label.as_deref(), Some("Hello"));
}

#[test]
fn refusals_name_file_line_and_column() {
    let missing = bundle(&[("hello.cwl", WF)]);
    let e = read(&missing, "hello.cwl", &[], Limits::default()).unwrap_err();
    assert_eq!(e.file, "hello.cwl");
    assert_eq!(e.at.line, 13, "{e}");
    assert!(e.message.contains("tools/figlet.cwl"), "{e}");

    let escaping = bundle(&[("hello.cwl", &WF.replace("tools/figlet.cwl", "../x.cwl"))]);
    let e = read(&escaping, "hello.cwl", &[], Limits::default()).unwrap_err();
    assert!(e.message.contains("leaves the bundle"), "{e}");

    let url = bundle(&[(
        "hello.cwl",
        &WF.replace("tools/figlet.cwl", "https://example.org/x.cwl"),
    )]);
    let e = read(&url, "hello.cwl", &[], Limits::default()).unwrap_err();
    assert!(e.message.contains("never fetched"), "{e}");

    let bad_source = bundle(&[
        ("hello.cwl", &WF.replace("second/out", "second/nope")),
        ("tools/figlet.cwl", TOOL),
    ]);
    let e = read(&bad_source, "hello.cwl", &[], Limits::default()).unwrap_err();
    assert!(e.message.contains("second/nope"), "{e}");

    let typo = bundle(&[("t.cwl", &TOOL.replace("baseCommand", "baseComand"))]);
    let e = read(&typo, "t.cwl", &[], Limits::default()).unwrap_err();
    assert!(e.message.contains("baseComand"), "{e}");
    assert_eq!(e.at.line, 3);
}

#[test]
fn bundle_paths_stay_inside() {
    let mut b = Bundle::default();
    assert!(b.insert("../evil.cwl", vec![]).is_err());
    assert!(b.insert("/etc/passwd", vec![]).is_err());
    assert!(b.insert("a/../../evil", vec![]).is_err());
    assert!(b.insert("a/./b.cwl", vec![]).is_ok());
    assert!(b.insert("a/b.cwl", vec![]).is_err());
    assert_eq!(b.paths().collect::<Vec<_>>(), vec!["a/b.cwl"]);
}

#[test]
fn a_run_cycle_is_refused() {
    let wf = "cwlVersion: v1.2\nclass: Workflow\ninputs: []\noutputs: []\nsteps:\n  again:\n    run: loop.cwl\n    in: []\n    out: []\n";
    let b = bundle(&[("loop.cwl", wf)]);
    // The same document runs itself: read once, checked once, no endless descent.
    let x = read(&b, "loop.cwl", &[], Limits::default()).unwrap();
    assert_eq!(x.pipeline.steps[0].runs.as_deref(), Some("Workflow"));
    assert_eq!(x.files.len(), 1);
}

#[test]
fn the_file_count_is_capped() {
    let b = bundle(&[("hello.cwl", WF), ("tools/figlet.cwl", TOOL)]);
    let limits = Limits {
        max_files: 1,
        ..Limits::default()
    };
    let e = read(&b, "hello.cwl", &[], limits).unwrap_err();
    assert!(e.message.contains("more than 1 files"), "{e}");
}
