# Sourced by the scripts: one persistent place for host and guest builds, outside
# the checkout, so a second run (and CI on the same machine) reuses them.
# Override with CARGO_TARGET_DIR / WEIR_GUEST_TARGET_DIR.
WEIR_CACHE="${WEIR_CACHE:-$HOME/.cache/weir}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$WEIR_CACHE/target}"
export WEIR_GUEST_TARGET_DIR="${WEIR_GUEST_TARGET_DIR:-$WEIR_CACHE/guests}"
export WEIR_MODULE_PATH="$WEIR_GUEST_TARGET_DIR/components${WEIR_MODULE_PATH:+:$WEIR_MODULE_PATH}"
# weir-state-rocksdb links Debian's librocksdb (installed by install-toolchain.sh)
# instead of building RocksDB from source (~24 min); see host/state-rocksdb/README.md.
export ROCKSDB_LIB_DIR="${ROCKSDB_LIB_DIR:-/usr/lib/$(uname -m)-linux-gnu}"
export ROCKSDB_INCLUDE_DIR="${ROCKSDB_INCLUDE_DIR:-/usr/include}"
