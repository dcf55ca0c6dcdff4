//! Keyed state backends (heap; RocksDB later) and the timer service.
