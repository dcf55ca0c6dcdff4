//! Comparing JSON values: numbers by value, strings by bytes.

use std::cmp::Ordering;

use serde_json::{Number, Value};

/// The order of two numbers or two strings; `None` for anything else.
pub(crate) fn order(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => number_order(x, y),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// JSON equality with numbers compared by value (`1 == 1.0`).
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => number_order(x, y) == Some(Ordering::Equal),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, a)| y.get(k).is_some_and(|b| json_eq(a, b)))
        }
        _ => a == b,
    }
}

/// A string holding a substring, an array holding an equal element, or an
/// object holding a key.
pub(crate) fn contains(haystack: &Value, needle: &Value) -> bool {
    match (haystack, needle) {
        (Value::String(s), Value::String(n)) => s.contains(n.as_str()),
        (Value::Array(items), n) => items.iter().any(|item| json_eq(item, n)),
        (Value::Object(map), Value::String(k)) => map.contains_key(k),
        _ => false,
    }
}

/// Integers exactly, anything else as `f64`.
fn number_order(x: &Number, y: &Number) -> Option<Ordering> {
    if let (Some(a), Some(b)) = (x.as_i64(), y.as_i64()) {
        return Some(a.cmp(&b));
    }
    if let (Some(a), Some(b)) = (x.as_u64(), y.as_u64()) {
        return Some(a.cmp(&b));
    }
    x.as_f64()?.partial_cmp(&y.as_f64()?)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_compare_by_value_across_representations() {
        assert_eq!(order(&json!(2), &json!(10)), Some(Ordering::Less));
        assert_eq!(order(&json!(1.5), &json!(1)), Some(Ordering::Greater));
        assert_eq!(order(&json!(-1), &json!(u64::MAX)), Some(Ordering::Less));
        assert_eq!(
            order(&json!(i64::MAX), &json!(i64::MAX - 1)),
            Some(Ordering::Greater)
        );
        assert!(json_eq(&json!(1), &json!(1.0)));
        assert!(json_eq(&json!({"a": [1]}), &json!({"a": [1.0]})));
        assert!(!json_eq(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
    }

    #[test]
    fn strings_order_by_bytes_and_mixed_types_do_not_order() {
        assert_eq!(order(&json!("b"), &json!("ab")), Some(Ordering::Greater));
        assert_eq!(order(&json!("1"), &json!(1)), None);
        assert_eq!(order(&json!(null), &json!(1)), None);
    }

    #[test]
    fn contains_looks_into_strings_arrays_and_object_keys() {
        assert!(contains(&json!("hello"), &json!("ell")));
        assert!(contains(&json!([1, "x"]), &json!(1.0)));
        assert!(contains(&json!({"k": 1}), &json!("k")));
        assert!(!contains(&json!({"k": 1}), &json!(1)));
        assert!(!contains(&json!(5), &json!(5)));
    }
}
