#![doc = include_str!("../README.md")]

mod builder;
mod cargo_build;
mod command;
mod componentize;
mod error;
mod toolchain;
mod workspace;

pub use builder::{BuiltGuest, GuestBuilder};
pub use command::PROFILE_ENV;
pub use componentize::{component_exports, componentize};
pub use error::BuildError;
pub use toolchain::{Route, Toolchain, WASM_TARGET};
pub use workspace::GuestPackage;
