//! Deserialization that serde's derive cannot check by itself.
//!
//! Sources and sinks are mappings whose `type:` picks a kind, with the kind's
//! settings beside the common fields. `#[serde(flatten)]` with an internally
//! tagged enum would accept them, but it buffers the mapping, so unknown
//! fields pass silently and errors lose their line. Instead [`TaggedMap`]
//! reads such a mapping key by key and checks each key where it stands: an
//! unknown field, a duplicate, or a field of another kind is an error at that
//! key's line and path.

mod key_by;
mod sink;
mod source;
mod state;

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use std::fmt;

/// The fields a mapping with a `type:` tag accepts.
pub(crate) struct TaggedFields {
    /// What the mapping describes, for messages: "source", "sink".
    pub what: &'static str,
    /// Fields every kind accepts, besides `type`.
    pub common: &'static [&'static str],
    /// Each kind's `type:` name and its own fields.
    pub kinds: &'static [(&'static str, &'static [&'static str])],
}

impl TaggedFields {
    /// The own fields of `kind`.
    fn kind_fields(&self, kind: &str) -> &'static [&'static str] {
        self.kinds
            .iter()
            .find(|(name, _)| *name == kind)
            .map_or(&[], |(_, fields)| fields)
    }

    /// `field` as its `'static` name when some kind (or all) accept it.
    fn known(&self, field: &str) -> Option<&'static str> {
        std::iter::once(&"type")
            .chain(self.common)
            .chain(self.kinds.iter().flat_map(|(_, fields)| fields.iter()))
            .find(|name| **name == field)
            .copied()
    }

    /// Whether `field` is accepted by a mapping of `kind`.
    fn accepts(&self, kind: &str, field: &str) -> bool {
        field == "type" || self.common.contains(&field) || self.kind_fields(kind).contains(&field)
    }

    /// The fields accepted for `kind`, or by any kind, in declaration order.
    fn expected(&self, kind: Option<&str>) -> Vec<&'static str> {
        let mut names = vec!["type"];
        names.extend(self.common);
        let kinds = self
            .kinds
            .iter()
            .filter(|(name, _)| kind.is_none_or(|k| k == *name));
        for (_, fields) in kinds {
            for field in *fields {
                if !names.contains(field) {
                    names.push(field);
                }
            }
        }
        names
    }

    /// "unknown field `x`, expected one of …", naming the kind when known.
    fn unknown_field<E: de::Error>(&self, field: &str, kind: Option<&str>) -> E {
        let expected = one_of(&self.expected(kind));
        match kind {
            Some(kind) => E::custom(format_args!(
                "unknown field `{field}` for a `type: {kind}` {}, expected {expected}",
                self.what
            )),
            None => E::custom(format_args!("unknown field `{field}`, expected {expected}")),
        }
    }
}

/// "`a`", "`a` or `b`", "one of `a`, `b`, `c`".
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    match quoted.as_slice() {
        [] => "nothing".to_owned(),
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        _ => format!("one of {}", quoted.join(", ")),
    }
}

/// Reads a tagged mapping key by key, checking each key as it is read.
pub(crate) struct TaggedMap<A> {
    map: A,
    fields: &'static TaggedFields,
    kind: Option<&'static str>,
    seen: Vec<&'static str>,
}

impl<'de, A: MapAccess<'de>> TaggedMap<A> {
    pub fn new(map: A, fields: &'static TaggedFields) -> Self {
        TaggedMap {
            map,
            fields,
            kind: None,
            seen: Vec::new(),
        }
    }

    /// The next field name; `None` at the end of the mapping.
    ///
    /// An unknown or repeated field, or one that the `type:` read so far does
    /// not accept, is an error at the key.
    pub fn next_field(&mut self) -> Result<Option<&'static str>, A::Error> {
        let seed = FieldSeed {
            fields: self.fields,
            kind: self.kind,
            seen: &self.seen,
        };
        let field = self.map.next_key_seed(seed)?;
        if let Some(field) = field {
            self.seen.push(field);
        }
        Ok(field)
    }

    /// The value of the field just returned by [`next_field`](Self::next_field).
    pub fn value<T: de::Deserialize<'de>>(&mut self) -> Result<T, A::Error> {
        self.map.next_value()
    }

    /// Reads the value of `type:`, which must name one of the kinds.
    pub fn read_kind(&mut self) -> Result<(), A::Error> {
        self.kind = Some(self.map.next_value_seed(KindSeed(self.fields))?);
        Ok(())
    }

    /// The kind, once the whole mapping is read. Checks the fields that came
    /// before `type:` and could not be checked then.
    pub fn finish(self) -> Result<&'static str, A::Error> {
        let kind = self.kind.ok_or_else(|| de::Error::missing_field("type"))?;
        match self.seen.iter().find(|f| !self.fields.accepts(kind, f)) {
            Some(field) => Err(self.fields.unknown_field(field, Some(kind))),
            None => Ok(kind),
        }
    }
}

/// Reads one key of a tagged mapping and checks it.
struct FieldSeed<'a> {
    fields: &'static TaggedFields,
    kind: Option<&'static str>,
    seen: &'a [&'static str],
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = &'static str;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl Visitor<'_> for FieldSeed<'_> {
    type Value = &'static str;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a {} field name", self.fields.what)
    }

    fn visit_str<E: de::Error>(self, field: &str) -> Result<Self::Value, E> {
        let Some(known) = self.fields.known(field) else {
            return Err(self.fields.unknown_field(field, self.kind));
        };
        if let Some(kind) = self.kind
            && !self.fields.accepts(kind, known)
        {
            return Err(self.fields.unknown_field(field, Some(kind)));
        }
        if self.seen.contains(&known) {
            return Err(E::duplicate_field(known));
        }
        Ok(known)
    }
}

/// Reads the value of `type:`.
struct KindSeed(&'static TaggedFields);

impl<'de> DeserializeSeed<'de> for KindSeed {
    type Value = &'static str;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for KindSeed {
    type Value = &'static str;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a {} type", self.0.what)
    }

    fn visit_str<E: de::Error>(self, kind: &str) -> Result<Self::Value, E> {
        match self.0.kinds.iter().find(|(name, _)| *name == kind) {
            Some((name, _)) => Ok(name),
            None => {
                let names: Vec<&str> = self.0.kinds.iter().map(|(name, _)| *name).collect();
                Err(E::custom(format_args!(
                    "unknown {} type `{kind}`, expected {}",
                    self.0.what,
                    one_of(&names)
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static FIELDS: TaggedFields = TaggedFields {
        what: "thing",
        common: &["id"],
        kinds: &[("a", &["x", "shared"]), ("b", &["shared", "y"])],
    };

    #[test]
    fn expected_lists_type_common_then_kind_fields_once() {
        assert_eq!(FIELDS.expected(None), ["type", "id", "x", "shared", "y"]);
        assert_eq!(FIELDS.expected(Some("b")), ["type", "id", "shared", "y"]);
    }

    #[test]
    fn accepts_checks_the_kind() {
        assert!(
            FIELDS.accepts("a", "x") && FIELDS.accepts("a", "id") && FIELDS.accepts("a", "type")
        );
        assert!(!FIELDS.accepts("b", "x"));
        assert_eq!(FIELDS.known("y"), Some("y"));
        assert_eq!(FIELDS.known("z"), None);
    }

    #[test]
    fn one_of_reads_naturally() {
        assert_eq!(one_of(&["a"]), "`a`");
        assert_eq!(one_of(&["a", "b"]), "`a` or `b`");
        assert_eq!(one_of(&["a", "b", "c"]), "one of `a`, `b`, `c`");
    }
}
