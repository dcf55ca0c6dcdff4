//! The execution plan: which nodes are chained into which task, and which
//! channels connect tasks. Pure data computed from a validated spec, so the
//! decisions are easy to test.
//!
//! Chaining rule (as in Flink): node `b` runs in the same task as `a` when
//! the edge `a → b` is `forward`, is `a`'s only outgoing edge and `b`'s only
//! input. A task is therefore a linear chain; only its last node has edges to
//! other tasks.

use weir_spec::{JobSpec, KeyBy, Partitioning};

/// One task: a chain of nodes run by each of `parallelism` subtasks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskPlan {
    /// Node ids, head first.
    pub chain: Vec<String>,
    /// Subtasks.
    pub parallelism: u32,
    /// Edges feeding the head, in inbox channel order.
    pub inputs: Vec<InputPlan>,
    /// Edges leaving the tail.
    pub outputs: Vec<OutputPlan>,
}

/// An edge into a task: occupies `producer_parallelism` channels of each
/// consumer subtask's inbox, starting at `first_channel`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputPlan {
    /// The producing task.
    pub from_task: usize,
    /// Producer parallelism.
    pub producer_parallelism: u32,
    /// First inbox channel of this edge.
    pub first_channel: u32,
}

/// An edge out of a task's tail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputPlan {
    /// The consuming task.
    pub to_task: usize,
    /// Index of this edge among the consumer's inputs.
    pub input_index: usize,
    /// Which output of the tail: `None` is the main output.
    pub side_output: Option<String>,
    /// How records are spread.
    pub partitioning: Partitioning,
    /// For keyed edges, how the key is taken.
    pub key_by: Option<KeyBy>,
    /// Consumer parallelism.
    pub consumer_parallelism: u32,
}

/// The whole job as tasks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutionPlan {
    /// Tasks in topological order.
    pub tasks: Vec<TaskPlan>,
}

impl ExecutionPlan {
    /// Plans a validated spec.
    pub fn new(spec: &JobSpec) -> ExecutionPlan {
        let order = spec.topological_order();
        let outs = |id: &str| spec.edges.iter().filter(|e| e.from == id).count();
        let ins = |id: &str| spec.edges.iter().filter(|e| e.to == id).count();
        let parallelism = |id: &str| match spec.node(id) {
            Some(weir_spec::NodeRef::Source(s)) => s.parallelism,
            Some(weir_spec::NodeRef::Operator(o)) => o.parallelism,
            Some(weir_spec::NodeRef::Sink(s)) => s.parallelism,
            None => 1,
        };
        // Chain: follow single forward edges from each node not chained into
        // its predecessor.
        let chained_into_prev = |id: &str| {
            spec.edges.iter().any(|e| {
                e.to == id
                    && ins(id) == 1
                    && outs(&e.from) == 1
                    && e.output.is_none()
                    && spec.partitioning(e) == Partitioning::Forward
                    && parallelism(&e.from) == parallelism(id)
            })
        };
        let mut tasks: Vec<TaskPlan> = Vec::new();
        let mut task_of = std::collections::HashMap::new();
        for id in order.iter().copied() {
            if chained_into_prev(id) {
                continue;
            }
            let mut chain = vec![id.to_owned()];
            let mut tail = id;
            loop {
                let next = spec
                    .edges
                    .iter()
                    .find(|e| e.from == tail)
                    .map(|e| e.to.as_str());
                match next {
                    Some(n) if outs(tail) == 1 && chained_into_prev(n) => {
                        chain.push(n.to_owned());
                        tail = n;
                    }
                    _ => break,
                }
            }
            for n in &chain {
                task_of.insert(n.clone(), tasks.len());
            }
            tasks.push(TaskPlan {
                chain,
                parallelism: parallelism(id),
                inputs: Vec::new(),
                outputs: Vec::new(),
            });
        }
        // Wire edges between tasks: producer tails to consumer heads.
        for e in &spec.edges {
            let (from, to) = (task_of[&e.from], task_of[&e.to]);
            if from == to {
                continue;
            }
            let consumer = &mut tasks[to];
            let first_channel = consumer.inputs.iter().map(|i| i.producer_parallelism).sum();
            let input_index = consumer.inputs.len();
            consumer.inputs.push(InputPlan {
                from_task: from,
                producer_parallelism: parallelism(&e.from),
                first_channel,
            });
            let partitioning = spec.partitioning(e);
            let key_by = match spec.node(&e.to) {
                Some(weir_spec::NodeRef::Operator(o)) if partitioning == Partitioning::Keyed => {
                    o.key_by.clone()
                }
                _ => None,
            };
            tasks[from].outputs.push(OutputPlan {
                to_task: to,
                input_index,
                side_output: e.output.clone(),
                partitioning,
                key_by,
                consumer_parallelism: parallelism(&e.to),
            });
        }
        ExecutionPlan { tasks }
    }

    /// Total inbox channels of each subtask of `task`.
    pub fn inbox_channels(&self, task: usize) -> u32 {
        self.tasks[task]
            .inputs
            .iter()
            .map(|i| i.producer_parallelism)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(yaml: &str) -> ExecutionPlan {
        let spec = JobSpec::from_yaml_str(yaml, std::path::Path::new("test.yaml")).unwrap();
        ExecutionPlan::new(&spec)
    }

    const HEAD: &str = "name: t\nsources:\n  - { id: src, type: generator, count: 10 }\n";

    #[test]
    fn forward_chain_is_one_task() {
        let p = plan(&format!(
            "{HEAD}operators:\n  - {{ id: a, module: a.wasm }}\n  - {{ id: b, module: b.wasm }}\nsinks:\n  - {{ id: out, type: stdout }}\nedges:\n  - {{ from: src, to: a }}\n  - {{ from: a, to: b }}\n  - {{ from: b, to: out }}\n"
        ));
        assert_eq!(p.tasks.len(), 1);
        assert_eq!(p.tasks[0].chain, ["src", "a", "b", "out"]);
    }

    #[test]
    fn keyed_edge_breaks_the_chain() {
        let p = plan(&format!(
            "{HEAD}operators:\n  - {{ id: a, module: a.wasm, parallelism: 2, key_by: record }}\nsinks:\n  - {{ id: out, type: stdout, parallelism: 2 }}\nedges:\n  - {{ from: src, to: a }}\n  - {{ from: a, to: out }}\n"
        ));
        assert_eq!(p.tasks.len(), 2);
        assert_eq!(p.tasks[0].chain, ["src"]);
        assert_eq!(p.tasks[1].chain, ["a", "out"]);
        assert_eq!(p.tasks[0].outputs[0].partitioning, Partitioning::Keyed);
        assert_eq!(p.tasks[0].outputs[0].key_by, Some(KeyBy::Record));
        assert_eq!(p.tasks[1].inputs[0].producer_parallelism, 1);
        assert_eq!(p.inbox_channels(1), 1);
    }

    #[test]
    fn fan_out_and_side_outputs_use_channels() {
        let p = plan(&format!(
            "{HEAD}operators:\n  - {{ id: a, module: a.wasm }}\nsinks:\n  - {{ id: main, type: stdout }}\n  - {{ id: late, type: stdout }}\nedges:\n  - {{ from: src, to: a }}\n  - {{ from: a, to: main }}\n  - {{ from: a, to: late, output: late }}\n"
        ));
        assert_eq!(p.tasks.len(), 3);
        assert_eq!(p.tasks[0].chain, ["src", "a"]);
        let sides: Vec<_> = p.tasks[0]
            .outputs
            .iter()
            .map(|o| o.side_output.clone())
            .collect();
        assert_eq!(sides, [None, Some("late".to_owned())]);
    }

    #[test]
    fn two_inputs_get_distinct_channel_ranges() {
        let p = plan(
            "name: t\nsources:\n  - { id: s1, type: generator, count: 1, parallelism: 2 }\n  - { id: s2, type: generator, count: 1, parallelism: 3 }\nsinks:\n  - { id: out, type: stdout }\nedges:\n  - { from: s1, to: out }\n  - { from: s2, to: out }\n",
        );
        let out = p.tasks.iter().position(|t| t.chain == ["out"]).unwrap();
        let firsts: Vec<_> = p.tasks[out]
            .inputs
            .iter()
            .map(|i| i.first_channel)
            .collect();
        assert_eq!(firsts, [0, 2]);
        assert_eq!(p.inbox_channels(out), 5);
    }
}
