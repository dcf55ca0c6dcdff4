#![doc = include_str!("../README.md")]

wit_bindgen::generate!({
    world: "weir:operator/udf@0.2.0",
    path: ["../../../wit/operator@0.1.0", "../../../wit/operator@0.2.0"],
    generate_all,
});

use std::cell::Cell;

/// What `transform` returns; see the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The input, byte for byte.
    Echo,
    /// The input without its last byte.
    Truncated,
    /// The input with its first flags byte set to 0xff.
    BadFlags,
    /// One record with a 1 MiB value.
    Big,
}

impl Mode {
    /// The mode a config (a JSON string) names.
    pub fn parse(config: &str) -> Result<Mode, String> {
        match config.trim() {
            r#""echo""# => Ok(Mode::Echo),
            r#""truncated""# => Ok(Mode::Truncated),
            r#""bad-flags""# => Ok(Mode::BadFlags),
            r#""big""# => Ok(Mode::Big),
            other => Err(format!("unknown mode {other}")),
        }
    }

    /// What `transform` returns for `batch` in this mode.
    pub fn apply(self, mut batch: Vec<u8>) -> Vec<u8> {
        match self {
            Mode::Echo => batch,
            Mode::Truncated => {
                batch.pop();
                batch
            }
            Mode::BadFlags => {
                if let Some(flags) = batch.first_mut() {
                    *flags = 0xff;
                }
                batch
            }
            Mode::Big => {
                let value = vec![0u8; 1 << 20];
                let mut out = vec![0u8];
                out.extend_from_slice(&(value.len() as u32).to_le_bytes());
                out.extend_from_slice(&value);
                out
            }
        }
    }
}

thread_local! {
    static MODE: Cell<Mode> = const { Cell::new(Mode::Echo) };
}

/// The exported component.
pub struct HostilePacked;

impl Guest for HostilePacked {
    fn open(config: String) -> Result<(), String> {
        MODE.set(Mode::parse(&config)?);
        Ok(())
    }

    fn transform(batch: Vec<u8>) -> Result<Vec<u8>, String> {
        Ok(MODE.get().apply(batch))
    }
}

export!(HostilePacked);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_apply() {
        assert_eq!(Mode::parse(r#""echo""#), Ok(Mode::Echo));
        assert!(Mode::parse("{}").is_err());
        assert_eq!(Mode::Echo.apply(vec![0, 1, 2]), [0, 1, 2]);
        assert_eq!(Mode::Truncated.apply(vec![0, 1, 2]), [0, 1]);
        assert_eq!(Mode::BadFlags.apply(vec![0, 1]), [0xff, 1]);
        assert_eq!(Mode::Big.apply(vec![]).len(), 1 + 4 + (1 << 20));
    }
}
