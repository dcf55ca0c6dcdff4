//! Numbers from JSON: integers kept exact while they fit, floats otherwise.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A JSON number as aggregated.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Num {
    /// An integer that fits `i64`.
    Int(i64),
    /// Any other number.
    Float(f64),
}

impl Num {
    /// The number in `value`, if it is one.
    pub fn from_json(value: &Value) -> Option<Num> {
        let Value::Number(n) = value else {
            return None;
        };
        match n.as_i64() {
            Some(i) => Some(Num::Int(i)),
            None => n.as_f64().map(Num::Float),
        }
    }

    /// As a float.
    pub fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }

    /// The sum: exact while both are integers and it fits.
    pub fn plus(self, other: Num) -> Num {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => a
                .checked_add(b)
                .map_or_else(|| Num::Float(a as f64 + b as f64), Num::Int),
            (a, b) => Num::Float(a.as_f64() + b.as_f64()),
        }
    }

    /// Orders integers exactly, anything else as floats (NaN last).
    pub fn total_order(self, other: Num) -> Ordering {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => a.cmp(&b),
            (a, b) => a.as_f64().total_cmp(&b.as_f64()),
        }
    }

    /// The number as JSON.
    pub fn to_json(self) -> Value {
        match self {
            Num::Int(i) => i.into(),
            Num::Float(f) => f.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_integers_exactly_and_other_numbers_as_floats() {
        assert_eq!(Num::from_json(&json!(-3)), Some(Num::Int(-3)));
        assert_eq!(Num::from_json(&json!(2.5)), Some(Num::Float(2.5)));
        assert_eq!(
            Num::from_json(&json!(u64::MAX)),
            Some(Num::Float(u64::MAX as f64))
        );
        assert_eq!(Num::from_json(&json!("1")), None);
    }

    #[test]
    fn sums_stay_integers_until_they_cannot() {
        assert_eq!(Num::Int(2).plus(Num::Int(3)), Num::Int(5));
        assert_eq!(Num::Int(2).plus(Num::Float(0.5)), Num::Float(2.5));
        assert_eq!(
            Num::Int(i64::MAX).plus(Num::Int(1)),
            Num::Float(i64::MAX as f64 + 1.0)
        );
    }

    #[test]
    fn orders_across_representations() {
        assert_eq!(Num::Int(2).total_order(Num::Float(1.5)), Ordering::Greater);
        assert_eq!(
            Num::Int(i64::MAX).total_order(Num::Int(i64::MAX - 1)),
            Ordering::Greater
        );
        assert_eq!(json!(Num::Float(2.0).to_json()), json!(2.0));
    }
}
