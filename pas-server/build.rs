//! Rebuild when anything under `web/` changes: the pages are embedded with rust-embed, which
//! tracks the files it embedded but not files added later.
fn main() {
    println!("cargo:rerun-if-changed=web");
    println!("cargo:rerun-if-changed=migrations");
}
