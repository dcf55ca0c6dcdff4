#![doc = include_str!("../README.md")]

wit_bindgen::generate!({
    world: "weir:operator/operator@0.2.0",
    path: ["../../../wit/operator@0.1.0", "../../../wit/operator@0.2.0"],
    generate_all,
});

use std::cell::Cell;

use weir::operator0_1_0::state;
use weir::operator0_2_0::{output, state_batch};

/// A packed batch cut short: no key, no timestamp, a value of 5 bytes of
/// which 1 is there.
pub const BROKEN: [u8; 6] = [0, 5, 0, 0, 0, b'x'];

thread_local! {
    static STATE_BATCH: Cell<bool> = const { Cell::new(false) };
}

/// The exported component.
pub struct HostilePackedOperator;

impl Guest for HostilePackedOperator {
    fn open(config: String) -> Result<(), OperatorError> {
        STATE_BATCH.set(config.contains("state-batch"));
        Ok(())
    }

    fn process(_batch: Vec<u8>) -> Result<(), OperatorError> {
        if STATE_BATCH.get() {
            let out = state_batches();
            return output::emit(&out).map_err(|e| OperatorError::Failed(format!("{e:?}")));
        }
        output::emit(&BROKEN).map_err(|e| OperatorError::Failed(format!("{e:?}")))
    }

    fn on_timer(_timers: Vec<u8>) -> Result<(), OperatorError> {
        Ok(())
    }

    fn close() -> Result<(), OperatorError> {
        Ok(())
    }
}

/// One operation, encoded by hand from the layout in the WIT (the SDK's
/// encoder is not used, so the two are checked against each other).
fn op(buf: &mut Vec<u8>, tag: u8, id: u32, bytes: &[&[u8]]) {
    buf.push(tag);
    buf.extend_from_slice(&id.to_le_bytes());
    for b in bytes {
        buf.extend_from_slice(&(b.len() as u32).to_le_bytes());
        buf.extend_from_slice(b);
    }
}

/// Runs batches of state operations, good and bad, for the first element of
/// a keyed batch, and returns one record per batch (its result as debug
/// text), packed.
fn state_batches() -> Vec<u8> {
    let id = state::register(&state::StateDescriptor {
        name: "v".into(),
        kind: state::StateKind::Value,
        ttl_ms: None,
    })
    .expect("registers");
    let mut batches = Vec::new();

    // Set and read; another element's, then back to the first.
    let mut ops = Vec::new();
    op(&mut ops, 3, id, &[b"one"]);
    op(&mut ops, 2, id, &[]);
    batches.push(ops);
    let mut ops = Vec::new();
    op(&mut ops, 0, 1, &[]);
    op(&mut ops, 2, id, &[]);
    batches.push(ops);
    let mut ops = Vec::new();
    op(&mut ops, 0, 0, &[]);
    op(&mut ops, 2, id, &[]);
    batches.push(ops);

    // A write, then an operation cut short: the write is applied.
    let mut ops = Vec::new();
    op(&mut ops, 3, id, &[b"two"]);
    ops.extend_from_slice(&[4, 0, 0]);
    batches.push(ops);
    let mut ops = Vec::new();
    op(&mut ops, 2, id, &[]);
    batches.push(ops);

    // A state never registered, an element that does not exist, an unknown
    // operation.
    let mut ops = Vec::new();
    op(&mut ops, 3, 999, &[b"x"]);
    batches.push(ops);
    let mut ops = Vec::new();
    op(&mut ops, 0, 77, &[]);
    batches.push(ops);
    batches.push(vec![200]);

    // An event-time timer at 100.
    let mut ops = vec![8, 0];
    ops.extend_from_slice(&100i64.to_le_bytes());
    batches.push(ops);

    // A value over 16 bytes comes back as a list.
    let mut ops = Vec::new();
    op(&mut ops, 3, id, &[b"seventeen bytes!!"]);
    op(&mut ops, 2, id, &[]);
    batches.push(ops);

    // A read before a write: refused, the read not done.
    let mut ops = Vec::new();
    op(&mut ops, 2, id, &[]);
    op(&mut ops, 3, id, &[b"three"]);
    batches.push(ops);

    let mut out = Vec::new();
    for ops in batches {
        let text = match state_batch::apply(&ops) {
            Ok(state_batch::Found::Nothing) => "Ok(Nothing)".to_owned(),
            Ok(state_batch::Found::Short((len, low, high))) => {
                let mut bytes = low.to_le_bytes().to_vec();
                bytes.extend_from_slice(&high.to_le_bytes());
                let tail = bytes.split_off(usize::from(len).min(16));
                let padded = tail.iter().all(|&b| b == 0);
                format!(
                    "Ok(Short({:?}, zero-padded: {padded}))",
                    String::from_utf8(bytes)
                )
            }
            Ok(state_batch::Found::Long(v)) => format!("Ok(Long({:?}))", String::from_utf8(v)),
            Err(e) => format!("Err({}, {:?})", e.index, e.error),
        };
        out.push(0);
        out.extend_from_slice(&(text.len() as u32).to_le_bytes());
        out.extend_from_slice(text.as_bytes());
    }
    out
}

export!(HostilePackedOperator);
