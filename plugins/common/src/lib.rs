#![doc = include_str!("../README.md")]

mod input;
mod on_error;
mod path;

pub use input::{key_bytes, parse_json};
pub use on_error::{OnError, Skipped};
pub use path::{FieldPath, PathError};
