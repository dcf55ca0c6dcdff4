//! The project operator through the native harness.

use serde_json::json;
use weir_sdk::prelude::*;
use weir_sdk::testing::UdfHarness;

use crate::Project;

fn harness(config: serde_json::Value) -> UdfHarness<Project> {
    UdfHarness::<Project>::new(config).unwrap()
}

fn one(h: &mut UdfHarness<Project>, value: &str) -> Record {
    let mut out = h.transform(Record::new(value).with_timestamp(5)).unwrap();
    assert_eq!(out.len(), 1);
    out.remove(0)
}

#[test]
fn picks_renames_and_adds_fields_in_name_order() {
    let mut h = harness(json!({
        "fields": {"who": "user.name", "amount": "amount", "first_tag": "tags.0"},
        "constants": {"source": "web", "version": 2},
    }));
    let r = one(
        &mut h,
        r#"{"user": {"name": "ann", "id": 7}, "amount": 12.5, "tags": ["a", "b"], "x": 1}"#,
    );
    assert_eq!(
        r.value_str().unwrap(),
        r#"{"amount":12.5,"first_tag":"a","source":"web","version":2,"who":"ann"}"#
    );
    assert_eq!((r.key, r.timestamp), (None, Some(5)));
}

#[test]
fn a_list_of_paths_keeps_last_segment_names() {
    let mut h = harness(json!({"fields": ["user.id", "amount"]}));
    let r = one(
        &mut h,
        r#"{"user": {"id": "u1"}, "amount": [1, {"b": null}]}"#,
    );
    assert_eq!(
        r.value_str().unwrap(),
        r#"{"amount":[1,{"b":null}],"id":"u1"}"#
    );
}

#[test]
fn missing_fields_are_omitted_nulled_or_bad_input() {
    let input = r#"{"a": 1}"#;
    let mut h = harness(json!({"fields": {"a": "a", "b": "b"}}));
    assert_eq!(one(&mut h, input).value_str().unwrap(), r#"{"a":1}"#);
    let mut h = harness(json!({"fields": {"a": "a", "b": "b"}, "missing": "null"}));
    assert_eq!(
        one(&mut h, input).value_str().unwrap(),
        r#"{"a":1,"b":null}"#
    );
    let mut h = harness(json!({"fields": {"b": "b"}}));
    assert_eq!(one(&mut h, input).value_str().unwrap(), "{}");

    let mut h = harness(json!({"fields": {"a": "a", "b": "b.c"}, "missing": "fail"}));
    let err = h.transform(Record::new(input)).unwrap_err();
    assert_eq!(err.to_string(), "bad input: field `b.c` is missing");

    let config = json!({"fields": {"b": "b.c"}, "missing": "fail", "on_error": "skip"});
    let mut h = harness(config);
    let out = h
        .transform_batch(vec![Record::new(input), Record::new(r#"{"b": {"c": 0}}"#)])
        .unwrap();
    assert_eq!(out, vec![Record::new(r#"{"b":0}"#)]);
    assert_eq!(h.udf().skipped(), 1);
}

#[test]
fn sets_the_key_from_a_field() {
    let mut h = harness(json!({"fields": {"n": "n"}, "key": "user"}));
    let r = one(&mut h, r#"{"user": "ann", "n": 1}"#);
    assert_eq!(r.key_str().unwrap(), Some("ann"));
    let r = one(&mut h, r#"{"user": 42, "n": 1}"#);
    assert_eq!(r.key_str().unwrap(), Some("42"));
    let err = h
        .transform(Record::keyed("old", r#"{"n": 1}"#))
        .unwrap_err();
    assert_eq!(err.to_string(), "bad input: key field `user` is missing");

    // With only a key the value passes unchanged.
    let mut h = harness(json!({"key": "user"}));
    let r = one(&mut h, r#"{ "user" : "bob" }"#);
    assert_eq!(
        r,
        Record::keyed("bob", r#"{ "user" : "bob" }"#).with_timestamp(5)
    );
}

#[test]
fn without_a_key_config_the_record_keeps_its_key() {
    let mut h = harness(json!({"constants": {"c": true}}));
    let out = h.transform(Record::keyed("k", "[1]")).unwrap();
    assert_eq!(out, vec![Record::keyed("k", r#"{"c":true}"#)]);
}

#[test]
fn non_json_input_is_bad_input() {
    let mut h = harness(json!({"fields": ["a"]}));
    let err = h.transform(Record::new("a=1")).unwrap_err();
    assert!(
        err.to_string().starts_with("bad input: value is not JSON"),
        "{err}"
    );
}

#[test]
fn bad_configs_say_what_is_wrong() {
    let err = |config: serde_json::Value| match UdfHarness::<Project>::new(config) {
        Err(Error::InvalidConfig(m)) => m,
        Err(e) => panic!("not an invalid config: {e}"),
        Ok(_) => panic!("accepted"),
    };
    assert_eq!(
        err(json!({})),
        "nothing to do: give `fields`, `constants` or `key`"
    );
    assert_eq!(
        err(json!({"fields": {"a": "x"}, "constants": {"a": 1}})),
        "constants.a: `a` is also in fields"
    );
    assert_eq!(
        err(json!({"fields": ["x.a", "a"]})),
        "fields: two fields are named `a`"
    );
    assert_eq!(
        err(json!({"fields": {"a": 1}})),
        "fields.a: expected an input path (a string), found 1"
    );
    assert_eq!(
        err(json!({"fields": "a"})),
        r#"fields: expected a map from output name to input path, or a list of paths, found "a""#
    );
    assert_eq!(
        err(json!({"fields": {"a": "x."}})),
        r#"fields.a: field path "x." has an empty segment"#
    );
    assert!(err(json!({"feilds": {}})).starts_with("unknown field `feilds`"));
    assert_eq!(
        err(json!({"key": "k", "missing": "zero"})),
        r#"missing: expected `omit`, `null` or `fail`, found "zero""#
    );
}
