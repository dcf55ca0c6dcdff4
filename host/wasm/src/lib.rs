//! The Wasm side of a worker: engine, component cache, sandboxed instances and the host side of the WIT imports.
