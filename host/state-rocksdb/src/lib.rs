#![doc = include_str!("../README.md")]

mod backend;
mod cache;
mod canonical;
mod error;
mod keyed;
mod layout;
mod native;
mod options;
mod restore;

pub use backend::RocksDbBackend;
pub use error::{Result, RocksDbError};
pub use layout::NATIVE_FORMAT;
pub use native::MARKER_FILE;
pub use options::RocksDbOptions;
pub use restore::NativeRestore;
