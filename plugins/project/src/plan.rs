//! The projection worked out once at `open`: output names escaped, constants
//! serialized, paths parsed; per record only the picked values are written.

use serde_json::Value;
use weir_plugin_common::{FieldPath, key_bytes};
use weir_sdk::{Error, Result};

use crate::{Config, Missing};

/// Output fields in name order, and the key path.
#[derive(Debug)]
pub(crate) struct Plan {
    outputs: Vec<Output>,
    pub(crate) key: Option<FieldPath>,
}

#[derive(Debug)]
struct Output {
    /// `"name":` as JSON.
    prefix: Vec<u8>,
    source: Source,
}

#[derive(Debug)]
enum Source {
    Path(FieldPath),
    /// The constant, serialized.
    Constant(Vec<u8>),
}

impl Plan {
    pub(crate) fn new(config: &Config) -> Result<Plan> {
        let mut named: Vec<(String, Source)> = Vec::new();
        for (name, path) in field_list(config.fields.as_ref())? {
            let path = FieldPath::parse(&path)
                .map_err(|e| Error::invalid_config(format!("fields.{name}: {e}")))?;
            named.push((name, Source::Path(path)));
        }
        for (name, value) in &config.constants {
            if named.iter().any(|(n, _)| n == name) {
                return Err(Error::invalid_config(format!(
                    "constants.{name}: `{name}` is also in fields"
                )));
            }
            named.push((name.clone(), Source::Constant(serde_json::to_vec(value)?)));
        }
        named.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(w) = named.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(Error::invalid_config(format!(
                "fields: two fields are named `{}`",
                w[0].0
            )));
        }
        let key = config
            .key
            .as_deref()
            .map(FieldPath::parse)
            .transpose()
            .map_err(|e| Error::invalid_config(format!("key: {e}")))?;
        if named.is_empty() && key.is_none() {
            return Err(Error::invalid_config(
                "nothing to do: give `fields`, `constants` or `key`",
            ));
        }
        let outputs = named
            .into_iter()
            .map(|(name, source)| {
                let mut prefix = serde_json::to_vec(&name)?;
                prefix.push(b':');
                Ok(Output { prefix, source })
            })
            .collect::<Result<_>>()?;
        Ok(Plan { outputs, key })
    }

    /// Without output fields the value passes unchanged (only the key is set).
    pub(crate) fn is_passthrough(&self) -> bool {
        self.outputs.is_empty()
    }

    /// The output object for one input value.
    pub(crate) fn write(&self, input: &Value, missing: Missing, size: usize) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(size.min(4096) + 2);
        out.push(b'{');
        for o in &self.outputs {
            let value = match &o.source {
                Source::Constant(bytes) => Field::Raw(bytes),
                Source::Path(path) => match (path.get(input), missing) {
                    (Some(v), _) => Field::Value(v),
                    (None, Missing::Omit) => continue,
                    (None, Missing::Null) => Field::Raw(b"null"),
                    (None, Missing::Fail) => {
                        return Err(Error::bad_input(format!("field `{path}` is missing")));
                    }
                },
            };
            if out.len() > 1 {
                out.push(b',');
            }
            out.extend_from_slice(&o.prefix);
            match value {
                Field::Raw(bytes) => out.extend_from_slice(bytes),
                Field::Value(v) => serde_json::to_writer(&mut out, v)?,
            }
        }
        out.push(b'}');
        Ok(out)
    }
}

enum Field<'a> {
    Raw(&'a [u8]),
    Value(&'a Value),
}

/// The record key from the value at `path`.
pub(crate) fn key(path: &FieldPath, value: &Value) -> Result<Vec<u8>> {
    path.get(value)
        .map(key_bytes)
        .ok_or_else(|| Error::bad_input(format!("key field `{path}` is missing")))
}

/// `fields` as (output name, input path) pairs.
fn field_list(fields: Option<&Value>) -> Result<Vec<(String, String)>> {
    let bad = |what: String| Err(Error::invalid_config(format!("fields: {what}")));
    match fields {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(name, path)| match path {
                Value::String(p) => Ok((name.clone(), p.clone())),
                other => Err(Error::invalid_config(format!(
                    "fields.{name}: expected an input path (a string), found {other}"
                ))),
            })
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(p) => {
                    let name = p.rsplit('.').next().unwrap_or(p);
                    Ok((name.to_owned(), p.clone()))
                }
                other => Err(Error::invalid_config(format!(
                    "fields: expected input paths (strings), found {other}"
                ))),
            })
            .collect(),
        Some(other) => bad(format!(
            "expected a map from output name to input path, or a list of paths, found {other}"
        )),
    }
}
