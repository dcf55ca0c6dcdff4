//! Dotted paths into JSON values.

use serde_json::Value;

/// A path into a JSON value: field names separated by dots. A segment that
/// is a decimal number also indexes an array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldPath {
    text: String,
    segments: Vec<Segment>,
}

/// Why a field path does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// The path is empty, or has `..` or a dot at an end.
    #[error("field path {0:?} has an empty segment")]
    EmptySegment(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Segment {
    name: String,
    index: Option<usize>,
}

impl FieldPath {
    /// Parses `a.b.c`; every segment must be non-empty.
    pub fn parse(text: &str) -> Result<Self, PathError> {
        let segments = text
            .split('.')
            .map(|name| {
                if name.is_empty() {
                    return Err(PathError::EmptySegment(text.to_owned()));
                }
                Ok(Segment {
                    name: name.to_owned(),
                    index: name.parse().ok(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(FieldPath {
            text: text.to_owned(),
            segments,
        })
    }

    /// The value at this path, if every step exists.
    pub fn get<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        self.segments.iter().try_fold(value, |v, segment| match v {
            Value::Object(map) => map.get(&segment.name),
            Value::Array(items) => items.get(segment.index?),
            _ => None,
        })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn walks_objects_and_arrays() {
        let v = json!({"a": {"b": [10, {"c": "x"}]}, "1": "one"});
        let get = |p: &str| FieldPath::parse(p).unwrap().get(&v).cloned();
        assert_eq!(get("a.b.0"), Some(json!(10)));
        assert_eq!(get("a.b.1.c"), Some(json!("x")));
        assert_eq!(get("1"), Some(json!("one")));
        assert_eq!(get("a.b.2"), None);
        assert_eq!(get("a.b.c"), None);
        assert_eq!(get("a.b.0.x"), None);
        assert_eq!(get("missing"), None);
    }

    #[test]
    fn rejects_empty_segments() {
        for bad in ["", "a.", ".a", "a..b"] {
            let err = FieldPath::parse(bad).unwrap_err();
            assert_eq!(err, PathError::EmptySegment(bad.to_owned()));
        }
        assert_eq!(FieldPath::parse("a.b").unwrap().to_string(), "a.b");
    }
}
