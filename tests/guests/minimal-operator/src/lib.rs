#![doc = include_str!("../README.md")]

wit_bindgen::generate!({
    world: "weir:operator/operator@0.1.0",
    path: "../../../wit/operator@0.1.0",
});

use std::cell::Cell;

use weir::operator::types::Error;
use weir::operator::{collector, context, state, timers};

thread_local! {
    static COUNT: Cell<u32> = const { Cell::new(0) };
}

fn failed(e: Error) -> OperatorError {
    OperatorError::Failed(format!("{e:?}"))
}

/// The exported component.
pub struct MinimalOperator;

impl Guest for MinimalOperator {
    fn open(_config: String) -> Result<(), OperatorError> {
        let id = state::register(&state::StateDescriptor {
            name: "count".into(),
            kind: state::StateKind::Value,
            ttl_ms: None,
        })
        .map_err(failed)?;
        COUNT.set(id);
        Ok(())
    }

    fn process(batch: Vec<Record>) -> Result<(), OperatorError> {
        let id = COUNT.get();
        let mut out = Vec::new();
        for (i, record) in batch.iter().enumerate() {
            context::set_current(i as u32).map_err(failed)?;
            let n = state::value_get(id)
                .map_err(failed)?
                .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
                + 1;
            state::value_set(id, &n.to_le_bytes()).map_err(failed)?;
            let key = String::from_utf8_lossy(record.key.as_deref().unwrap_or_default());
            out.push(Record {
                key: record.key.clone(),
                value: format!("{key}={n}").into_bytes(),
                timestamp: None,
            });
            if let Some(ts) = record.timestamp {
                timers::register_event_time(ts + 10).map_err(failed)?;
            }
        }
        collector::emit(&out).map_err(failed)
    }

    fn on_timer(fired: Vec<Timer>) -> Result<(), OperatorError> {
        let out: Vec<Record> = fired
            .iter()
            .map(|t| Record {
                key: t.key.clone(),
                value: format!(
                    "{}@{}",
                    String::from_utf8_lossy(t.key.as_deref().unwrap_or_default()),
                    t.timestamp
                )
                .into_bytes(),
                timestamp: Some(t.timestamp),
            })
            .collect();
        collector::emit(&out).map_err(failed)
    }

    fn close() -> Result<(), OperatorError> {
        Ok(())
    }
}

export!(MinimalOperator);
