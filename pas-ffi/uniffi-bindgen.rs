//! The UniFFI bindings generator, built from this workspace at the same uniffi version as
//! `pas-ffi` (see `pas-ffi/test.sh`).
fn main() {
    uniffi::uniffi_bindgen_main()
}
