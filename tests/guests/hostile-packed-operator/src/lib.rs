#![doc = include_str!("../README.md")]

wit_bindgen::generate!({
    world: "weir:operator/operator@0.2.0",
    path: ["../../../wit/operator@0.1.0", "../../../wit/operator@0.2.0"],
    generate_all,
});

use weir::operator0_2_0::output;

/// A packed batch cut short: no key, no timestamp, a value of 5 bytes of
/// which 1 is there.
pub const BROKEN: [u8; 6] = [0, 5, 0, 0, 0, b'x'];

/// The exported component.
pub struct HostilePackedOperator;

impl Guest for HostilePackedOperator {
    fn open(_config: String) -> Result<(), OperatorError> {
        Ok(())
    }

    fn process(_batch: Vec<u8>) -> Result<(), OperatorError> {
        output::emit(&BROKEN).map_err(|e| OperatorError::Failed(format!("{e:?}")))
    }

    fn on_timer(_timers: Vec<u8>) -> Result<(), OperatorError> {
        Ok(())
    }

    fn close() -> Result<(), OperatorError> {
        Ok(())
    }
}

export!(HostilePackedOperator);
