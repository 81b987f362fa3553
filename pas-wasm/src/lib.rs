//! # pas-wasm
//!
//! PAS's rules for JavaScript — web forms (the HCR registration form, clinic and provider
//! pages) and Node.js — through wasm-bindgen. A thin translation of pas-core: every rule and
//! every code is pas-core's; this crate converts JS values to pas-core's types and back and
//! turns refusals into JS `Error`s with a `code`.
//!
//! Conventions (see `pas-wasm/README.md`):
//! * Functions are camelCase (`validateRegistration`); objects are plain JS objects whose keys
//!   are DOMAIN §7's names (`birth_date`), so an error's `field` names the input key.
//! * Validation *returns* `{valid, errors}` with every field error — a form shows them all as
//!   the user types; nothing is thrown for invalid data.
//! * Everything else throws an `Error` (`name` `PasError`) with `code` (and `field`, `errors`,
//!   `state`, `event` when they apply) — never a string to parse.
//! * `asOf` (`YYYY-MM-DD`) is optional and defaults to today (UTC) from the JS clock;
//!   transitions take `now` (RFC 3339) explicitly, so every result can be replayed.
//!
//! The TypeScript types come from [`ts`] (tsify). Every module has `validatePanelCsv` (§8);
//! feature `workflow` adds the §9/§10 transition functions, `matching` adds `matchProvince`
//! and `fhir` adds `validatePanelFhir` and `panelToFhirGroup`; `build.sh` builds the forms
//! module without them and a second, "full" module with all three, so that forms stay small.

pub mod api;
#[cfg(feature = "matching")]
pub mod matching;
pub mod ts;

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;

use api::ApiError;

/// The JS `Error` for an [`ApiError`]: `message`, `name` = `PasError`, `code`, and `field`,
/// `errors`, `state`, `event` when they apply.
fn js_error(e: &ApiError) -> JsValue {
    let err = js_sys::Error::new(&e.message());
    err.set_name("PasError");
    let set = |key: &str, value: &JsValue| {
        // Setting a property on a fresh Error object cannot fail.
        let _ = js_sys::Reflect::set(&err, &JsValue::from_str(key), value);
    };
    set("code", &JsValue::from_str(e.code()));
    if let Some(field) = e.field() {
        set("field", &JsValue::from_str(field));
    }
    match e {
        ApiError::Validation(errors) => set("errors", &to_js(errors).unwrap_or(JsValue::UNDEFINED)),
        ApiError::Transition(t) => {
            if let Ok(details) = to_js(t) {
                for key in ["state", "event"] {
                    if let Ok(v) = js_sys::Reflect::get(&details, &JsValue::from_str(key)) {
                        if !v.is_undefined() {
                            set(key, &v);
                        }
                    }
                }
            }
        }
        _ => {}
    }
    err.into()
}

/// Serialize to a plain JS object (maps as objects, `None` as `null`).
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| js_error(&ApiError::argument("invalid_input", "result", e.to_string())))
}

/// Deserialize argument `name` into a pas-core type; a wrong shape is `invalid_input`.
fn from_js<T: DeserializeOwned>(value: JsValue, name: &str) -> Result<T, JsValue> {
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| js_error(&ApiError::argument("invalid_input", name, format!("{name}: {e}"))))
}

/// The fields of [`pas_core::RegistrationInput`], by their JS keys.
const INPUT_FIELDS: [&str; 24] = pas_core::RegistrationInput::FIELDS;

thread_local! {
    /// [`INPUT_FIELDS`] as JS strings, made once: forms validate on every keystroke.
    static INPUT_KEYS: Vec<JsValue> = INPUT_FIELDS.iter().map(|k| JsValue::from_str(k)).collect();
}

/// A registration input from a JS object: each known key read directly (the generic serde
/// path converts every key of the object to a Rust string first, which costs more than the
/// validation). Absent, `undefined` or `null` = blank; any other non-string is `invalid_input`;
/// other keys are ignored.
fn registration_input(value: &JsValue, name: &str) -> Result<pas_core::RegistrationInput, JsValue> {
    let bad = |what: String| js_error(&ApiError::argument("invalid_input", name, what));
    if !value.is_object() {
        return Err(bad(format!("{name} must be an object of strings")));
    }
    let mut input = pas_core::RegistrationInput::default();
    INPUT_KEYS.with(|keys| {
        for (i, key) in keys.iter().enumerate() {
            let v = js_sys::Reflect::get(value, key).unwrap_or(JsValue::UNDEFINED);
            if v.is_undefined() || v.is_null() {
                continue;
            }
            match (v.as_string(), input.field_mut(i)) {
                (Some(text), Some(slot)) => *slot = text,
                _ => return Err(bad(format!("{name}.{} must be a string", INPUT_FIELDS[i]))),
            }
        }
        Ok(input)
    })
}

fn ok<T: Serialize>(r: Result<T, ApiError>) -> Result<JsValue, JsValue> {
    r.map_err(|e| js_error(&e)).and_then(|v| to_js(&v))
}

/// `asOf` or today (UTC) by the JS clock.
fn as_of(raw: Option<String>) -> Result<chrono::NaiveDate, JsValue> {
    match raw {
        Some(s) => api::parse_as_of(&s).map_err(|e| js_error(&e)),
        None => {
            let now = js_sys::Date::new_0();
            let date = chrono::NaiveDate::from_ymd_opt(
                now.get_utc_full_year() as i32,
                now.get_utc_month() + 1,
                now.get_utc_date(),
            );
            date.ok_or_else(|| js_error(&ApiError::argument("invalid_as_of", "asOf", "the clock gives no date")))
        }
    }
}

/// The canonical 10 digits of a PHN (DOMAIN §1; spaces removed). Throws a `PasError` with
/// `code` `invalid_phn` (or `missing_field` when blank) and `field` `phn`.
#[wasm_bindgen(js_name = parsePhn)]
pub fn parse_phn(text: &str) -> Result<String, JsValue> {
    api::parse_phn(text).map_err(|e| js_error(&e))
}

/// Validate one registration (DOMAIN §1–§2): `{valid, errors}` with every field error. Does
/// not throw for invalid data (only for an argument that is not an object of strings).
#[wasm_bindgen(js_name = validateRegistration, unchecked_return_type = "ValidationResult")]
pub fn validate_registration(
    #[wasm_bindgen(unchecked_param_type = "RegistrationInput")] input: JsValue,
    #[wasm_bindgen(js_name = asOf)] as_of_date: Option<String>,
) -> Result<JsValue, JsValue> {
    let input = registration_input(&input, "input")?;
    to_js(&api::validate_registration(&input, as_of(as_of_date)?))
}

/// Validate a household as entered on the HCR form (DOMAIN §2): members' errors as
/// `members[i].field`, plus `household_mismatch`, `duplicate_registration_id`,
/// `duplicate_phn`, `empty_household`, `too_many_members` (more than 15).
#[wasm_bindgen(js_name = validateHousehold, unchecked_return_type = "ValidationResult")]
pub fn validate_household(
    #[wasm_bindgen(unchecked_param_type = "RegistrationInput[]")] members: JsValue,
    #[wasm_bindgen(js_name = asOf)] as_of_date: Option<String>,
) -> Result<JsValue, JsValue> {
    if !js_sys::Array::is_array(&members) {
        return Err(js_error(&ApiError::argument(
            "invalid_input",
            "members",
            "members must be an array of registration inputs",
        )));
    }
    let members = js_sys::Array::from(&members)
        .iter()
        .enumerate()
        .map(|(i, m)| registration_input(&m, &format!("members[{i}]")))
        .collect::<Result<Vec<_>, _>>()?;
    to_js(&api::validate_household(&members, as_of(as_of_date)?))
}

/// Tier and complexity at `asOf` with the rules that fired and the tier's plain-language
/// explanation (DOMAIN §4). Throws `validation` (with `errors`) for a bad birth date or need.
#[wasm_bindgen(js_name = assessPerson, unchecked_return_type = "Assessment")]
pub fn assess_person(
    #[wasm_bindgen(unchecked_param_type = "PersonInput")] person: JsValue,
    #[wasm_bindgen(js_name = asOf)] as_of_date: Option<String>,
) -> Result<JsValue, JsValue> {
    let person: api::PersonInput = from_js(person, "person")?;
    ok(api::assess_person(&person, as_of(as_of_date)?))
}

/// Whether a registration may wait (DOMAIN §3), with every reason in §3's order; an invalid
/// field is one more reason (its own code).
#[wasm_bindgen(js_name = eligibility, unchecked_return_type = "EligibilityResult")]
pub fn eligibility(
    #[wasm_bindgen(unchecked_param_type = "RegistrationInput")] input: JsValue,
    #[wasm_bindgen(js_name = asOf)] as_of_date: Option<String>,
) -> Result<JsValue, JsValue> {
    let input = registration_input(&input, "input")?;
    to_js(&api::eligibility(&input, as_of(as_of_date)?))
}

#[cfg(feature = "workflow")]
/// A new attachment journey (DOMAIN §9), waiting since `registeredAt` (RFC 3339).
#[wasm_bindgen(js_name = journeyNew, unchecked_return_type = "Journey")]
pub fn journey_new(
    #[wasm_bindgen(js_name = registrationId)] registration_id: &str,
    #[wasm_bindgen(js_name = registeredAt)] registered_at: &str,
) -> Result<JsValue, JsValue> {
    ok(api::journey_new(registration_id, registered_at))
}

#[cfg(feature = "workflow")]
/// Apply `event` at `now` (RFC 3339) to `journey` (DOMAIN §9): `{journey, effects}`. The
/// input is not changed. A refusal throws `invalid_transition` / `not_allowed` / `not_due`
/// with `state` and `event`.
#[wasm_bindgen(js_name = journeyTransition, unchecked_return_type = "JourneyTransition")]
pub fn journey_transition(
    #[wasm_bindgen(unchecked_param_type = "Journey")] journey: JsValue,
    #[wasm_bindgen(unchecked_param_type = "JourneyEvent")] event: JsValue,
    now: &str,
) -> Result<JsValue, JsValue> {
    let journey: pas_core::attachment::Journey = from_js(journey, "journey")?;
    let event: pas_core::attachment::JourneyEvent = from_js(event, "event")?;
    ok(api::journey_transition(&journey, &event, now))
}

#[cfg(feature = "workflow")]
/// Apply an endorsement event at `now` (DOMAIN §10) to `book`, with the directory of
/// `parties` as it is now: `{book, effects}`. Throws `duplicate`, `self_endorsement`,
/// `not_allowed`, `invalid_transition`, `unknown_token`, `token_used` or `not_found`.
#[wasm_bindgen(js_name = endorsementApply, unchecked_return_type = "BookTransition")]
pub fn endorsement_apply(
    #[wasm_bindgen(unchecked_param_type = "EndorsementBook")] book: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Party[]")] parties: JsValue,
    #[wasm_bindgen(unchecked_param_type = "EndorsementEvent")] event: JsValue,
    now: &str,
) -> Result<JsValue, JsValue> {
    let book: pas_core::endorsement::EndorsementBook = from_js(book, "book")?;
    let parties: Vec<pas_core::endorsement::Party> = from_js(parties, "parties")?;
    let event: pas_core::endorsement::EndorsementEvent = from_js(event, "event")?;
    ok(api::endorsement_apply(&book, parties, &event, now))
}

#[cfg(feature = "workflow")]
/// The daily endorsement run at `now` (DOMAIN §10): reminders and expiries, `{book, effects}`.
#[wasm_bindgen(js_name = endorsementTick, unchecked_return_type = "BookTransition")]
pub fn endorsement_tick(
    #[wasm_bindgen(unchecked_param_type = "EndorsementBook")] book: JsValue,
    now: &str,
) -> Result<JsValue, JsValue> {
    let book: pas_core::endorsement::EndorsementBook = from_js(book, "book")?;
    ok(api::endorsement_tick(&book, now))
}

#[cfg(feature = "workflow")]
/// May unlicensed `staff` act in PAS for licensed `licensed` now (DOMAIN §10 MOA role)?
#[wasm_bindgen(js_name = endorsementAccess, unchecked_return_type = "AccessResult")]
pub fn endorsement_access(
    #[wasm_bindgen(unchecked_param_type = "EndorsementBook")] book: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Party[]")] parties: JsValue,
    staff: &str,
    licensed: &str,
) -> Result<JsValue, JsValue> {
    let book: pas_core::endorsement::EndorsementBook = from_js(book, "book")?;
    let parties: Vec<pas_core::endorsement::Party> = from_js(parties, "parties")?;
    to_js(&api::endorsement_access(&book, parties, staff, licensed))
}

/// A what-if match run (DOMAIN §5–§7) on `patients.csv` and `providers.csv` text, on one
/// thread: `{matches, ineligible, errors, warnings, report}`. Meant for a few thousand rows.
/// Throws `invalid_csv` (`field` `patients`/`providers`) for a file that is not usable CSV.
#[cfg(feature = "matching")]
#[wasm_bindgen(js_name = matchProvince, unchecked_return_type = "MatchOutcome")]
pub fn match_province(
    #[wasm_bindgen(js_name = patientsCsv)] patients_csv: &str,
    #[wasm_bindgen(js_name = providersCsv)] providers_csv: &str,
    #[wasm_bindgen(unchecked_optional_param_type = "MatchOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let options: ts::MatchOptions = match options {
        Some(o) if !o.is_null() => from_js(o, "options")?,
        _ => ts::MatchOptions::default(),
    };
    let as_of = as_of(options.as_of)?;
    let inputs = matching::read_inputs(patients_csv, providers_csv, as_of).map_err(|e| js_error(&e))?;
    matching::run(inputs, options.seed.unwrap_or(0), as_of, |outcome| to_js(&outcome))
}

/// A panel file argument: a string (text) or a `Uint8Array` (the file's bytes, e.g.
/// `new Uint8Array(await file.arrayBuffer())`, so that bytes that are not UTF-8 are reported
/// as `invalid_encoding` on their field instead of being replaced).
fn panel_bytes(input: &JsValue) -> Result<Vec<u8>, JsValue> {
    if let Some(text) = input.as_string() {
        return Ok(text.into_bytes());
    }
    match input.dyn_ref::<js_sys::Uint8Array>() {
        Some(bytes) => Ok(bytes.to_vec()),
        None => Err(js_error(&ApiError::argument(
            "invalid_input",
            "input",
            "input must be a string or a Uint8Array",
        ))),
    }
}

/// The `asOf` of panel options (absent or `null` options: today, UTC). An unknown key is
/// `invalid_input`: serde-wasm-bindgen reads only the declared keys, so `{asOf: …}` would
/// otherwise silently validate as of today.
fn panel_as_of(options: Option<JsValue>) -> Result<chrono::NaiveDate, JsValue> {
    let options: ts::PanelOptions = match options {
        Some(o) if !o.is_null() && !o.is_undefined() => {
            if let Some(object) = o.dyn_ref::<js_sys::Object>() {
                if let Some(key) = js_sys::Object::keys(object)
                    .iter()
                    .filter_map(|k| k.as_string())
                    .find(|k| k != "as_of")
                {
                    return Err(js_error(&ApiError::argument(
                        "invalid_input",
                        "options",
                        format!("options: unknown key {key:?}; the only option is as_of"),
                    )));
                }
            }
            from_js(o, "options")?
        }
        _ => ts::PanelOptions::default(),
    };
    as_of(options.as_of)
}

/// Validate a practitioner's `panel.csv` (DOMAIN §7–§8) as of `options.as_of`: the §8 report
/// `{rows, accepted, rejected, errors, warnings, conflicts, mismatches, attached}` exactly as
/// pas-core (and `pas validate-panel`) makes it, PHNs masked; `line` is the physical line where
/// the record starts (header = 1). No registry is consulted, so `mismatches` and `attached` are
/// empty. Throws `missing_columns`, `empty_file` or `malformed_csv` (`field` `input`) for a
/// file that is not a usable panel, `invalid_input` for an argument of the wrong type.
#[wasm_bindgen(js_name = validatePanelCsv, unchecked_return_type = "PanelReport")]
pub fn validate_panel_csv(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] input: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "PanelOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let bytes = panel_bytes(&input)?;
    ok(api::validate_panel_csv(&bytes, panel_as_of(options)?))
}

/// Validate a FHIR R4 panel (DOMAIN §8: a `message` or `collection` Bundle, or a standalone
/// Group of type `person`): the same report and codes as `validatePanelCsv`, each finding
/// located by `entry` (index) and `pointer` (JSON pointer) instead of `line`. Throws
/// `invalid_json`, `invalid_fhir`, `not_a_panel`, `unsupported_bundle_type` or `no_group`.
#[cfg(feature = "fhir")]
#[wasm_bindgen(js_name = validatePanelFhir, unchecked_return_type = "PanelReport")]
pub fn validate_panel_fhir(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] input: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "PanelOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let bytes = panel_bytes(&input)?;
    ok(api::validate_panel_fhir(&bytes, panel_as_of(options)?))
}

/// The accepted rows of a `panel.csv` (validated as `validatePanelCsv` does) as FHIR R4 JSON
/// text, byte for byte what `pas` writes: a standalone `Group` for one practitioner, a
/// `collection` Bundle of Groups for several. A string, ready to download or POST
/// (`JSON.parse` it for an object). Throws as `validatePanelCsv` does.
#[cfg(feature = "fhir")]
#[wasm_bindgen(js_name = panelToFhirGroup)]
pub fn panel_to_fhir_group(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] input: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "PanelOptions")] options: Option<JsValue>,
) -> Result<String, JsValue> {
    let bytes = panel_bytes(&input)?;
    api::panel_to_fhir(&bytes, panel_as_of(options)?).map_err(|e| js_error(&e))
}
