# Sourced by the scripts: one persistent place for host and guest builds, outside
# the checkout, so a second run (and CI on the same machine) reuses them.
# Override with CARGO_TARGET_DIR / WEIR_GUEST_TARGET_DIR.
WEIR_CACHE="${WEIR_CACHE:-$HOME/.cache/weir}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$WEIR_CACHE/target}"
export WEIR_GUEST_TARGET_DIR="${WEIR_GUEST_TARGET_DIR:-$WEIR_CACHE/guests}"
export WEIR_MODULE_PATH="$WEIR_GUEST_TARGET_DIR/components${WEIR_MODULE_PATH:+:$WEIR_MODULE_PATH}"
