//! The predicate a filter tests, parsed from the config with errors that
//! name the offending field.

use serde_json::{Map, Value};
use weir_plugin_common::FieldPath;
use weir_sdk::{Error, Result};

use crate::compare::{contains, json_eq, order};

/// A comparison of one field with a constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Greater than (numbers, or strings in byte order).
    Gt,
    /// Greater than or equal.
    Ge,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
    /// Equal (numbers by value: `1` equals `1.0`).
    Eq,
    /// Present and not equal.
    Ne,
    /// Present, whatever its value (even `null`).
    Exists,
    /// A string holding a substring, an array holding an element, or an
    /// object holding a key.
    Contains,
}

const OPS: &str = "gt, ge, lt, le, eq, ne, exists, contains";

impl Op {
    const ALL: [Op; 8] = [
        Op::Gt,
        Op::Ge,
        Op::Lt,
        Op::Le,
        Op::Eq,
        Op::Ne,
        Op::Exists,
        Op::Contains,
    ];

    /// The op's name in the config.
    pub fn name(self) -> &'static str {
        match self {
            Op::Gt => "gt",
            Op::Ge => "ge",
            Op::Lt => "lt",
            Op::Le => "le",
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Exists => "exists",
            Op::Contains => "contains",
        }
    }

    fn parse(name: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.name() == name)
    }
}

/// What a record's JSON value must satisfy to be kept.
#[derive(Clone, Debug, PartialEq)]
pub enum Predicate {
    /// `{ field, op, value }`: the field compared with `value`. A missing
    /// field satisfies no op but `not`-wrapped ones.
    Field {
        /// Where the field is.
        field: FieldPath,
        /// How it is compared.
        op: Op,
        /// The constant (`Null` for `exists`).
        value: Value,
    },
    /// `{ all: [..] }`: every predicate holds (true when empty).
    All(Vec<Predicate>),
    /// `{ any: [..] }`: at least one holds (false when empty).
    Any(Vec<Predicate>),
    /// `{ not: .. }`: the predicate does not hold.
    Not(Box<Predicate>),
}

impl Predicate {
    /// Parses the filter's config (without `on_error`).
    pub fn from_config(config: &Value) -> Result<Predicate> {
        parse(config, "").map_err(Error::invalid_config)
    }

    /// Whether `value` satisfies the predicate.
    pub fn test(&self, value: &Value) -> bool {
        match self {
            Predicate::Field {
                field,
                op,
                value: c,
            } => match field.get(value) {
                None => false,
                Some(v) => match op {
                    Op::Gt => order(v, c).is_some_and(|o| o.is_gt()),
                    Op::Ge => order(v, c).is_some_and(|o| o.is_ge()),
                    Op::Lt => order(v, c).is_some_and(|o| o.is_lt()),
                    Op::Le => order(v, c).is_some_and(|o| o.is_le()),
                    Op::Eq => json_eq(v, c),
                    Op::Ne => !json_eq(v, c),
                    Op::Exists => true,
                    Op::Contains => contains(v, c),
                },
            },
            Predicate::All(ps) => ps.iter().all(|p| p.test(value)),
            Predicate::Any(ps) => ps.iter().any(|p| p.test(value)),
            Predicate::Not(p) => !p.test(value),
        }
    }
}

/// `at` is where `v` sits in the config, for messages (`""` at the top).
fn parse(v: &Value, at: &str) -> Result<Predicate, String> {
    let here = if at.is_empty() { "the config" } else { at };
    let Value::Object(map) = v else {
        return Err(format!(
            "{here}: expected a predicate object ({{field, op, value}}, all, any or not), found {v}"
        ));
    };
    let forms: Vec<&str> = ["field", "all", "any", "not"]
        .into_iter()
        .filter(|k| map.contains_key(*k))
        .collect();
    match forms.as_slice() {
        ["field"] => parse_field(map, at),
        [form @ ("all" | "any")] => {
            only(map, &[*form], at)?;
            let Some(items) = map[*form].as_array() else {
                return Err(format!("{}: expected a list of predicates", join(at, form)));
            };
            let ps = items
                .iter()
                .enumerate()
                .map(|(i, item)| parse(item, &format!("{}[{i}]", join(at, form))))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if *form == "all" {
                Predicate::All(ps)
            } else {
                Predicate::Any(ps)
            })
        }
        ["not"] => {
            only(map, &["not"], at)?;
            Ok(Predicate::Not(Box::new(parse(
                &map["not"],
                &join(at, "not"),
            )?)))
        }
        [] => Err(format!(
            "{here}: a predicate needs `field` (with `op`), `all`, `any` or `not`"
        )),
        several => Err(format!(
            "{here}: one predicate per object, found {}",
            several.join(" and ")
        )),
    }
}

fn parse_field(map: &Map<String, Value>, at: &str) -> Result<Predicate, String> {
    only(map, &["field", "op", "value"], at)?;
    let field = map["field"]
        .as_str()
        .ok_or_else(|| format!("{}: expected a string", join(at, "field")))?;
    let field = FieldPath::parse(field).map_err(|e| format!("{}: {e}", join(at, "field")))?;
    let op_at = join(at, "op");
    let op = match map.get("op") {
        None => return Err(format!("{op_at}: missing (one of {OPS})")),
        Some(Value::String(name)) => Op::parse(name)
            .ok_or_else(|| format!("{op_at}: unknown op {name:?}; expected one of {OPS}"))?,
        Some(other) => return Err(format!("{op_at}: expected one of {OPS}, found {other}")),
    };
    let value_at = join(at, "value");
    let value = match (op, map.get("value")) {
        (Op::Exists, None) => Value::Null,
        (Op::Exists, Some(_)) => return Err(format!("{value_at}: `exists` takes no value")),
        (_, None) => return Err(format!("{value_at}: missing (`{}` needs one)", op.name())),
        (Op::Gt | Op::Ge | Op::Lt | Op::Le, Some(v)) if !(v.is_number() || v.is_string()) => {
            return Err(format!(
                "{value_at}: ordering ops compare with a number or a string, not {v}"
            ));
        }
        (_, Some(v)) => v.clone(),
    };
    Ok(Predicate::Field { field, op, value })
}

/// Fails on keys other than `allowed`.
fn only(map: &Map<String, Value>, allowed: &[&str], at: &str) -> Result<(), String> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!(
            "{}: unknown field (expected {})",
            join(at, k),
            allowed.join(", ")
        )),
        None => Ok(()),
    }
}

fn join(at: &str, field: &str) -> String {
    if at.is_empty() {
        field.to_owned()
    } else {
        format!("{at}.{field}")
    }
}
