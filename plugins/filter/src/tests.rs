//! The filter through the native harness, as the host runs it.

use serde_json::json;
use weir_sdk::prelude::*;
use weir_sdk::testing::UdfHarness;

use crate::Filter;

fn values(out: Vec<Record>) -> Vec<String> {
    out.into_iter()
        .map(|r| r.value_str().unwrap().to_owned())
        .collect()
}

fn run(config: serde_json::Value, inputs: &[&str]) -> Vec<String> {
    let mut h = UdfHarness::<Filter>::new(config).unwrap();
    let batch = inputs.iter().map(|v| Record::new(*v)).collect();
    values(h.transform_batch(batch).unwrap())
}

#[test]
fn keeps_records_whose_field_satisfies_each_op() {
    let inputs = [
        r#"{"amount": 5, "tags": ["a"], "name": "bob"}"#,
        r#"{"amount": 10.0, "name": "alice"}"#,
        r#"{"amount": 20, "tags": ["b", "a"]}"#,
        r#"{"other": 1}"#,
        r#"[1, 2]"#,
    ];
    let keep = |op: &str, value: serde_json::Value| -> Vec<usize> {
        let out = run(
            json!({"field": "amount", "op": op, "value": value}),
            &inputs,
        );
        out.iter()
            .map(|v| inputs.iter().position(|i| i == v).unwrap())
            .collect()
    };
    assert_eq!(keep("gt", json!(10)), [2]);
    assert_eq!(keep("ge", json!(10)), [1, 2]);
    assert_eq!(keep("lt", json!(10)), [0]);
    assert_eq!(keep("le", json!(10)), [0, 1]);
    assert_eq!(keep("eq", json!(10)), [1]);
    // A missing field satisfies no comparison, `ne` included.
    assert_eq!(keep("ne", json!(10)), [0, 2]);
    // Strings and numbers do not order.
    assert_eq!(keep("gt", json!("1")), Vec::<usize>::new());

    let out = run(
        json!({"field": "tags", "op": "contains", "value": "a"}),
        &inputs,
    );
    assert_eq!(out, [inputs[0], inputs[2]]);
    let out = run(json!({"field": "name", "op": "exists"}), &inputs);
    assert_eq!(out, [inputs[0], inputs[1]]);
    let out = run(json!({"field": "0", "op": "eq", "value": 1}), &inputs);
    assert_eq!(out, [inputs[4]]);
}

#[test]
fn combinators_nest() {
    let inputs = [
        r#"{"a": 1, "b": "x"}"#,
        r#"{"a": 2, "b": "y"}"#,
        r#"{"a": 3, "b": "x"}"#,
        r#"{"a": 4}"#,
    ];
    let config = json!({"any": [
        {"all": [{"field": "a", "op": "ge", "value": 2}, {"field": "b", "op": "eq", "value": "x"}]},
        {"not": {"field": "b", "op": "exists"}}
    ]});
    assert_eq!(run(config, &inputs), [inputs[2], inputs[3]]);
    assert_eq!(run(json!({"all": []}), &inputs).len(), 4);
    assert!(run(json!({"any": []}), &inputs).is_empty());
}

#[test]
fn the_record_passes_unchanged() {
    let mut h = UdfHarness::<Filter>::new(json!({"field": "n", "op": "exists"})).unwrap();
    let r = Record::keyed("k", r#"{ "n" : 1 }"#).with_timestamp(7);
    assert_eq!(h.transform(r.clone()).unwrap(), vec![r]);
}

#[test]
fn non_json_input_fails_by_default_and_is_skipped_on_request() {
    let mut h = UdfHarness::<Filter>::new(json!({"field": "n", "op": "exists"})).unwrap();
    let err = h.transform(Record::new("n=1")).unwrap_err();
    assert!(
        err.to_string().starts_with("bad input: value is not JSON"),
        "{err}"
    );

    let config = json!({"field": "n", "op": "exists", "on_error": "skip"});
    let mut h = UdfHarness::<Filter>::new(config).unwrap();
    let out = h
        .transform_batch(vec![
            Record::new("n=1"),
            Record::new(r#"{"n": 1}"#),
            Record::new(vec![0xff]),
        ])
        .unwrap();
    assert_eq!(values(out), [r#"{"n": 1}"#]);
    assert_eq!(h.udf().skipped(), 2);
    let logs = h.logs();
    assert_eq!(logs.len(), 1, "only the first skip is logged: {logs:?}");
    assert!(format!("{:?}", logs[0]).contains("skipped 1 bad records"));
}

#[test]
fn bad_configs_name_the_field_and_the_problem() {
    let err = |config: serde_json::Value| match UdfHarness::<Filter>::new(config) {
        Err(Error::InvalidConfig(m)) => m,
        Err(e) => panic!("not an invalid config: {e}"),
        Ok(_) => panic!("accepted"),
    };
    assert_eq!(
        err(json!({"field": "a", "op": "between", "value": 1})),
        r#"op: unknown op "between"; expected one of gt, ge, lt, le, eq, ne, exists, contains"#
    );
    assert_eq!(
        err(
            json!({"all": [{"field": "a", "op": "eq", "value": 1}, {"not": {"field": "b", "op": "gt"}}]})
        ),
        "all[1].not.value: missing (`gt` needs one)"
    );
    assert_eq!(
        err(json!({"field": "a", "op": "gt", "value": [1]})),
        "value: ordering ops compare with a number or a string, not [1]"
    );
    assert_eq!(
        err(json!({"field": "a", "op": "exists", "value": 1})),
        "value: `exists` takes no value"
    );
    assert_eq!(
        err(json!({"field": "a", "op": "eq", "value": 1, "vale": 2})),
        "vale: unknown field (expected field, op, value)"
    );
    assert_eq!(
        err(json!({"all": [], "not": {}})),
        "the config: one predicate per object, found all and not"
    );
    assert_eq!(
        err(json!({})),
        "the config: a predicate needs `field` (with `op`), `all`, `any` or `not`"
    );
    assert_eq!(
        err(json!({"any": {"field": "a"}})),
        "any: expected a list of predicates"
    );
    assert_eq!(
        err(json!({"field": "a..b", "op": "exists"})),
        r#"field: field path "a..b" has an empty segment"#
    );
    assert!(
        err(json!({"field": "a", "op": "exists", "on_error": "ignore"}))
            .starts_with("on_error: expected `fail` or `skip`")
    );
}
