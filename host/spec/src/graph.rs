//! The job as a graph: nodes by id, their edges, the order to start them in,
//! and how each edge partitions.

use std::collections::{BTreeSet, HashMap, VecDeque};

use crate::model::{EdgeSpec, JobSpec, KeyBy, OperatorSpec, Partitioning, SinkSpec, SourceSpec};

/// A source, operator or sink of a [`JobSpec`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NodeRef<'a> {
    /// A source.
    Source(&'a SourceSpec),
    /// A Wasm operator.
    Operator(&'a OperatorSpec),
    /// A sink.
    Sink(&'a SinkSpec),
}

impl<'a> NodeRef<'a> {
    /// The node's id.
    pub fn id(&self) -> &'a str {
        match self {
            NodeRef::Source(s) => &s.id,
            NodeRef::Operator(o) => &o.id,
            NodeRef::Sink(s) => &s.id,
        }
    }

    /// The node's number of parallel subtasks.
    pub fn parallelism(&self) -> u32 {
        match self {
            NodeRef::Source(s) => s.parallelism,
            NodeRef::Operator(o) => o.parallelism,
            NodeRef::Sink(s) => s.parallelism,
        }
    }

    /// `"source"`, `"operator"` or `"sink"`.
    pub fn role(&self) -> &'static str {
        match self {
            NodeRef::Source(_) => "source",
            NodeRef::Operator(_) => "operator",
            NodeRef::Sink(_) => "sink",
        }
    }

    /// How the node keys its input: only operators can.
    pub fn key_by(&self) -> Option<&'a KeyBy> {
        match self {
            NodeRef::Operator(o) => o.key_by.as_ref(),
            _ => None,
        }
    }
}

impl JobSpec {
    /// Every node: sources, then operators, then sinks, each in spec order.
    pub fn nodes(&self) -> impl Iterator<Item = NodeRef<'_>> {
        let sources = self.sources.iter().map(NodeRef::Source);
        let operators = self.operators.iter().map(NodeRef::Operator);
        let sinks = self.sinks.iter().map(NodeRef::Sink);
        sources.chain(operators).chain(sinks)
    }

    /// The node with this id (the first, if a spec that failed validation
    /// repeats it).
    pub fn node(&self, id: &str) -> Option<NodeRef<'_>> {
        self.nodes().find(|node| node.id() == id)
    }

    /// The edges into `id`, in spec order.
    pub fn inputs_of(&self, id: &str) -> Vec<&EdgeSpec> {
        self.edges.iter().filter(|edge| edge.to == id).collect()
    }

    /// The edges out of `id` (main and side outputs), in spec order.
    pub fn outputs_of(&self, id: &str) -> Vec<&EdgeSpec> {
        self.edges.iter().filter(|edge| edge.from == id).collect()
    }

    /// The side outputs of operator `id` that some edge reads: the names the
    /// guest may pass to `emit-side`.
    pub fn side_outputs(&self, id: &str) -> BTreeSet<&str> {
        self.outputs_of(id)
            .into_iter()
            .filter_map(|edge| edge.output.as_deref())
            .collect()
    }

    /// How `edge` spreads records over its consumer's subtasks: the
    /// `partition:` it gives, else `keyed` into an operator with `key_by`,
    /// else `forward` when both ends have the same parallelism, else
    /// `rebalance`.
    pub fn partitioning(&self, edge: &EdgeSpec) -> Partitioning {
        if let Some(partition) = edge.partition {
            return partition;
        }
        let to = self.node(&edge.to);
        if to.and_then(|node| node.key_by()).is_some() {
            return Partitioning::Keyed;
        }
        let from = self.node(&edge.from);
        match (from, to) {
            (Some(from), Some(to)) if from.parallelism() == to.parallelism() => {
                Partitioning::Forward
            }
            _ => Partitioning::Rebalance,
        }
    }

    /// Whether `edge` starts at a source or operator and ends at an operator
    /// or sink, all known.
    pub(crate) fn is_well_formed(&self, edge: &EdgeSpec) -> bool {
        let from = self.node(&edge.from);
        let to = self.node(&edge.to);
        matches!(from, Some(NodeRef::Source(_) | NodeRef::Operator(_)))
            && matches!(to, Some(NodeRef::Operator(_) | NodeRef::Sink(_)))
    }

    /// Node ids with every node after the nodes that feed it; among nodes
    /// that are ready together, spec order (sources, operators, sinks).
    ///
    /// Only edges from a source or operator to an operator or sink count;
    /// others are ignored. Nodes on a cycle, and those downstream of one, are
    /// left out; a validated spec has no cycle, so there every node is
    /// listed.
    pub fn topological_order(&self) -> Vec<&str> {
        let ids: Vec<&str> = self.nodes().map(|node| node.id()).collect();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, id) in ids.iter().enumerate() {
            index.entry(id).or_insert(i);
        }
        let mut successors: Vec<Vec<usize>> = vec![Vec::new(); ids.len()];
        let mut pending = vec![0usize; ids.len()];
        for edge in self.edges.iter().filter(|e| self.is_well_formed(e)) {
            if let (Some(&from), Some(&to)) =
                (index.get(edge.from.as_str()), index.get(edge.to.as_str()))
            {
                successors[from].push(to);
                pending[to] += 1;
            }
        }
        let mut ready: VecDeque<usize> = (0..ids.len()).filter(|&i| pending[i] == 0).collect();
        let mut order = Vec::with_capacity(ids.len());
        while let Some(node) = ready.pop_front() {
            order.push(ids[node]);
            for &next in &successors[node] {
                pending[next] -= 1;
                if pending[next] == 0 {
                    ready.push_back(next);
                }
            }
        }
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GeneratorSpec, LimitsSpec, SinkKind, SourceKind, StdoutSinkSpec};

    fn source(id: &str, parallelism: u32) -> SourceSpec {
        SourceSpec {
            id: id.into(),
            parallelism,
            kind: SourceKind::Generator(GeneratorSpec {
                count: Some(10),
                keys: 2,
                start_ms: 0,
                value: Default::default(),
                rate_per_sec: None,
            }),
            watermark: Default::default(),
            on_decode_error: Default::default(),
        }
    }

    fn operator(id: &str, parallelism: u32, key_by: Option<KeyBy>) -> OperatorSpec {
        OperatorSpec {
            id: id.into(),
            module: format!("{id}.wasm"),
            parallelism,
            key_by,
            config: None,
            limits: LimitsSpec::default(),
        }
    }

    fn sink(id: &str, parallelism: u32) -> SinkSpec {
        SinkSpec {
            id: id.into(),
            parallelism,
            kind: SinkKind::Stdout(StdoutSinkSpec::default()),
        }
    }

    fn edge(from: &str, to: &str) -> EdgeSpec {
        EdgeSpec {
            from: from.into(),
            to: to.into(),
            output: None,
            partition: None,
        }
    }

    /// gen(2) -> parse(2) -> count(4, keyed) -> out(1), parse -late-> dead(1)
    fn job() -> JobSpec {
        JobSpec {
            name: "test".into(),
            max_parallelism: 128,
            batch_size: 16,
            sources: vec![source("gen", 2)],
            operators: vec![
                operator("count", 4, Some(KeyBy::Record)),
                operator("parse", 2, None),
            ],
            sinks: vec![sink("out", 1), sink("dead", 1)],
            edges: vec![
                edge("count", "out"),
                edge("parse", "count"),
                EdgeSpec {
                    output: Some("late".into()),
                    ..edge("parse", "dead")
                },
                edge("gen", "parse"),
            ],
            state: Default::default(),
            checkpoints: None,
            restart: None,
        }
    }

    #[test]
    fn node_finds_each_role_by_id() {
        let job = job();
        assert!(matches!(job.node("gen"), Some(NodeRef::Source(s)) if s.id == "gen"));
        assert!(matches!(job.node("parse"), Some(NodeRef::Operator(o)) if o.id == "parse"));
        assert!(matches!(job.node("dead"), Some(NodeRef::Sink(s)) if s.id == "dead"));
        assert_eq!(job.node("nope"), None);
        assert_eq!(job.node("count").map(|n| n.parallelism()), Some(4));
    }

    #[test]
    fn inputs_and_outputs_follow_the_edges() {
        let job = job();
        let outputs: Vec<&str> = job
            .outputs_of("parse")
            .iter()
            .map(|e| e.to.as_str())
            .collect();
        assert_eq!(outputs, ["count", "dead"]);
        let inputs: Vec<&str> = job
            .inputs_of("count")
            .iter()
            .map(|e| e.from.as_str())
            .collect();
        assert_eq!(inputs, ["parse"]);
        assert!(job.inputs_of("gen").is_empty());
    }

    #[test]
    fn side_outputs_are_the_named_outputs_with_edges() {
        let mut job = job();
        job.edges.push(EdgeSpec {
            output: Some("errors".into()),
            ..edge("parse", "out")
        });
        job.edges.push(EdgeSpec {
            output: Some("late".into()),
            ..edge("parse", "out")
        });
        let names: Vec<&str> = job.side_outputs("parse").into_iter().collect();
        assert_eq!(names, ["errors", "late"]);
        assert!(job.side_outputs("count").is_empty());
    }

    #[test]
    fn partitioning_defaults_to_keyed_then_forward_then_rebalance() {
        let job = job();
        let find = |from: &str, to: &str| {
            let edge = job
                .edges
                .iter()
                .find(|e| e.from == from && e.to == to)
                .unwrap();
            job.partitioning(edge)
        };
        assert_eq!(find("parse", "count"), Partitioning::Keyed);
        assert_eq!(find("gen", "parse"), Partitioning::Forward);
        assert_eq!(find("count", "out"), Partitioning::Rebalance);
        let explicit = EdgeSpec {
            partition: Some(Partitioning::Broadcast),
            ..edge("gen", "parse")
        };
        assert_eq!(job.partitioning(&explicit), Partitioning::Broadcast);
    }

    #[test]
    fn topological_order_puts_producers_first() {
        assert_eq!(
            job().topological_order(),
            ["gen", "parse", "count", "dead", "out"]
        );
    }

    #[test]
    fn topological_order_leaves_out_cycles_and_what_follows_them() {
        let mut job = job();
        job.edges.push(edge("count", "parse"));
        assert_eq!(job.topological_order(), ["gen"]);
    }
}
