//! # pas-ffi
//!
//! PAS for EMR vendors and other foreign callers: [UniFFI] bindings to `pas-core` for Python,
//! Kotlin (JVM/Android) and Swift. This crate is a translation layer only: every rule is
//! pas-core's, and each function here converts foreign values in, calls pas-core, and converts
//! the answer (or error) out.
//!
//! Surface (names as in Python; Kotlin and Swift use camelCase):
//! * §1 PHN: `parse_phn`, `mask_phn`, and the batch calls `check_phns` (a list in, one
//!   [`PhnCheck`] per PHN out), `count_valid_phns`, and `check_phn_lines` (one text of lines in,
//!   one byte per line out: the fastest, since a foreign list costs a conversion per item).
//! * §1–§4 registrations: `validate_registration`, `validate_household` (raise
//!   `PasError.InvalidRecord` carrying every field issue), `check_registrations` (batch; a
//!   verdict per record, never raises per record), `assess_person` (tier and complexity with
//!   the rule that fired and a plain-language explanation), `check_eligibility` (§3).
//! * §5–§7 `run_match` over `patients.csv` / `providers.csv` paths.
//! * §8 panels: `validate_panel_file` / `validate_panel_bytes` (a `panel.csv` or a FHIR R4
//!   Bundle/Group; optional `patients.csv` registry for `demographic_mismatch` and `attached`;
//!   an optional foreign [`PanelProgress`](panel::PanelProgress) callback) give the §8
//!   [`PanelReport`](panel::PanelReport) with every finding and the report's JSON;
//!   `panel_file_to_fhir` / `panel_bytes_to_fhir` export the accepted rows as a FHIR Group.
//! * §9 [`Journey`](attachment::Journey): immutable attachment journey; `transition` returns the
//!   next journey and its effects.
//! * §10 [`Parties`](endorsement::Parties) and [`EndorsementBook`](endorsement::EndorsementBook).
//!
//! Errors are one enum, [`PasError`], with stable codes: Python raises `PasError.InvalidField`
//! (a subclass of `PasError`, itself an `Exception`), Kotlin throws `PasException.InvalidField`
//! (a sealed class), Swift throws `PasError.invalidField`.
//!
//! ## Why wrapper types, not `#[uniffi::remote]` or derives in pas-core
//!
//! pas-core stays free of binding attributes (it is also compiled to WebAssembly and used by
//! the server). Of the two ways to export without touching it, this crate uses **wrapper
//! types** with one explicit conversion each, because:
//! * most pas-core types cannot be exported as they are: `Phn` is a `u64` inside, `Journey`
//!   and `EndorsementBook` have private fields, `MatchRow<'p>` borrows, the rule enums are
//!   `#[non_exhaustive]` and carry data that foreign code wants as a code string;
//!   `#[uniffi::remote]` needs a field-for-field public mirror of the type;
//! * the foreign API is a contract with EMR vendors that should change only on purpose: a
//!   wrapper decides names (`detail`, not `message`, which clashes with Kotlin's
//!   `Throwable.message`), defaults (`RegistrationInput` fields may be omitted) and types
//!   (`SystemTime` ⇒ Python `datetime`, Kotlin `java.time.Instant`), while pas-core stays free to
//!   refactor;
//! * conversions name every field (no `..Default::default()`), so a field added to pas-core's
//!   `RegistrationInput` fails to compile here rather than being silently dropped.
//!
//! ## Building the bindings
//!
//! `bash pas-ffi/test.sh` builds the cdylib, generates Python, Kotlin and Swift bindings with
//! this crate's own `uniffi-bindgen` binary (same uniffi version, no global install) and runs
//! the Python and Kotlin tests. By hand:
//!
//! ```sh
//! cargo build -p pas-ffi
//! cargo run -p pas-ffi --bin uniffi-bindgen -- generate --library target/debug/libpas_ffi.so \
//!     --language python --out-dir out/
//! ```
//!
//! [UniFFI]: https://mozilla.github.io/uniffi-rs/

uniffi::setup_scaffolding!();

pub mod attachment;
pub mod endorsement;
pub mod error;
pub mod matching;
pub mod panel;
pub mod validation;
pub mod workflow;

pub use error::{FieldIssue, PasError};
pub use validation::PhnCheck;
