//! The body of every export, the same on Wasm and in the native harness:
//! parse the config, make each element current, call user code, flush output.

use serde::de::DeserializeOwned;
use weir_types::packed;

use crate::host::sys;
use crate::{
    Context, Error, OpenContext, Operator, Record, RecordRef, Result, TimeDomain, Timer, Udf,
    UdfOutput,
};

/// Parses an operator's config. An absent config (`""`, `{}` or `null`) is
/// accepted by any type that accepts `null` (such as `()` or `Option<T>`) or
/// `{}` (a struct whose fields all have defaults).
pub(crate) fn parse_config<C: DeserializeOwned>(text: &str) -> Result<C> {
    let text = if text.trim().is_empty() { "null" } else { text };
    let value =
        serde_json::from_str(text).map_err(|e| Error::invalid_config(format!("not JSON: {e}")))?;
    config_from_value(value)
}

/// Like [`parse_config`], from a parsed JSON value.
pub(crate) fn config_from_value<C: DeserializeOwned>(value: serde_json::Value) -> Result<C> {
    use serde_json::Value;
    let other_empty = match &value {
        Value::Null => Some(Value::Object(Default::default())),
        Value::Object(m) if m.is_empty() => Some(Value::Null),
        _ => None,
    };
    serde_json::from_value(value).or_else(|e| match other_empty {
        Some(other) => serde_json::from_value(other).map_err(|_| Error::invalid_config(e)),
        None => Err(Error::invalid_config(e)),
    })
}

pub(crate) fn open<O: Operator>(config: &str) -> Result<O> {
    let config = parse_config(config)?;
    let opened = O::open(&mut OpenContext::new(), config);
    // A state write in `open` (which has no current key) must fail here,
    // not wait in the buffer for the first record's key.
    let flushed = sys::flush_state();
    let op = opened?;
    flushed?;
    Ok(op)
}

/// Hands each record to `process`, telling the host about the current element
/// only when the key changes.
pub(crate) fn process<O: Operator>(op: &mut O, batch: Vec<Record>) -> Result<()> {
    let mut ctx = Context::new();
    let handled = batch.into_iter().enumerate().try_for_each(|(i, record)| {
        let changed = ctx.set_current(record.key.as_deref(), record.timestamp);
        if changed && i > 0 {
            sys::set_current(index(i)?)?;
        }
        op.process(&mut ctx, record)
    });
    finish(handled, ctx)
}

pub(crate) fn on_timer<O: Operator>(op: &mut O, timers: Vec<Timer>) -> Result<()> {
    let mut ctx = Context::new();
    let handled = timers.into_iter().enumerate().try_for_each(|(i, timer)| {
        let changed = ctx.set_current(timer.key.as_deref(), Some(timer.timestamp));
        if changed && i > 0 {
            sys::set_current(index(i)?)?;
        }
        op.on_timer(&mut ctx, timer)
    });
    finish(handled, ctx)
}

pub(crate) fn close<O: Operator>(op: &mut O) -> Result<()> {
    let mut ctx = Context::new();
    let handled = op.close(&mut ctx);
    finish(handled, ctx)
}

/// Ends an export: sends the state calls still buffered (also after a
/// failure, so the writes made before it are applied, as they would be one
/// call at a time), then the output.
fn finish(handled: Result<()>, mut ctx: Context) -> Result<()> {
    let flushed = sys::flush_state();
    handled?;
    flushed?;
    ctx.flush()
}

pub(crate) fn udf_open<U: Udf>(config: &str) -> Result<U> {
    U::open(parse_config(config)?)
}

/// `transform` over a packed batch (the `udf` world of 0.2.0): hands each
/// record, borrowed from the batch, to the UDF, which packs its outputs
/// straight into the batch returned.
///
/// The batch is decoded once, as it is transformed: a malformed record fails
/// the call when it is reached, and what the records before it produced is
/// dropped with the call (a UDF has no state the host keeps).
pub(crate) fn udf_transform_packed<U: Udf>(udf: &mut U, batch: &[u8]) -> Result<Vec<u8>> {
    let mut out = UdfOutput::with_capacity(batch.len());
    for record in packed::records(batch) {
        let record = record.map_err(|e| Error::bad_input(e.to_string()))?;
        out.set_input_timestamp(record.timestamp);
        udf.transform(record.into(), &mut out)?;
    }
    Ok(out.into_packed())
}

/// A batch of records, packed.
pub(crate) fn pack(records: &[Record]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        packed::push(&mut out, r.key.as_deref(), &r.value, r.timestamp);
    }
    out
}

/// The records of a packed batch; a malformed one is bad input.
pub(crate) fn unpack_records(batch: &[u8]) -> Result<Vec<Record>> {
    packed::records(batch)
        .map(|r| {
            let r = r.map_err(|e| Error::bad_input(e.to_string()))?;
            Ok(RecordRef::from(r).to_record())
        })
        .collect()
}

/// The timers of a packed batch; a malformed one is bad input.
pub(crate) fn unpack_timers(timers: &[u8]) -> Result<Vec<Timer>> {
    packed::timers(timers)
        .map(|t| {
            let t = t.map_err(|e| Error::bad_input(e.to_string()))?;
            Ok(Timer {
                key: t.key.map(<[u8]>::to_vec),
                timestamp: t.timestamp,
                domain: if t.processing_time {
                    TimeDomain::ProcessingTime
                } else {
                    TimeDomain::EventTime
                },
            })
        })
        .collect()
}

fn index(i: usize) -> Result<u32> {
    u32::try_from(i).map_err(|_| Error::failed("batch longer than u32::MAX"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Cfg {
        #[serde(default)]
        n: u32,
    }

    #[test]
    fn absent_config_is_accepted_by_unit_and_defaults() {
        for text in ["", "{}", "null", " "] {
            parse_config::<()>(text).unwrap();
            assert_eq!(parse_config::<Option<u32>>(text).unwrap(), None, "{text:?}");
            assert_eq!(parse_config::<Cfg>(text).unwrap(), Cfg { n: 0 }, "{text:?}");
        }
        assert_eq!(parse_config::<Cfg>(r#"{"n": 3}"#).unwrap(), Cfg { n: 3 });
    }

    #[test]
    fn a_malformed_udf_batch_fails_at_its_first_bad_record() {
        /// Passes records on, counting them.
        struct Pass(usize);
        impl Udf for Pass {
            type Config = ();
            fn open(_: ()) -> Result<Self> {
                Ok(Pass(0))
            }
            fn transform(
                &mut self,
                record: crate::RecordRef<'_>,
                out: &mut UdfOutput,
            ) -> Result<()> {
                self.0 += 1;
                out.emit(record);
                Ok(())
            }
        }

        let good = pack(&[Record::new("a"), Record::keyed("k", "b").with_timestamp(4)]);
        let mut udf = Pass(0);
        let out = udf_transform_packed(&mut udf, &good).unwrap();
        assert_eq!(out, good, "passed on unchanged");

        let mut bad = good.clone();
        bad.push(0x80); // a record with unknown flag bits
        let mut udf = Pass(0);
        let err = udf_transform_packed(&mut udf, &bad).unwrap_err();
        assert!(
            matches!(&err, Error::BadInput(m) if m.contains(&format!("at byte {}", good.len()))),
            "{err:?}"
        );
        assert_eq!(udf.0, 2, "the records before it were transformed");
    }

    #[test]
    fn bad_config_is_invalid_config() {
        assert!(matches!(
            parse_config::<Cfg>("{"),
            Err(Error::InvalidConfig(_))
        ));
        let err = parse_config::<Cfg>(r#"{"n": "x"}"#).unwrap_err();
        assert!(matches!(err, Error::InvalidConfig(m) if m.contains("invalid type")));
        assert!(matches!(
            parse_config::<()>("[1]"),
            Err(Error::InvalidConfig(_))
        ));
    }
}
