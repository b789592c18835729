//! One CWL process checked and normalised the way a CWL loader reads it: its class and
//! fields known for its `cwlVersion`, inputs and outputs in map or list form with known types,
//! requirements of known classes, and for a workflow its steps, their `run:` resolved and
//! checked in turn, their sources naming an input or another step's output, their scatter
//! naming their own inputs. What it finds is kept for the extraction.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;

use super::load::{Loader, Loc, find_id};
use super::types;
use super::{ArtefactError, Pos};
use crate::artefact::yaml::{Node, Value};
use crate::model::asset::{Parameter, Step};

const VERSIONS: &[&str] = &["v1.0", "v1.1", "v1.2"];

/// Requirement classes of CWL v1.0 (a hint of an unknown class is passed over, as CWL asks).
const REQUIREMENTS: &[&str] = &[
    "InlineJavascriptRequirement",
    "SchemaDefRequirement",
    "DockerRequirement",
    "SoftwareRequirement",
    "InitialWorkDirRequirement",
    "EnvVarRequirement",
    "ShellCommandRequirement",
    "ResourceRequirement",
    "SubworkflowFeatureRequirement",
    "ScatterFeatureRequirement",
    "MultipleInputFeatureRequirement",
    "StepInputExpressionRequirement",
];

/// The requirement classes CWL v1.1 added.
const REQUIREMENTS_1_1: &[&str] = &[
    "LoadListingRequirement",
    "WorkReuse",
    "NetworkAccess",
    "InplaceUpdateRequirement",
    "ToolTimeLimit",
];

/// A process as read: where it stands, its node, and the CWL version it is read under.
#[derive(Clone)]
pub(super) struct Proc {
    pub loc: Loc,
    pub node: Node,
    pub version: String,
    /// The document's root when the process is one of a packed `$graph`.
    pub root: Rc<Node>,
}

/// What the check found of a process.
#[derive(Debug, Clone, Default)]
pub(super) struct Checked {
    pub class: String,
    pub inputs: Vec<Parameter>,
    pub outputs: Vec<Parameter>,
    pub steps: Vec<Step>,
    pub requirements: Vec<String>,
    /// Images of this process and of everything it runs.
    pub images: BTreeSet<String>,
}

pub(super) struct Checker<'l, 'a> {
    pub loader: &'l mut Loader<'a>,
    /// Type names the documents define (`SchemaDefRequirement`).
    pub names: Vec<String>,
    depth: usize,
    /// Processes already checked (or being checked), with their class and images.
    seen: HashMap<(Loc, String), (String, BTreeSet<String>)>,
    named: HashSet<Loc>,
}

impl<'l, 'a> Checker<'l, 'a> {
    pub(super) fn new(loader: &'l mut Loader<'a>) -> Self {
        Checker {
            loader,
            names: Vec::new(),
            depth: 0,
            seen: HashMap::new(),
            named: HashSet::new(),
        }
    }

    fn err(&self, at: Pos, message: impl Into<String>) -> ArtefactError {
        self.loader.err(at, message)
    }

    /// The process a document (and fragment) names: the `#fragment`, else `#main` of a packed
    /// graph (or its only process), else the document itself. `None` with a graph of several
    /// processes and no `#main`.
    pub(super) fn pick(
        &self,
        root: &Rc<Node>,
        loc: &Loc,
        fragment: Option<&str>,
        inherited: Option<&str>,
        at: Pos,
    ) -> Result<Option<Proc>, ArtefactError> {
        let version = root.get_str("cwlVersion").or(inherited).map(str::to_owned);
        let version = version.ok_or_else(|| self.err(root.at, "the document has no cwlVersion"))?;
        let proc = |node: &Node| Proc {
            loc: loc.clone(),
            node: node.clone(),
            version: node
                .get_str("cwlVersion")
                .map_or_else(|| version.clone(), str::to_owned),
            root: root.clone(),
        };
        if let Some(f) = fragment.filter(|f| !f.is_empty()) {
            return match find_id(root, f, true) {
                Some(n) => Ok(Some(proc(n))),
                None if root.get("$graph").is_none() && f == "main" => Ok(Some(proc(root))),
                None => Err(self.err(at, format!("no process #{f} in {}", self.loader.name(loc)))),
            };
        }
        match root.get("$graph") {
            Some(g) => {
                let items = g
                    .seq()
                    .ok_or_else(|| self.err(g.at, "$graph must be a list of processes"))?;
                if let Some(main) = items.iter().find(|i| {
                    i.get_str("id")
                        .is_some_and(|id| id.trim_start_matches('#') == "main")
                }) {
                    return Ok(Some(proc(main)));
                }
                match items {
                    [one] => Ok(Some(proc(one))),
                    _ => Ok(None),
                }
            }
            None => Ok(Some(proc(root))),
        }
    }

    /// Checks every process of a packed graph (a graph with no `#main` is valid when each of
    /// its processes is).
    pub(super) fn check_graph(&mut self, root: &Rc<Node>, loc: &Loc) -> Result<(), ArtefactError> {
        let version = root.get_str("cwlVersion").map(str::to_owned);
        for item in root.get("$graph").and_then(Node::seq).unwrap_or_default() {
            let p = Proc {
                loc: loc.clone(),
                node: item.clone(),
                version: item
                    .get_str("cwlVersion")
                    .map(str::to_owned)
                    .or_else(|| version.clone())
                    .unwrap_or_default(),
                root: root.clone(),
            };
            self.check(&p)?;
        }
        Ok(())
    }

    /// Collects the type names every `SchemaDefRequirement` under `node` defines.
    pub(super) fn collect_names(&mut self, node: &Node) {
        match &node.value {
            Value::Map(entries) => {
                if node.get_str("class") == Some("SchemaDefRequirement")
                    && let Some(types) = node.get("types").and_then(Node::seq)
                {
                    for t in types {
                        if let Some(n) = t.get_str("name") {
                            self.names.push(types::local_name(n).to_owned());
                        }
                    }
                }
                for (k, v) in entries {
                    if k == "SchemaDefRequirement"
                        && let Some(types) = v.get("types").and_then(Node::seq)
                    {
                        for t in types {
                            if let Some(n) = t.get_str("name") {
                                self.names.push(types::local_name(n).to_owned());
                            }
                        }
                    }
                    self.collect_names(v);
                }
            }
            Value::Seq(items) => items.iter().for_each(|i| self.collect_names(i)),
            _ => {}
        }
    }

    /// Checks a process and what it runs; returns what it found.
    pub(super) fn check(&mut self, p: &Proc) -> Result<Checked, ArtefactError> {
        if self.named.insert(p.loc.clone()) {
            self.collect_names(&p.root.clone());
        }
        let node = &p.node;
        if node.map().is_none() {
            return Err(self.err(
                node.at,
                format!("a process must be a mapping, not {}", node.kind()),
            ));
        }
        if !VERSIONS.contains(&p.version.as_str()) {
            return Err(self.err(
                node.at,
                format!("cwlVersion {:?} is not one of v1.0, v1.1, v1.2", p.version),
            ));
        }
        let v12 = p.version == "v1.2";
        let class = node
            .get_str("class")
            .ok_or_else(|| self.err(node.at, "a process needs a class"))?;
        let own: &[&str] = match class {
            "CommandLineTool" => &[
                "baseCommand",
                "arguments",
                "stdin",
                "stdout",
                "stderr",
                "successCodes",
                "temporaryFailCodes",
                "permanentFailCodes",
            ],
            "ExpressionTool" => &["expression"],
            "Workflow" => &["steps"],
            "Operation" if v12 => &[],
            other => {
                return Err(self.err(
                    node.get("class").map_or(node.at, |c| c.at),
                    format!("{other:?} is not a CWL {} process class", p.version),
                ));
            }
        };
        let common: &[&str] = &[
            "id",
            "label",
            "doc",
            "inputs",
            "outputs",
            "requirements",
            "hints",
            "cwlVersion",
            "class",
        ];
        let extra: &[&str] = if v12 { &["intent"] } else { &[] };
        self.known_fields(node, &[common, own, extra], class)?;
        for (field, what) in [("inputs", "inputs"), ("outputs", "outputs")] {
            if node.get(field).is_none() {
                return Err(self.err(node.at, format!("a {class} needs {what}")));
            }
        }
        let requirements = self.requirements(node, &p.version)?;
        let mut images = images_of(node);
        let namespaces = namespaces_of(&p.root);
        let inputs = self.parameters(node.get("inputs"), class, true, &p.version, &namespaces)?;
        let outputs =
            self.parameters(node.get("outputs"), class, false, &p.version, &namespaces)?;
        let mut steps = Vec::new();
        if class == "Workflow" {
            let list = node
                .get("steps")
                .ok_or_else(|| self.err(node.at, "a Workflow needs steps"))?;
            let step_nodes = entries(list, "step", |id, at| {
                self.err(at, format!("step {id}: a step must be a mapping"))
            })?;
            let mut outs: Vec<(String, Vec<String>)> = Vec::new();
            let mut ids = HashSet::new();
            for (id, s) in &step_nodes {
                if !ids.insert(id.clone()) {
                    return Err(self.err(s.at, format!("two steps are named {id:?}")));
                }
                let out = s
                    .get("out")
                    .ok_or_else(|| self.err(s.at, format!("step {id} needs out")))?;
                let names = out
                    .seq()
                    .ok_or_else(|| self.err(out.at, "a step's out must be a list"))?
                    .iter()
                    .map(|o| match &o.value {
                        Value::Str(s) => Ok(last(s).to_owned()),
                        Value::Map(_) => o
                            .get_str("id")
                            .map(|i| last(i).to_owned())
                            .ok_or_else(|| self.err(o.at, "a step output needs an id")),
                        _ => Err(self.err(o.at, "a step output is a name or a mapping with an id")),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                outs.push((id.clone(), names));
            }
            let input_ids: Vec<String> = inputs.iter().map(|i| i.id.clone()).collect();
            let proc_id = node.get_str("id").map(|i| last(i).to_owned());
            for (id, s) in &step_nodes {
                let (step, found) = self.step(p, id, s, &input_ids, &outs, proc_id.as_deref())?;
                images.extend(found);
                steps.push(step);
            }
            for o in parameter_nodes(node.get("outputs"))
                .unwrap_or_default()
                .iter()
            {
                if let Some(src) = o.1.get("outputSource") {
                    for (s, at) in sources(src) {
                        if !resolves(&s, &input_ids, &outs, proc_id.as_deref()) {
                            return Err(self.err(
                                at,
                                format!("outputSource {s:?} names no input of the workflow and no output of one of its steps"),
                            ));
                        }
                    }
                }
                self.multiple_sources(&o.1, "outputSource", o.1.get("type"))?;
            }
        }
        Ok(Checked {
            class: class.to_owned(),
            inputs,
            outputs,
            steps,
            requirements,
            images,
        })
    }

    /// Refuses a field a process, parameter or step of this kind does not have. Namespaced
    /// extension fields (`s:author`) and `$` directives pass.
    fn known_fields(
        &self,
        node: &Node,
        allowed: &[&[&str]],
        what: &str,
    ) -> Result<(), ArtefactError> {
        for (k, v) in node.map().unwrap_or_default() {
            if k.contains(':') || k.starts_with('$') {
                continue;
            }
            if !allowed.iter().any(|set| set.contains(&k.as_str())) {
                let at = v.place();
                let mut expected: Vec<&str> =
                    allowed.iter().flat_map(|s| s.iter().copied()).collect();
                expected.sort_unstable();
                return Err(self.err(
                    at,
                    format!(
                        "{k:?} is not a field of a {what} (expected one of: {})",
                        expected.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    fn requirements(&self, node: &Node, version: &str) -> Result<Vec<String>, ArtefactError> {
        let mut classes = Vec::new();
        for field in ["requirements", "hints"] {
            let Some(list) = node.get(field) else {
                continue;
            };
            for (class, r, at) in requirement_entries(list).map_err(|at| {
                self.err(
                    at,
                    format!("{field} must be a list of requirements or a mapping by class"),
                )
            })? {
                let known = REQUIREMENTS.contains(&class.as_str())
                    || (version != "v1.0" && REQUIREMENTS_1_1.contains(&class.as_str()));
                let namespaced = class.contains(':');
                if field == "requirements" && !known && !namespaced {
                    return Err(self.err(
                        at,
                        format!("{class:?} is not a requirement of CWL {version}"),
                    ));
                }
                if class == "ResourceRequirement" {
                    self.resources(&r, version)?;
                }
                classes.push(class);
            }
        }
        classes.sort();
        classes.dedup();
        Ok(classes)
    }

    /// Before v1.2 resource amounts are whole numbers or expressions.
    fn resources(&self, r: &Node, version: &str) -> Result<(), ArtefactError> {
        for (k, v) in r.map().unwrap_or_default() {
            let ok = match &v.value {
                Value::Int(_) | Value::Str(_) => true,
                Value::Float(_) => version == "v1.2",
                _ => false,
            };
            if !ok && k != "class" {
                return Err(self.err(
                    v.at,
                    format!("ResourceRequirement {k}: {} is not a whole number or an expression in CWL {version}", v.kind()),
                ));
            }
        }
        Ok(())
    }

    fn parameters(
        &self,
        list: Option<&Node>,
        class: &str,
        input: bool,
        version: &str,
        namespaces: &[(String, String)],
    ) -> Result<Vec<Parameter>, ArtefactError> {
        let Some(list) = list else {
            return Ok(Vec::new());
        };
        let v10 = version == "v1.0";
        let nodes = parameter_nodes(Some(list))
            .ok_or_else(|| self.err(list.at, "parameters must be a list or a mapping by id"))?;
        let mut allowed: Vec<&str> = vec![
            "id",
            "label",
            "doc",
            "type",
            "format",
            "secondaryFiles",
            "streamable",
        ];
        if input {
            allowed.extend(["default", "inputBinding"]);
            if !v10 {
                allowed.extend(["loadContents", "loadListing"]);
            }
            if class == "Operation" {
                allowed.retain(|f| *f != "inputBinding");
            }
        } else {
            match class {
                "CommandLineTool" => allowed.push("outputBinding"),
                "Workflow" => {
                    allowed.extend(["outputSource", "linkMerge"]);
                    if v10 {
                        allowed.push("outputBinding");
                    }
                    if version == "v1.2" {
                        allowed.push("pickValue");
                    }
                }
                _ => {}
            }
        }
        let what = if input {
            "input parameter"
        } else {
            "output parameter"
        };
        let mut out = Vec::new();
        let mut ids = HashSet::new();
        for (id, p) in nodes {
            if !ids.insert(id.clone()) {
                return Err(self.err(p.at, format!("two {what}s are named {id:?}")));
            }
            self.known_fields(&p, &[&allowed], what)?;
            let t = p.get("type");
            if let Some((bad, why)) = t.and_then(|t| types::problem(t, &self.names)) {
                return Err(self.err(bad.at, format!("{id}: {why}")));
            }
            let stream = t.and_then(Node::str);
            let tool = class == "CommandLineTool";
            let misplaced = match stream {
                Some("stdout" | "stderr") => !tool || input,
                Some("stdin") => !(tool && input),
                _ => false,
            };
            if let (true, Some(t)) = (misplaced, t) {
                return Err(self.err(
                    t.at,
                    format!(
                        "{id}: {} is a type of a tool's {} only",
                        stream.unwrap_or_default(),
                        if stream == Some("stdin") {
                            "inputs"
                        } else {
                            "outputs"
                        }
                    ),
                ));
            }
            out.push(Parameter {
                id,
                kind: t.map(types::render),
                label: p.get_str("label").map(str::to_owned),
                doc: p.get("doc").and_then(doc_text),
                default: p.get("default").map(|d| d.to_json().to_string()),
                format: p
                    .get("format")
                    .and_then(|f| joined(f, " "))
                    .map(|f| expand_prefixes(&f, namespaces)),
                optional: t.is_some_and(types::optional),
            });
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn step(
        &mut self,
        p: &Proc,
        id: &str,
        s: &Node,
        input_ids: &[String],
        outs: &[(String, Vec<String>)],
        proc_id: Option<&str>,
    ) -> Result<(Step, BTreeSet<String>), ArtefactError> {
        let v12 = p.version == "v1.2";
        let mut allowed = vec![
            "id",
            "label",
            "doc",
            "in",
            "out",
            "requirements",
            "hints",
            "run",
            "scatter",
            "scatterMethod",
        ];
        if v12 {
            allowed.push("when");
        }
        self.known_fields(s, &[&allowed], "workflow step")?;
        self.requirements(s, &p.version)?;
        let ins = s
            .get("in")
            .ok_or_else(|| self.err(s.at, format!("step {id} needs in")))?;
        let in_nodes = step_inputs(ins)
            .ok_or_else(|| self.err(ins.at, "a step's in must be a list or a mapping by id"))?;
        let mut in_allowed = vec!["id", "source", "linkMerge", "default", "valueFrom"];
        if p.version != "v1.0" {
            in_allowed.extend(["loadContents", "loadListing", "label"]);
        }
        if v12 {
            in_allowed.push("pickValue");
        }
        let mut in_ids = Vec::new();
        for (in_id, i) in &in_nodes {
            self.known_fields(i, &[&in_allowed], "step input")?;
            if let Some(src) = i.get("source") {
                for (sname, at) in sources(src) {
                    if !resolves(&sname, input_ids, outs, proc_id) {
                        return Err(self.err(
                            at,
                            format!("step {id}: source {sname:?} names no input of the workflow and no output of one of its steps"),
                        ));
                    }
                }
            }
            in_ids.push(in_id.clone());
        }
        let scatter: Vec<String> = match s.get("scatter") {
            None => Vec::new(),
            Some(n) => match &n.value {
                Value::Str(v) => vec![last(v).to_owned()],
                Value::Seq(items) => items
                    .iter()
                    .map(|i| {
                        i.str()
                            .map(|v| last(v).to_owned())
                            .ok_or_else(|| self.err(i.at, "scatter names inputs"))
                    })
                    .collect::<Result<_, _>>()?,
                _ => return Err(self.err(n.at, "scatter names inputs")),
            },
        };
        for name in &scatter {
            if !in_ids.contains(name) {
                return Err(self.err(
                    s.get("scatter").map_or(s.at, |n| n.at),
                    format!("step {id}: scatter names {name:?}, which is not one of its inputs"),
                ));
            }
        }
        let scatter_method = s.get_str("scatterMethod").map(str::to_owned);
        if let Some(m) = &scatter_method
            && !["dotproduct", "nested_crossproduct", "flat_crossproduct"].contains(&m.as_str())
        {
            return Err(self.err(
                s.get("scatterMethod").map_or(s.at, |n| n.at),
                format!("{m:?} is not a scatter method"),
            ));
        }
        let run = s
            .get("run")
            .ok_or_else(|| self.err(s.at, format!("step {id} needs run")))?;
        let (run_ref, target) = match &run.value {
            Value::Str(r) => {
                let (loc, fragment) = self.loader.resolve(&p.loc, r, run.at)?;
                let root = if loc == p.loc {
                    p.root.clone()
                } else {
                    self.depth += 1;
                    let d = self.loader.document(&loc, run.at, self.depth);
                    self.depth -= 1;
                    d?
                };
                let picked =
                    self.pick(&root, &loc, fragment.as_deref(), Some(&p.version), run.at)?;
                let target = picked.ok_or_else(|| {
                    self.err(
                        run.at,
                        format!("{r:?} holds several processes and no #main"),
                    )
                })?;
                let shown = match (loc == p.loc, fragment) {
                    (true, Some(f)) => format!("#{}", f.trim_start_matches('#')),
                    (_, f) => {
                        let name = self.loader.name(&loc);
                        match f {
                            Some(f) => format!("{name}#{f}"),
                            None => name,
                        }
                    }
                };
                (shown, target)
            }
            Value::Map(_) => (
                "inline".to_owned(),
                Proc {
                    loc: p.loc.clone(),
                    node: run.clone(),
                    version: run
                        .get_str("cwlVersion")
                        .map_or_else(|| p.version.clone(), str::to_owned),
                    root: p.root.clone(),
                },
            ),
            _ => return Err(self.err(run.at, "run is a file name or a process")),
        };
        let key = (
            target.loc.clone(),
            format!(
                "{}@{}:{}",
                target.node.get_str("id").unwrap_or(""),
                target.node.at.line,
                target.node.at.column
            ),
        );
        let (runs, images) = match self.seen.get(&key) {
            Some(known) => known.clone(),
            None => {
                // Marked before it is checked, so that a process that runs itself ends here.
                let own = (
                    target.node.get_str("class").unwrap_or("").to_owned(),
                    images_of(&target.node),
                );
                self.seen.insert(key.clone(), own);
                if self.depth >= 64 {
                    return Err(self.err(run.at, "steps nest too deep (a cycle?)"));
                }
                self.depth += 1;
                let checked = self.check(&target);
                self.depth -= 1;
                let checked = checked?;
                let found = (checked.class, checked.images);
                self.seen.insert(key, found.clone());
                found
            }
        };
        if let Some(when) = s.get("when")
            && when.str().is_none()
        {
            return Err(self.err(when.at, "when is an expression"));
        }
        Ok((
            Step {
                id: id.to_owned(),
                run: Some(run_ref),
                runs: Some(runs),
                scatter,
                scatter_method,
                when: s.get_str("when").map(str::to_owned),
            },
            images,
        ))
    }

    /// Several sources into one sink merge into a list (`merge_nested`, `merge_flattened`)
    /// unless `pickValue` picks one: a sink of a single, non-list type cannot take that list.
    fn multiple_sources(
        &self,
        sink: &Node,
        field: &str,
        sink_type: Option<&Node>,
    ) -> Result<(), ArtefactError> {
        let Some(src) = sink.get(field) else {
            return Ok(());
        };
        let n = sources(src).len();
        let picks_one = matches!(
            sink.get_str("pickValue"),
            Some("first_non_null" | "the_only_non_null")
        );
        let listing = n > 1 || (sink.get_str("pickValue") == Some("all_non_null"));
        if !listing || picks_one && n > 1 {
            return Ok(());
        }
        let Some(t) = sink_type else {
            return Ok(());
        };
        let single = match &t.value {
            Value::Str(s) => !s.contains("[]") && !s.starts_with("Any"),
            _ => false,
        };
        if single {
            return Err(self.err(
                sink.get(field).map_or(sink.at, |n| n.at),
                format!(
                    "{} sources merge into a list, which a sink of type {:?} cannot take (pickValue first_non_null or the_only_non_null picks one)",
                    n,
                    types::render(t)
                ),
            ));
        }
        Ok(())
    }
}

/// The last part of an id (`#main/step/out` → `out`).
fn last(id: &str) -> &str {
    let id = id.trim_start_matches('#');
    id.rsplit_once('/').map_or(id, |(_, l)| l)
}

/// Doc text: a string, or a list of strings joined by newlines.
pub(super) fn doc_text(n: &Node) -> Option<String> {
    joined(n, "\n")
}

/// A string, or a list of strings joined by `sep`.
fn joined(n: &Node, sep: &str) -> Option<String> {
    match &n.value {
        Value::Str(s) => Some(s.clone()),
        Value::Seq(items) => Some(
            items
                .iter()
                .filter_map(Node::str)
                .collect::<Vec<_>>()
                .join(sep),
        ),
        _ => None,
    }
}

/// `edam:format_2572` → `http://edamontology.org/format_2572` when `$namespaces` binds `edam`
/// (each of several space-separated formats; an expression or full IRI stays as it is).
fn expand_prefixes(formats: &str, namespaces: &[(String, String)]) -> String {
    formats
        .split(' ')
        .map(|f| match f.split_once(':') {
            Some((prefix, local)) if !local.starts_with("//") => namespaces
                .iter()
                .find(|(p, _)| p == prefix)
                .map_or_else(|| f.to_owned(), |(_, iri)| format!("{iri}{local}")),
            _ => f.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The prefixes a document's `$namespaces` binds.
pub(super) fn namespaces_of(root: &Node) -> Vec<(String, String)> {
    root.get("$namespaces")
        .and_then(Node::map)
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, v)| v.str().map(|iri| (k.clone(), iri.to_owned())))
        .collect()
}

/// The sources a `source`/`outputSource` names, with where.
fn sources(n: &Node) -> Vec<(String, Pos)> {
    match &n.value {
        Value::Str(s) => vec![(s.clone(), n.at)],
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| i.str().map(|s| (s.to_owned(), i.at)))
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether a source names a workflow input or a step's output (`inp`, `step/out`, with or
/// without `#` and the workflow's own id in front).
fn resolves(
    source: &str,
    inputs: &[String],
    outs: &[(String, Vec<String>)],
    proc_id: Option<&str>,
) -> bool {
    let s = source.trim_start_matches('#');
    let parts: Vec<&str> = s.split('/').collect();
    let own = |p: &str| proc_id == Some(p) || p == "main";
    let input = |p: &str| inputs.iter().any(|i| i == p);
    let output = |step: &str, out: &str| {
        outs.iter()
            .any(|(st, os)| st == step && os.iter().any(|o| o == out))
    };
    match parts.as_slice() {
        [i] => input(i),
        [a, b] => output(a, b) || (own(a) && input(b)),
        [w, a, b] => own(w) && output(a, b),
        _ => false,
    }
}

/// Parameters in list or map form as (id, node); map values that are types become
/// `{type: …}`.
fn parameter_nodes(list: Option<&Node>) -> Option<Vec<(String, Node)>> {
    by_id(list?, "type")
}

/// Steps in list or map form as (id, node).
fn entries(
    list: &Node,
    what: &str,
    bad: impl Fn(&str, Pos) -> ArtefactError,
) -> Result<Vec<(String, Node)>, ArtefactError> {
    match &list.value {
        Value::Seq(items) => items
            .iter()
            .map(|i| match (&i.value, i.get_str("id")) {
                (Value::Map(_), Some(id)) => Ok((last(id).to_owned(), i.clone())),
                _ => Err(bad(&format!("#{what}"), i.at)),
            })
            .collect(),
        Value::Map(m) => m
            .iter()
            .map(|(k, v)| match &v.value {
                Value::Map(_) => Ok((last(k).to_owned(), v.clone())),
                _ => Err(bad(k, v.at)),
            })
            .collect(),
        _ => Err(bad(what, list.at)),
    }
}

/// A step's inputs in list or map form; a map value that is a string or list is its source.
fn step_inputs(list: &Node) -> Option<Vec<(String, Node)>> {
    by_id(list, "source")
}

/// Entries in list form (mappings with an `id`) or map form (by id) as (id, node); in map
/// form a value that is not a mapping is the short form of the field `short`.
fn by_id(list: &Node, short: &str) -> Option<Vec<(String, Node)>> {
    match &list.value {
        Value::Seq(items) => items
            .iter()
            .map(|i| match &i.value {
                Value::Map(_) => Some((last(i.get_str("id")?).to_owned(), i.clone())),
                _ => None,
            })
            .collect(),
        Value::Map(m) => Some(
            m.iter()
                .map(|(k, v)| {
                    let node = match &v.value {
                        Value::Map(_) => v.clone(),
                        Value::Null => Node::like(Value::Map(Vec::new()), v),
                        _ => Node::like(Value::Map(vec![(short.to_owned(), v.clone())]), v),
                    };
                    (last(k).to_owned(), node)
                })
                .collect(),
        ),
        Value::Null => Some(Vec::new()),
        _ => None,
    }
}

/// Requirements in list form (`- class: X`) or map form (`X: {…}`) as (class, node, where).
fn requirement_entries(list: &Node) -> Result<Vec<(String, Node, Pos)>, Pos> {
    match &list.value {
        Value::Seq(items) => items
            .iter()
            .map(|i| match i.get_str("class") {
                Some(c) => Ok((c.to_owned(), i.clone(), i.at)),
                None => Err(i.at),
            })
            .collect(),
        Value::Map(m) => Ok(m
            .iter()
            .map(|(k, v)| (k.clone(), v.clone(), v.at))
            .collect()),
        Value::Null => Ok(Vec::new()),
        _ => Err(list.at),
    }
}

/// The container images a process's own `DockerRequirement` (requirement or hint) names.
fn images_of(node: &Node) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for field in ["requirements", "hints"] {
        let Some(list) = node.get(field) else {
            continue;
        };
        for (class, r, _) in requirement_entries(list).unwrap_or_default() {
            if class == "DockerRequirement"
                && let Some(image) = r
                    .get_str("dockerPull")
                    .or_else(|| r.get_str("dockerImageId"))
            {
                out.insert(image.to_owned());
            }
        }
    }
    out
}
