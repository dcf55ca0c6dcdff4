//! Cycles: found through the nodes that `topological_order` leaves out, and
//! reported as a concrete loop of edges.

use std::collections::HashSet;

use super::Problems;
use crate::model::JobSpec;

/// Reports one cycle of each group of nodes that feed each other, as
/// `a -> b -> a` on its first edge in the spec.
pub(super) fn cycles(spec: &JobSpec, out: &mut Problems) {
    let ordered: HashSet<&str> = spec.topological_order().into_iter().collect();
    let stuck: Vec<&str> = (spec.nodes().map(|n| n.id()))
        .filter(|id| !ordered.contains(id))
        .collect();
    // Well-formed edges between nodes left out of the order, by index.
    let edges: Vec<(usize, &str, &str)> = (spec.edges.iter().enumerate())
        .filter(|(_, e)| spec.is_well_formed(e))
        .map(|(i, e)| (i, e.from.as_str(), e.to.as_str()))
        .filter(|(_, from, to)| !ordered.contains(from) && !ordered.contains(to))
        .collect();
    let mut grouped: HashSet<&str> = HashSet::new();
    for &start in &stuck {
        if grouped.contains(start) {
            continue;
        }
        let downstream = reachable(&edges, start, |&(_, from, to)| (from, to));
        let upstream = reachable(&edges, start, |&(_, from, to)| (to, from));
        let group: HashSet<&str> = downstream.intersection(&upstream).copied().collect();
        grouped.extend(&group);
        let Some(mut cycle) = cycle_in(&edges, start, &group) else {
            continue;
        };
        let first = (0..cycle.len()).min_by_key(|&k| cycle[k].0).unwrap_or(0);
        cycle.rotate_left(first);
        let mut text: Vec<&str> = cycle.iter().map(|&(_, from, _)| from).collect();
        text.push(cycle[0].1);
        out.add(
            format!("edges[{}]", cycle[0].0),
            format!("closes a cycle: {}", text.join(" -> ")),
        );
    }
}

type IndexedEdge<'a> = (usize, &'a str, &'a str);

/// The nodes reachable from `start` (itself included) along `edges`, each
/// oriented by `ends` as (from, to).
fn reachable<'a>(
    edges: &[IndexedEdge<'a>],
    start: &'a str,
    ends: impl Fn(&IndexedEdge<'a>) -> (&'a str, &'a str),
) -> HashSet<&'a str> {
    let mut seen = HashSet::from([start]);
    let mut todo = vec![start];
    while let Some(here) = todo.pop() {
        for (from, to) in edges.iter().map(&ends) {
            if from == here && seen.insert(to) {
                todo.push(to);
            }
        }
    }
    seen
}

/// A cycle through nodes of `group` (nodes that all reach each other), as
/// its edges in order; `None` when the group is one node without a loop.
fn cycle_in<'a>(
    edges: &[IndexedEdge<'a>],
    start: &'a str,
    group: &HashSet<&str>,
) -> Option<Vec<IndexedEdge<'a>>> {
    // Walk back over predecessors until a node repeats. `walk[k + 1]` feeds
    // `walk[k]` through `steps[k]`.
    let mut walk = vec![start];
    let mut steps: Vec<IndexedEdge<'a>> = Vec::new();
    loop {
        let here = *walk.last()?;
        let step = *edges
            .iter()
            .find(|(_, from, to)| *to == here && group.contains(from))?;
        if let Some(at) = walk.iter().position(|id| *id == step.1) {
            let mut cycle = vec![step];
            cycle.extend(steps[at..].iter().rev());
            return Some(cycle);
        }
        walk.push(step.1);
        steps.push(step);
    }
}
