# Sourced by pas-ffi's scripts: where things are. Defines ROOT (workspace), FFI (this folder),
# TARGET (cargo's target directory: $CARGO_TARGET_DIR if set, else what cargo metadata says),
# PROFILE (cargo profile: $PAS_FFI_PROFILE, default dev as in CI), LIB (that profile's cdylib)
# and BINDGEN (the workspace's uniffi-bindgen binary, same profile).
FFI=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$FFI/.." && pwd)
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    TARGET=$(cd "$ROOT" && mkdir -p "$CARGO_TARGET_DIR" && cd "$CARGO_TARGET_DIR" && pwd)
else
    TARGET=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
fi
PROFILE=${PAS_FFI_PROFILE:-dev}
case "$PROFILE" in
    dev | test) out_dir="$TARGET/debug" ;;
    bench) out_dir="$TARGET/release" ;;
    *) out_dir="$TARGET/$PROFILE" ;;
esac
case "$(uname -s)" in
    Darwin) LIB="$out_dir/libpas_ffi.dylib" ;;
    *) LIB="$out_dir/libpas_ffi.so" ;;
esac
BINDGEN="$out_dir/uniffi-bindgen"
unset out_dir
export FFI ROOT TARGET PROFILE LIB BINDGEN
