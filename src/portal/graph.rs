//! A pipeline's steps drawn on the server as SVG: its inputs in a row at the top, its steps one
//! under the other in the order they run, its outputs at the bottom, with arrows between. The
//! layout is computed here; the page's template writes the shapes (escaped like any text).

use crate::model::asset::PipelineInfo;

/// Width of the drawing in its own units (it scales to the page).
pub const WIDTH: u32 = 640;
const BOX_H: u32 = 36;
const ROW: u32 = 64;
const GAP: u32 = 12;
const STEP_W: u32 = 280;

/// What a box stands for (styled apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Input,
    Step,
    Output,
}

impl Kind {
    pub fn class(self) -> &'static str {
        match self {
            Kind::Input => "g-in",
            Kind::Step => "g-step",
            Kind::Output => "g-out",
        }
    }
}

/// A labelled box.
#[derive(Debug, Clone)]
pub struct Node {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    /// Centre of the label.
    pub cx: u32,
    pub cy: u32,
    pub label: String,
    pub kind: Kind,
}

/// An arrow from one box's bottom to another's top.
#[derive(Debug, Clone)]
pub struct Edge {
    pub x1: u32,
    pub y1: u32,
    pub x2: u32,
    pub y2: u32,
}

/// The drawing.
#[derive(Debug, Clone)]
pub struct Graph {
    pub width: u32,
    pub height: u32,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// Longest label drawn, in characters (the full names are listed beside the drawing).
const LABEL: usize = 28;

fn label(s: &str, room: u32) -> String {
    let fits = ((room.saturating_sub(12)) / 8).clamp(3, LABEL as u32) as usize;
    super::state::truncate(s, fits)
}

fn row(labels: &[String], y: u32, kind: Kind) -> Vec<Node> {
    let n = labels.len().max(1) as u32;
    let w = ((WIDTH - GAP * (n + 1)) / n).min(STEP_W);
    let total = n * w + (n - 1) * GAP;
    let left = (WIDTH - total) / 2;
    labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let x = left + i as u32 * (w + GAP);
            Node {
                x,
                y,
                w,
                h: BOX_H,
                cx: x + w / 2,
                cy: y + BOX_H / 2 + 5,
                label: label(l, w),
                kind,
            }
        })
        .collect()
}

/// The drawing of a pipeline, or `None` when it has no steps.
pub fn layout(p: &PipelineInfo) -> Option<Graph> {
    if p.steps.is_empty() {
        return None;
    }
    // At most this many boxes in a row; more inputs or outputs are summed up in the last one.
    const MAX_ROW: usize = 6;
    let names = |params: &[crate::model::asset::Parameter]| -> Vec<String> {
        let mut v: Vec<String> = params.iter().map(|p| p.id.clone()).collect();
        if v.len() > MAX_ROW {
            let more = v.len() - (MAX_ROW - 1);
            v.truncate(MAX_ROW - 1);
            v.push(format!("+{more} more"));
        }
        v
    };
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    let mut y = GAP;
    let inputs = row(&names(&p.inputs), y, Kind::Input);
    if !inputs.is_empty() && !p.inputs.is_empty() {
        y += ROW;
    }
    let mut steps = Vec::new();
    for s in &p.steps {
        steps.extend(row(std::slice::from_ref(&s.id), y, Kind::Step));
        y += ROW;
    }
    let outputs = if p.outputs.is_empty() {
        Vec::new()
    } else {
        row(&names(&p.outputs), y, Kind::Output)
    };
    let height = if outputs.is_empty() {
        y - ROW + BOX_H + GAP
    } else {
        y + BOX_H + GAP
    };
    let down = |a: &Node, b: &Node| Edge {
        x1: a.cx,
        y1: a.y + a.h,
        x2: b.cx,
        y2: b.y - 2,
    };
    if let Some(first) = steps.first()
        && !p.inputs.is_empty()
    {
        edges.extend(inputs.iter().map(|i| down(i, first)));
    }
    edges.extend(steps.windows(2).map(|w| down(&w[0], &w[1])));
    if let Some(last) = steps.last() {
        edges.extend(outputs.iter().map(|o| down(last, o)));
    }
    if !p.inputs.is_empty() {
        nodes.extend(inputs);
    }
    nodes.extend(steps);
    nodes.extend(outputs);
    Some(Graph {
        width: WIDTH,
        height,
        nodes,
        edges,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::asset::{Parameter, Step};

    fn param(id: &str) -> Parameter {
        Parameter {
            id: id.into(),
            ..Parameter::default()
        }
    }

    #[test]
    fn inputs_flow_through_the_steps_to_the_outputs() {
        let p = PipelineInfo {
            steps: ["figlet", "figlet", "command"].map(Step::named).to_vec(),
            inputs: vec![param("file"), param("text")],
            outputs: vec![param("output")],
            ..PipelineInfo::default()
        };
        let g = layout(&p).unwrap();
        assert_eq!(g.nodes.len(), 6);
        // two inputs into the first step, two links between steps, one to the output
        assert_eq!(g.edges.len(), 5);
        assert!(
            g.nodes
                .iter()
                .all(|n| n.x + n.w <= g.width && n.y + n.h <= g.height)
        );
        assert!(layout(&PipelineInfo::default()).is_none());
    }

    #[test]
    fn many_inputs_are_summed_up() {
        let p = PipelineInfo {
            steps: vec![Step::named("s")],
            inputs: (0..20).map(|i| param(&format!("in{i}"))).collect(),
            ..PipelineInfo::default()
        };
        let g = layout(&p).unwrap();
        let inputs: Vec<_> = g.nodes.iter().filter(|n| n.kind == Kind::Input).collect();
        assert_eq!(inputs.len(), 6);
        assert_eq!(inputs[5].label, "+15 more");
    }
}
