//! Builds guest crates into Wasm components, with a rustup wasm target or the Debian toolchain.
