use super::*;

/// A valid job: gen(2) -> parse(2) -> count(4, keyed) -> out, parse -late-> dead.
const VALID: &str = "
name: test
max_parallelism: 8
sources:
  - id: gen
    type: generator
    parallelism: 2
operators:
  - id: parse
    module: parse.wasm
    parallelism: 2
  - id: count
    module: count.wasm
    parallelism: 4
    key_by: record
sinks:
  - id: out
    type: stdout
  - id: dead
    type: stdout
edges:
  - { from: gen, to: parse }
  - { from: parse, to: count }
  - { from: count, to: out }
  - { from: parse, to: dead, output: late }
";

fn spec(yaml: &str) -> JobSpec {
    serde_yaml::from_str(yaml).expect("test YAML parses")
}

/// The problems of VALID after `edit`, as `path: message` lines.
fn problems_after(edit: impl FnOnce(&mut JobSpec)) -> Vec<String> {
    let mut spec = spec(VALID);
    edit(&mut spec);
    problems(&spec).iter().map(|p| p.to_string()).collect()
}

fn assert_one(problems: &[String], expected: &str) {
    assert!(
        problems.len() == 1 && problems[0].contains(expected),
        "expected one problem containing {expected:?}, got {problems:#?}"
    );
}

fn edge(from: &str, to: &str) -> EdgeSpec {
    EdgeSpec {
        from: from.into(),
        to: to.into(),
        output: None,
        partition: None,
    }
}

#[test]
fn the_valid_job_has_no_problems() {
    assert_eq!(problems_after(|_| {}), Vec::<String>::new());
    assert!(spec(VALID).validate().is_ok());
}

#[test]
fn name_must_not_be_blank() {
    assert_one(
        &problems_after(|s| s.name = " ".into()),
        "name: must not be empty",
    );
}

#[test]
fn max_parallelism_is_between_1_and_32768() {
    assert_one(
        &problems_after(|s| s.max_parallelism = 0),
        "max_parallelism: is 0, must be between 1 and 32768",
    );
    let p = problems_after(|s| s.max_parallelism = 32_769);
    assert_one(&p, "max_parallelism: is 32769");
    assert!(problems_after(|s| s.max_parallelism = 32_768).is_empty());
}

#[test]
fn batch_size_is_between_1_and_a_million() {
    assert_one(&problems_after(|s| s.batch_size = 0), "batch_size: is 0");
    assert_one(
        &problems_after(|s| s.batch_size = 1_000_001),
        "batch_size: is 1000001",
    );
    assert!(problems_after(|s| s.batch_size = 1_000_000).is_empty());
}

#[test]
fn a_job_needs_sources_and_sinks() {
    let p = problems_after(|s| {
        s.sources.clear();
        s.sinks.clear();
    });
    assert!(
        p.contains(&"sources: a job needs at least one source".to_owned()),
        "{p:#?}"
    );
    assert!(
        p.contains(&"sinks: a job needs at least one sink".to_owned()),
        "{p:#?}"
    );
}

#[test]
fn ids_are_non_empty_and_plain() {
    let p = problems_after(|s| s.sinks[1].id = String::new());
    assert!(
        p.contains(&"sinks[1].id: must not be empty".to_owned()),
        "{p:#?}"
    );
    let p = problems_after(|s| s.sinks[1].id = "dead letters".into());
    assert!(
        p.contains(
            &"sinks[1].id: `dead letters` may only contain letters, digits, `_` and `-`".to_owned()
        ),
        "{p:#?}"
    );
}

#[test]
fn ids_are_unique_across_roles() {
    let p = problems_after(|s| s.sinks[0].id = "parse".into());
    assert!(
        p.contains(&"sinks[0].id: `parse` is already the id of operators[0]".to_owned()),
        "{p:#?}"
    );
}

#[test]
fn parallelism_is_between_1_and_max_parallelism() {
    assert_one(
        &problems_after(|s| s.sinks[0].parallelism = 0),
        "sinks[0].parallelism: must be at least 1",
    );
    // Raising count past 8 also breaks nothing else: its inputs are keyed.
    assert_one(
        &problems_after(|s| s.operators[1].parallelism = 9),
        "operators[1].parallelism: is 9, more than max_parallelism (8)",
    );
}

#[test]
fn parallelism_is_not_compared_with_an_invalid_max() {
    assert_one(
        &problems_after(|s| s.max_parallelism = 0),
        "max_parallelism",
    );
}

#[test]
fn file_source_fields_need_json() {
    let yaml = VALID.replace(
        "    type: generator\n",
        "    type: file\n    path: in.txt\n    key_field: account\n    timestamp_field: ts\n",
    );
    let p: Vec<String> = problems(&spec(&yaml))
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert_eq!(
        p,
        [
            "sources[0].key_field: is only allowed with `format: json`",
            "sources[0].timestamp_field: is only allowed with `format: json`",
        ]
    );
    let json = yaml.replace("    path: in.txt\n", "    path: in.txt\n    format: json\n");
    assert!(problems(&spec(&json)).is_empty());
}

#[test]
fn generator_needs_a_key() {
    let yaml = VALID.replace(
        "    type: generator\n",
        "    type: generator\n    keys: 0\n",
    );
    assert_one(
        &problems(&spec(&yaml))
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>(),
        "sources[0].keys: must be at least 1",
    );
}

#[test]
fn limits_are_positive() {
    let p = problems_after(|s| {
        let limits = &mut s.operators[0].limits;
        limits.memory_mb = 0;
        limits.call_timeout_ms = 0;
        limits.max_output_bytes = 0;
    });
    assert_eq!(p.len(), 3, "{p:#?}");
    assert!(p[0].starts_with("operators[0].limits.memory_mb: is 0"));
    assert!(p[1].starts_with("operators[0].limits.call_timeout_ms: must be greater than 0"));
    assert!(p[2].starts_with("operators[0].limits.max_output_bytes: must be greater than 0"));
    assert_one(
        &problems_after(|s| s.operators[0].limits.memory_mb = 4097),
        "operators[0].limits.memory_mb: is 4097, must be between 1 and 4096",
    );
}

#[test]
fn idle_timeout_is_positive_when_set() {
    assert_one(
        &problems_after(|s| s.sources[0].watermark.idle_timeout_ms = Some(0)),
        "sources[0].watermark.idle_timeout_ms: must be greater than 0",
    );
}

#[test]
fn module_and_key_field_must_not_be_empty() {
    let p = problems_after(|s| {
        s.operators[0].module = String::new();
        s.operators[1].key_by = Some(KeyBy::Field(String::new()));
    });
    assert_eq!(
        p,
        [
            "operators[0].module: must not be empty",
            "operators[1].key_by.field: must not be empty",
        ]
    );
}

#[test]
fn edges_name_existing_nodes() {
    let p = problems_after(|s| s.edges.push(edge("nope", "nada")));
    assert_eq!(
        p,
        [
            "edges[4].from: no source or operator has id `nope`",
            "edges[4].to: no operator or sink has id `nada`",
        ]
    );
}

#[test]
fn edges_go_from_sources_or_operators_to_operators_or_sinks() {
    let p = problems_after(|s| s.edges.push(edge("out", "gen")));
    assert_eq!(
        p,
        [
            "edges[4].from: `out` is a sink; an edge starts at a source or operator",
            "edges[4].to: `gen` is a source; an edge ends at an operator or sink",
        ]
    );
}

#[test]
fn only_operators_have_side_outputs() {
    let p = problems_after(|s| s.edges[0].output = Some("late".into()));
    assert_one(
        &p,
        "edges[0].output: `gen` is a source; only operators have side outputs",
    );
}

#[test]
fn a_repeated_edge_is_an_error() {
    let p = problems_after(|s| s.edges.push(edge("count", "out")));
    assert_one(&p, "edges[4]: repeats edges[2]");
    // The same pair through a side output is a different edge.
    let p = problems_after(|s| {
        s.edges.push(EdgeSpec {
            output: Some("errors".into()),
            ..edge("count", "out")
        })
    });
    assert!(p.is_empty(), "{p:#?}");
}

#[test]
fn cycles_are_reported_with_their_path() {
    let p = problems_after(|s| s.edges.push(edge("count", "parse")));
    assert_one(&p, "edges[1]: closes a cycle: parse -> count -> parse");
}

#[test]
fn a_self_loop_is_a_cycle() {
    let p = problems_after(|s| s.edges.push(edge("parse", "parse")));
    assert_one(&p, "edges[4]: closes a cycle: parse -> parse");
}

#[test]
fn two_separate_cycles_are_both_reported() {
    let p = problems_after(|s| {
        s.edges.push(edge("parse", "parse"));
        s.edges.push(edge("count", "count"));
    });
    assert_eq!(
        p,
        [
            "edges[4]: closes a cycle: parse -> parse",
            "edges[5]: closes a cycle: count -> count",
        ]
    );
}

#[test]
fn every_node_is_connected() {
    let p = problems_after(|s| s.edges.retain(|e| e.to != "dead"));
    assert_one(
        &p,
        "sinks[1]: sink `dead` has no input; add an edge with `to: dead`",
    );
    let p = problems_after(|s| s.edges.retain(|e| e.from != "count"));
    assert_eq!(
        p,
        [
            "operators[1]: operator `count` has no output; add an edge with `from: count`",
            "sinks[0]: sink `out` has no input; add an edge with `to: out`",
        ]
    );
}

#[test]
fn forward_needs_equal_parallelism() {
    let p = problems_after(|s| s.edges[2].partition = Some(Partitioning::Forward));
    assert_one(
        &p,
        "edges[2].partition: `forward` needs equal parallelism, but `count` has 4 and `out` has 1",
    );
    let p = problems_after(|s| s.edges[0].partition = Some(Partitioning::Forward));
    assert!(p.is_empty(), "{p:#?}");
}

#[test]
fn keyed_needs_an_operator_with_key_by() {
    let p = problems_after(|s| s.edges[0].partition = Some(Partitioning::Keyed));
    assert_one(
        &p,
        "edges[0].partition: `keyed` needs an operator with `key_by`, but `parse` has no `key_by`",
    );
    let p = problems_after(|s| s.edges[2].partition = Some(Partitioning::Keyed));
    assert_one(&p, "but `out` is a sink");
    let p = problems_after(|s| s.edges[1].partition = Some(Partitioning::Keyed));
    assert!(p.is_empty(), "{p:#?}");
}

#[test]
fn inputs_of_a_key_by_operator_are_keyed() {
    let p = problems_after(|s| s.edges[1].partition = Some(Partitioning::Rebalance));
    assert_one(
        &p,
        "edges[1].partition: is `rebalance`, but `count` has `key_by`, so its inputs must be `keyed`",
    );
}

#[test]
fn all_problems_are_collected() {
    let p = problems_after(|s| {
        s.name.clear();
        s.batch_size = 0;
        s.sinks[0].parallelism = 0;
        s.edges.push(edge("nope", "out"));
    });
    assert_eq!(p.len(), 4, "{p:#?}");
}
