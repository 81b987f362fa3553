//! FHIR R4 panels (DOMAIN §8): import of a Bundle or Group into the same checks, and export of
//! accepted rows as a Group.
//!
//! **Import.** [`read_fhir`] takes a `Bundle` of type `message` or `collection`, or a standalone
//! `Group`, and resolves it into panel rows; [`FhirPanel::check`] feeds them to a
//! [`PanelCheck`], so a FHIR panel gets exactly the codes a `panel.csv` would
//! ([`validate_fhir`] does both). Every `Group` of type `person` is a panel (several are
//! checked in entry order); each active `member` is one row:
//!
//! | panel field | FHIR |
//! |---|---|
//! | `msp_practitioner_number` | `Group.managingEntity` → `Practitioner.identifier` with system [`MSP_PRACTITIONER_SYSTEM`], else the first identifier whose `type.coding.code` is [`MSP_IDENTIFIER_TYPE`] (`MSP`); `managingEntity.identifier` (a logical reference) is read the same way |
//! | `phn` | `member.entity` → `Patient.identifier` with system [`PHN_SYSTEM`] |
//! | `family_name`, `given_name` | the `official` name, else the `usual` one, else the first that is not `old`/`maiden`; `given` joined with one space |
//! | `birth_date` | `Patient.birthDate` |
//! | `gender` | `Patient.gender` (FHIR's administrative-gender codes are §7's) |
//! | `postal_code` | `Patient.address[0].postalCode` |
//! | `last_visit_date` | `member.extension` [`LAST_VISIT_EXTENSION`] (`valueDate`, or the date of a `valueDateTime`), else `member.period.end` (its date) |
//!
//! Choices (DOMAIN §8 is silent):
//! * **Identifier systems.** The PHN system is §8's. BC publishes no naming system for the MSP
//!   practitioner (billing) number: the Provider and Location Registry's list has licence numbers
//!   (`…/ca-bc-license-physician`) and `https://health.gov.bc.ca/fhir/NamingSystem/ca-bc-msp-facility-id`
//!   for MSP *facility* numbers. [`MSP_PRACTITIONER_SYSTEM`] follows that pattern
//!   (`…/ca-bc-msp-practitioner-id`); because EMRs may already use another URI, an identifier
//!   typed `MSP` is accepted too. A licence number (type `PRN`) is never taken for it.
//! * **Last visit.** FHIR R4 has no element for it. PAS defines the member extension
//!   [`LAST_VISIT_EXTENSION`] (what [`export_fhir`] writes) and also reads `member.period.end`,
//!   which EMRs that repurpose the membership period send. A `dateTime` counts by its date as
//!   written (no time-zone shift).
//! * **References.** A `Bundle` entry is found by its `fullUrl` (exactly), or by `Type/id`
//!   (a relative reference, or the last two segments of an absolute one, `/_history/…` ignored);
//!   a contained resource by `#id` within its own `Group`. The first resource with a URL or id
//!   wins. A member whose `entity` does not resolve to a `Patient` is a row with every field
//!   blank (so it gets `missing_field`s), located at the member (`…/member/5`, with the Group's
//!   entry index; 0 for a standalone Group). A `Group` whose `managingEntity` does not resolve
//!   to an MSP number gives every row `missing_field` on `msp_practitioner_number`.
//! * **Locations.** A row is located at its `Patient`: the `Bundle` entry index and
//!   `/entry/3/resource`, or the index in `Group.contained` and `/entry/0/resource/contained/2`
//!   (`/contained/2` for a standalone Group).
//! * **Bundles.** A `message` Bundle's `MessageHeader` is read but not required or checked;
//!   the panel is every `Group` of type `person` among the entries, whatever `focus` says.
//! * **Inactive members** (`member.inactive: true`) are no longer on the panel: they are not rows
//!   ([`FhirPanel::inactive_members`] counts them). Patients no member references are ignored,
//!   as are Groups of another type and unknown resource types and fields.
//! * **Structural problems** stop the import with a [`FhirError`] (stable [`FhirError::code`]):
//!   `read_error`, `invalid_json`, `invalid_fhir` (well-formed JSON that is not FHIR R4, e.g. a
//!   missing `resourceType` or a field of the wrong JSON type), `not_a_panel` (neither a Bundle
//!   nor a Group), `unsupported_bundle_type`, `no_group`. Messages give a JSON pointer or a
//!   line and column, never the document's content.
//!
//! **Export.** [`export_fhir`] turns accepted rows into a standalone `Group` (type `person`,
//! `actual: true`, `managingEntity` → a contained `Practitioner` with the MSP identifier, one
//! contained `Patient` per row with the PHN identifier, official name, birth date, gender and
//! postal code, and the last visit as the member extension); rows of several practitioners
//! become a `collection` Bundle of such Groups. Importing an export gives the same accepted
//! rows and only the warnings the rows get anyway (e.g. `no_last_visit`).
//!
//! ```
//! use chrono::NaiveDate;
//! use pas_core::panel::fhir::validate_fhir;
//!
//! let group = r##"{"resourceType": "Group", "type": "person", "actual": true,
//!   "managingEntity": {"reference": "#dr"},
//!   "contained": [
//!     {"resourceType": "Practitioner", "id": "dr", "identifier": [
//!       {"system": "https://health.gov.bc.ca/fhir/NamingSystem/ca-bc-msp-practitioner-id", "value": "A1234"}]},
//!     {"resourceType": "Patient", "id": "p1", "identifier": [
//!       {"system": "https://fhir.infoway-inforoute.ca/NamingSystem/ca-bc-patient-healthcare-id", "value": "9698658215"}],
//!      "name": [{"use": "official", "family": "Lee", "given": ["Ann"]}], "birthDate": "1980-01-01"}],
//!   "member": [{"entity": {"reference": "#p1"}}, {"entity": {"reference": "#nobody"}}]}"##;
//! let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
//! let report = validate_fhir(group.as_bytes(), as_of, None)?;
//! assert_eq!((report.rows, report.accepted), (2, 1));
//! assert_eq!(report.warnings[0].at.to_string(), "/contained/1"); // no_last_visit
//! assert_eq!(report.errors[0].at.to_string(), "/member/1"); // missing_field
//! # Ok::<(), pas_core::panel::fhir::FhirError>(())
//! ```

use chrono::NaiveDate;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::{Read, Write};

use super::check::{Location, PanelCheck, PanelFields, PanelReport, PanelRow, PanelRowOwned};
use super::registry::Registry;
use crate::identifiers::PractitionerNumber;

/// The BC PHN identifier system (DOMAIN §8).
pub const PHN_SYSTEM: &str = "https://fhir.infoway-inforoute.ca/NamingSystem/ca-bc-patient-healthcare-id";

/// The identifier system PAS uses for the MSP practitioner number (see the module doc).
pub const MSP_PRACTITIONER_SYSTEM: &str = "https://health.gov.bc.ca/fhir/NamingSystem/ca-bc-msp-practitioner-id";

/// An identifier whose `type.coding.code` is this (any code system, case-insensitive) is also
/// read as the MSP practitioner number.
pub const MSP_IDENTIFIER_TYPE: &str = "MSP";

/// The `Group.member` extension carrying the last visit date (`valueDate`), defined by PAS.
pub const LAST_VISIT_EXTENSION: &str = "https://github.com/pas-bc/pas/fhir/StructureDefinition/last-visit-date";

// ---------------------------------------------------------------------------------------------
// FHIR R4 resources: only what PAS needs; unknown fields are ignored.
// ---------------------------------------------------------------------------------------------

/// A FHIR resource, dispatched on `resourceType`. Types PAS does not use are [`Resource::Other`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "resourceType")]
pub enum Resource {
    /// A `Bundle`.
    Bundle(Bundle),
    /// A `MessageHeader` (first entry of a `message` Bundle).
    MessageHeader(MessageHeader),
    /// A `Group`: a panel when its type is `person`.
    Group(Group),
    /// A `Patient`.
    Patient(Patient),
    /// A `Practitioner`.
    Practitioner(Practitioner),
    /// An `Organization` (e.g. the clinic).
    Organization(Organization),
    /// Any other resource type (ignored).
    #[serde(other)]
    Other,
}

impl Resource {
    /// The `resourceType` of a known resource.
    pub const fn resource_type(&self) -> Option<&'static str> {
        match self {
            Self::Bundle(_) => Some("Bundle"),
            Self::MessageHeader(_) => Some("MessageHeader"),
            Self::Group(_) => Some("Group"),
            Self::Patient(_) => Some("Patient"),
            Self::Practitioner(_) => Some("Practitioner"),
            Self::Organization(_) => Some("Organization"),
            Self::Other => None,
        }
    }
}

/// `Bundle`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    /// Logical id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `type`: PAS reads `message` and `collection`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub bundle_type: Option<String>,
    /// The entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<BundleEntry>,
}

/// `Bundle.entry`.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry {
    /// The resource's URL (references may use it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_url: Option<String>,
    /// The resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
}

impl fmt::Debug for BundleEntry {
    /// `fullUrl` may embed an identifier: only the resource (itself redacted) is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BundleEntry")
            .field("resource", &self.resource)
            .finish_non_exhaustive()
    }
}

/// `MessageHeader` (read only so that a `message` Bundle's first entry is recognized).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageHeader {
    /// Logical id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What the message is about (e.g. the Group).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub focus: Vec<Reference>,
}

/// `Organization` (e.g. the clinic sending the panel; not used by the checks).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    /// Logical id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Identifiers (e.g. an MSP facility number).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `Group`: a practitioner's panel when `type` is `person`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// Logical id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Contained resources (Practitioner, Patients), referenced as `#id`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contained: Vec<Resource>,
    /// `type`: `person` for a panel.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub group_type: Option<String>,
    /// Whether the Group lists actual people (true for a panel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<bool>,
    /// The practitioner whose panel this is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managing_entity: Option<Reference>,
    /// The patients.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub member: Vec<GroupMember>,
}

/// `Group.member`.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupMember {
    /// Extensions: [`LAST_VISIT_EXTENSION`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    /// The Patient.
    #[serde(default)]
    pub entity: Reference,
    /// Membership period (`end` is read as the last visit when the extension is absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// `true` when the patient is no longer a member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive: Option<bool>,
}

/// `Patient`.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Patient {
    /// Logical id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Identifiers: the PHN has system [`PHN_SYSTEM`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// Names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub name: Vec<HumanName>,
    /// `male | female | other | unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// Addresses (the first one's postal code is read).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub address: Vec<Address>,
}

/// `Practitioner`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Practitioner {
    /// Logical id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Identifiers: the MSP practitioner number (see the module doc).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    /// Names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub name: Vec<HumanName>,
}

/// `Identifier`.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identifier {
    /// `usual | official | temp | secondary | old`.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// The kind of identifier (e.g. code `MSP`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub identifier_type: Option<CodeableConcept>,
    /// The namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// `CodeableConcept`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeableConcept {
    /// Codes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    /// Plain text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// `Coding`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Coding {
    /// Code system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// Code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Display text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// `HumanName`.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HumanName {
    /// `usual | official | temp | nickname | anonymous | old | maiden`.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// The whole name as text (not split into the panel's fields).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Family name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// Given names, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub given: Vec<String>,
}

/// `Address` (only the postal code is used).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// `home | work | temp | old | billing`.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
}

/// `Reference`.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reference {
    /// `#id`, `Type/id`, an absolute URL or a Bundle entry's `fullUrl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// A logical reference (read for `managingEntity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    /// Display text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// `Period` (FHIR `dateTime`s, kept as text).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Period {
    /// Start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// End.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// `Extension` with the value types PAS reads.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Extension {
    /// What the extension means.
    #[serde(default)]
    pub url: String,
    /// `valueDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_date: Option<String>,
    /// `valueDateTime`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_date_time: Option<String>,
}

/// `Debug` that shows the type only: these carry PHI (names, PHN, birth date, address, dates)
/// or identifiers that may embed it.
macro_rules! redacted_debug {
    ($($ty:ident),+ $(,)?) => {$(
        impl fmt::Debug for $ty {
            /// PHI stays out of `Debug`.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($ty), "(<redacted>)"))
            }
        }
    )+};
}

redacted_debug!(
    GroupMember,
    Patient,
    Identifier,
    HumanName,
    Address,
    Reference,
    Period,
    Extension
);

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// A document that cannot be read as a FHIR panel at all (row problems are findings, not errors).
/// Messages carry a JSON pointer or a line and column, never the document's content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FhirError {
    /// The reader failed.
    #[error("the FHIR document could not be read ({kind})")]
    Read {
        /// What kind of I/O failure.
        kind: std::io::ErrorKind,
    },
    /// Not well-formed JSON.
    #[error("not JSON: syntax error at line {line}, column {column}")]
    Json {
        /// Line (1-based).
        line: usize,
        /// Column (1-based).
        column: usize,
    },
    /// Well-formed JSON that is not FHIR R4 as PAS reads it.
    #[error("{}: not a FHIR R4 resource as PAS reads it: {problem}", if .pointer.is_empty() { "document root" } else { .pointer.as_str() })]
    Shape {
        /// JSON pointer of the innermost resource that does not fit (`""` for the root).
        pointer: String,
        /// What is wrong (names a field or JSON type, never a value).
        problem: String,
    },
    /// The document is a resource other than a Bundle or a Group.
    #[error("/resourceType: {} is not a panel; expected a Bundle or a Group", .resource_type.unwrap_or("this resource type"))]
    NotPanel {
        /// The document's resource type, when PAS knows it.
        resource_type: Option<&'static str>,
    },
    /// A Bundle whose type is not `message` or `collection`.
    #[error("/type: Bundle type {} is not supported; expected message or collection", .bundle_type.unwrap_or("(missing or unknown)"))]
    BundleType {
        /// The Bundle's type, when it is a FHIR Bundle type code.
        bundle_type: Option<&'static str>,
    },
    /// No `Group` of type `person` (a Bundle without one, or a standalone Group of another type).
    #[error("{pointer}: no Group of type person (a panel is a Group with type person)")]
    NoGroup {
        /// Where one was expected: `/entry` for a Bundle, `/type` for a standalone Group.
        pointer: String,
    },
}

impl FhirError {
    /// Stable code: `read_error`, `invalid_json`, `invalid_fhir`, `not_a_panel`,
    /// `unsupported_bundle_type`, `no_group`.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Read { .. } => "read_error",
            Self::Json { .. } => "invalid_json",
            Self::Shape { .. } => "invalid_fhir",
            Self::NotPanel { .. } => "not_a_panel",
            Self::BundleType { .. } => "unsupported_bundle_type",
            Self::NoGroup { .. } => "no_group",
        }
    }

    /// From a failed parse of `bytes`; a data error is located at the innermost resource that
    /// does not fit (serde's own position is lost inside `resourceType`-tagged resources).
    fn from_json(e: &serde_json::Error, bytes: &[u8]) -> Self {
        match e.classify() {
            serde_json::error::Category::Io => Self::Read {
                kind: e.io_error_kind().unwrap_or(std::io::ErrorKind::Other),
            },
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => Self::Json {
                line: e.line(),
                column: e.column(),
            },
            serde_json::error::Category::Data => {
                let located = serde_json::from_slice::<serde_json::Value>(bytes)
                    .ok()
                    .and_then(|value| locate(&value, String::new()));
                match located {
                    Some((pointer, inner)) => Self::Shape {
                        pointer,
                        problem: data_problem(&inner),
                    },
                    None => Self::Shape {
                        pointer: String::new(),
                        problem: data_problem(e),
                    },
                }
            }
        }
    }
}

/// The innermost resource (entries and contained resources first) that is not a [`Resource`],
/// with its JSON pointer and serde's error.
fn locate(value: &serde_json::Value, pointer: String) -> Option<(String, serde_json::Error)> {
    if let Some(entries) = value.get("entry").and_then(serde_json::Value::as_array) {
        for (i, entry) in entries.iter().enumerate() {
            if let Some(found) = entry
                .get("resource")
                .and_then(|r| locate(r, format!("{pointer}/entry/{i}/resource")))
            {
                return Some(found);
            }
        }
    }
    if let Some(contained) = value.get("contained").and_then(serde_json::Value::as_array) {
        for (k, r) in contained.iter().enumerate() {
            if let Some(found) = locate(r, format!("{pointer}/contained/{k}")) {
                return Some(found);
            }
        }
    }
    Resource::deserialize(value).err().map(|e| (pointer, e))
}

/// serde's message for a data error without the offending value: serde_json's "invalid type:
/// string \"…\"" quotes it, so only the "expected …" part (from PAS's own types) is kept.
fn data_problem(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = text.rfind(" at line ").map_or(text.as_str(), |i| &text[..i]);
    if let Some(field) = text.strip_prefix("missing field ") {
        if field.len() <= 40 && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '`' || c == '_') {
            return format!("missing field {field}");
        }
    }
    match text.rfind(", expected ") {
        Some(i) if text.starts_with("invalid type") || text.starts_with("invalid value") => {
            format!("a value has the wrong JSON type ({})", &text[i + 2..])
        }
        _ => "the JSON does not have the shape of a FHIR resource".to_owned(),
    }
}

const BUNDLE_TYPES: [&str; 9] = [
    "document",
    "message",
    "transaction",
    "transaction-response",
    "batch",
    "batch-response",
    "history",
    "searchset",
    "collection",
];

// ---------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------

/// A FHIR panel document, resolved into rows and ready to check.
pub struct FhirPanel {
    patients: Vec<Patient>,
    groups: Vec<PanelGroup>,
    inactive: usize,
}

impl fmt::Debug for FhirPanel {
    /// Counts only: the patients are PHI.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FhirPanel")
            .field("groups", &self.groups.len())
            .field("rows", &self.rows())
            .field("inactive_members", &self.inactive)
            .finish()
    }
}

/// One `Group` of type `person`.
struct PanelGroup {
    /// The MSP number text, when `managingEntity` resolves to one.
    practitioner: Option<String>,
    members: Vec<Member>,
}

/// One active member: a row.
struct Member {
    /// Index in `FhirPanel::patients`; `None` when the reference does not resolve.
    patient: Option<usize>,
    /// The last visit as read from the member (blank when none).
    last_visit: String,
    /// The Patient's location, or the member's when unresolved.
    at: Location,
}

/// What a reference can resolve to.
#[derive(Clone, Copy)]
enum Target {
    /// Index in `FhirPanel::patients`, with its location index in `Builder::patient_at`.
    Patient(usize),
    /// The practitioner's MSP number, by index in `Builder::practitioners`.
    Practitioner(usize),
}

#[derive(Default)]
struct Builder {
    patients: Vec<Patient>,
    patient_at: Vec<Location>,
    practitioners: Vec<Option<String>>,
    groups: Vec<PanelGroup>,
    inactive: usize,
}

/// References → targets, first one wins.
type Index = FxHashMap<String, Target>;

fn register(index: &mut Index, key: String, target: Target) {
    index.entry(key).or_insert(target);
}

impl Builder {
    /// Takes a Patient or Practitioner; returns its target and `resourceType/id` key.
    fn add(&mut self, resource: Resource, entry: usize, pointer: String) -> Option<(Target, Option<String>)> {
        match resource {
            Resource::Patient(p) => {
                let key = p.id.as_deref().map(|id| format!("Patient/{}", id.trim()));
                self.patients.push(p);
                self.patient_at.push(Location::Entry { entry, pointer });
                Some((Target::Patient(self.patients.len() - 1), key))
            }
            Resource::Practitioner(p) => {
                let key = p.id.as_deref().map(|id| format!("Practitioner/{}", id.trim()));
                self.practitioners.push(msp_number(&p.identifier).map(str::to_owned));
                Some((Target::Practitioner(self.practitioners.len() - 1), key))
            }
            _ => None,
        }
    }

    /// Resolves a panel Group (`prefix` is its JSON pointer; `entry` its Bundle entry index).
    fn group(&mut self, group: Group, entry: usize, prefix: &str, bundle: Option<&Index>) {
        let mut local = Index::default();
        for (k, resource) in group.contained.into_iter().enumerate() {
            let id = match &resource {
                Resource::Patient(p) => p.id.clone(),
                Resource::Practitioner(p) => p.id.clone(),
                _ => None,
            };
            if let (Some((target, _)), Some(id)) = (self.add(resource, k, format!("{prefix}/contained/{k}")), id) {
                register(&mut local, format!("#{}", id.trim()), target);
            }
        }
        let practitioner = group.managing_entity.as_ref().and_then(|r| {
            match r.reference.as_deref().and_then(|text| resolve(text, &local, bundle)) {
                Some(Target::Practitioner(i)) => self.practitioners.get(i).cloned().flatten(),
                Some(Target::Patient(_)) => None,
                None => r
                    .identifier
                    .as_ref()
                    .and_then(|id| msp_number(std::slice::from_ref(id)))
                    .map(str::to_owned),
            }
        });
        let mut members = Vec::with_capacity(group.member.len());
        for (k, m) in group.member.iter().enumerate() {
            if m.inactive == Some(true) {
                self.inactive += 1;
                continue;
            }
            let target = m
                .entity
                .reference
                .as_deref()
                .and_then(|text| resolve(text, &local, bundle));
            members.push(match target {
                Some(Target::Patient(i)) => Member {
                    patient: Some(i),
                    last_visit: last_visit(m).to_owned(),
                    at: self.patient_at.get(i).cloned().unwrap_or(Location::Entry {
                        entry,
                        pointer: format!("{prefix}/member/{k}"),
                    }),
                },
                _ => Member {
                    patient: None,
                    last_visit: String::new(),
                    at: Location::Entry {
                        entry,
                        pointer: format!("{prefix}/member/{k}"),
                    },
                },
            });
        }
        self.groups.push(PanelGroup { practitioner, members });
    }

    fn finish(self) -> FhirPanel {
        FhirPanel {
            patients: self.patients,
            groups: self.groups,
            inactive: self.inactive,
        }
    }
}

/// Resolves `reference`: `#id` among `local`; else a `fullUrl`, else `Type/id` in `bundle`.
fn resolve(reference: &str, local: &Index, bundle: Option<&Index>) -> Option<Target> {
    let reference = reference.trim();
    if reference.starts_with('#') {
        return local.get(reference).copied();
    }
    let bundle = bundle?;
    if let Some(t) = bundle.get(reference) {
        return Some(*t);
    }
    let path = reference.find("/_history/").map_or(reference, |i| &reference[..i]);
    let mut segments = path.rsplit('/');
    let id = segments.next()?;
    let resource_type = segments.next()?;
    bundle.get(&format!("{resource_type}/{id}")).copied()
}

fn is_msp_typed(id: &Identifier) -> bool {
    id.identifier_type.as_ref().is_some_and(|t| {
        t.coding.iter().any(|c| {
            c.code
                .as_deref()
                .is_some_and(|code| code.trim().eq_ignore_ascii_case(MSP_IDENTIFIER_TYPE))
        })
    })
}

/// The MSP practitioner number among `ids` (see the module doc).
fn msp_number(ids: &[Identifier]) -> Option<&str> {
    ids.iter()
        .find(|id| id.system.as_deref().map(str::trim) == Some(MSP_PRACTITIONER_SYSTEM))
        .or_else(|| ids.iter().find(|id| is_msp_typed(id)))
        .and_then(|id| id.value.as_deref())
}

/// The date part of a FHIR `date` or `dateTime`.
fn date_part(text: &str) -> &str {
    let text = text.trim();
    text.find('T').map_or(text, |i| &text[..i])
}

/// The member's last visit: the PAS extension, else `period.end`; blank when neither.
fn last_visit(m: &GroupMember) -> &str {
    match m.extension.iter().find(|e| e.url.trim() == LAST_VISIT_EXTENSION) {
        Some(e) => e
            .value_date
            .as_deref()
            .or(e.value_date_time.as_deref())
            .map_or("", date_part),
        None => m.period.as_ref().and_then(|p| p.end.as_deref()).map_or("", date_part),
    }
}

/// The name to read: `official`, else `usual`, else the first that is not `old` or `maiden`.
fn panel_name(names: &[HumanName]) -> Option<&HumanName> {
    let with_use = |u: &str| names.iter().find(move |n| n.use_.as_deref().map(str::trim) == Some(u));
    with_use("official").or_else(|| with_use("usual")).or_else(|| {
        names
            .iter()
            .find(|n| !matches!(n.use_.as_deref().map(str::trim), Some("old" | "maiden")))
    })
}

/// Given names joined with one space (blank parts skipped).
fn joined_given(name: &HumanName) -> String {
    let mut out = String::new();
    for part in name.given.iter().map(|g| g.trim()).filter(|g| !g.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

/// Reads a FHIR panel (a `message` or `collection` Bundle, or a standalone Group) from any
/// reader. A UTF-8 BOM is accepted.
pub fn read_fhir<R: Read>(mut input: R) -> Result<FhirPanel, FhirError> {
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|e| FhirError::Read { kind: e.kind() })?;
    parse_fhir(&bytes)
}

/// [`read_fhir`] from bytes in memory.
pub fn parse_fhir(bytes: &[u8]) -> Result<FhirPanel, FhirError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let root: Resource = serde_json::from_slice(bytes).map_err(|e| FhirError::from_json(&e, bytes))?;
    let mut b = Builder::default();
    match root {
        Resource::Group(group) => {
            if !is_person(&group) {
                return Err(FhirError::NoGroup {
                    pointer: "/type".into(),
                });
            }
            b.group(group, 0, "", None);
        }
        Resource::Bundle(bundle) => {
            let kind = bundle.bundle_type.as_deref().map(str::trim);
            if !matches!(kind, Some("message" | "collection")) {
                return Err(FhirError::BundleType {
                    bundle_type: BUNDLE_TYPES.iter().copied().find(|t| Some(*t) == kind),
                });
            }
            let mut index = Index::default();
            let mut groups = Vec::new();
            for (i, entry) in bundle.entry.into_iter().enumerate() {
                let Some(resource) = entry.resource else {
                    continue;
                };
                if let Resource::Group(group) = resource {
                    if is_person(&group) {
                        groups.push((i, group));
                    }
                    continue;
                }
                if let Some((target, key)) = b.add(resource, i, format!("/entry/{i}/resource")) {
                    if let Some(url) = entry.full_url {
                        register(&mut index, url.trim().to_owned(), target);
                    }
                    if let Some(key) = key {
                        register(&mut index, key, target);
                    }
                }
            }
            if groups.is_empty() {
                return Err(FhirError::NoGroup {
                    pointer: "/entry".into(),
                });
            }
            for (i, group) in groups {
                b.group(group, i, &format!("/entry/{i}/resource"), Some(&index));
            }
        }
        other => {
            return Err(FhirError::NotPanel {
                resource_type: other.resource_type(),
            });
        }
    }
    Ok(b.finish())
}

fn is_person(group: &Group) -> bool {
    group.group_type.as_deref().map(str::trim) == Some("person")
}

impl FhirPanel {
    /// The number of rows: active members of every panel Group.
    pub fn rows(&self) -> usize {
        self.groups.iter().map(|g| g.members.len()).sum()
    }

    /// The number of panel Groups (type `person`).
    pub fn groups(&self) -> usize {
        self.groups.len()
    }

    /// Members marked `inactive` (not rows).
    pub fn inactive_members(&self) -> usize {
        self.inactive
    }

    /// Feeds every row (Groups in entry order, members in order) to `check`, calling `on_row`
    /// with each accepted one.
    pub fn check(&self, check: &mut PanelCheck<'_>, mut on_row: impl FnMut(PanelRow<'_>)) {
        for group in &self.groups {
            let msp = group.practitioner.as_deref().unwrap_or("");
            for m in &group.members {
                let Some(p) = m.patient.and_then(|i| self.patients.get(i)) else {
                    if let Some(row) = check.check(&m.at, &PanelFields::default()) {
                        on_row(row);
                    }
                    continue;
                };
                let name = panel_name(&p.name);
                let given = name.map(joined_given).unwrap_or_default();
                let fields = PanelFields {
                    msp_practitioner_number: msp,
                    phn: p
                        .identifier
                        .iter()
                        .find(|id| id.system.as_deref().map(str::trim) == Some(PHN_SYSTEM))
                        .and_then(|id| id.value.as_deref())
                        .unwrap_or(""),
                    family_name: name.and_then(|n| n.family.as_deref()).unwrap_or(""),
                    given_name: &given,
                    birth_date: p.birth_date.as_deref().map_or("", date_part),
                    gender: p.gender.as_deref().unwrap_or(""),
                    postal_code: p.address.first().and_then(|a| a.postal_code.as_deref()).unwrap_or(""),
                    last_visit_date: &m.last_visit,
                    not_text: 0,
                };
                if let Some(row) = check.check(&m.at, &fields) {
                    on_row(row);
                }
            }
        }
    }
}

/// Reads a FHIR panel and checks it as of `as_of`, reconciling with `registry` when given.
pub fn validate_fhir<R: Read>(
    input: R,
    as_of: NaiveDate,
    registry: Option<&Registry>,
) -> Result<PanelReport, FhirError> {
    let panel = read_fhir(input)?;
    let mut check = PanelCheck::new(as_of, registry);
    panel.check(&mut check, |_| {});
    Ok(check.finish())
}

// ---------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------

/// The panel of `practitioner` (or a Group without one) as a standalone FHIR Group: contained
/// `Practitioner` (`#practitioner`) and one contained `Patient` per row (`#p1`, `#p2`, …).
pub fn panel_group<'a, 'b: 'a>(
    practitioner: Option<PractitionerNumber>,
    rows: impl IntoIterator<Item = &'a PanelRow<'b>>,
) -> Group {
    let mut contained = Vec::new();
    let managing_entity = practitioner.map(|p| {
        contained.push(Resource::Practitioner(Practitioner {
            id: Some("practitioner".into()),
            identifier: vec![Identifier {
                system: Some(MSP_PRACTITIONER_SYSTEM.into()),
                value: Some(p.as_str().into()),
                ..Identifier::default()
            }],
            name: Vec::new(),
        }));
        Reference {
            reference: Some("#practitioner".into()),
            ..Reference::default()
        }
    });
    let mut member = Vec::new();
    for (n, row) in rows.into_iter().enumerate() {
        let id = format!("p{}", n + 1);
        contained.push(Resource::Patient(Patient {
            id: Some(id.clone()),
            identifier: vec![Identifier {
                system: Some(PHN_SYSTEM.into()),
                value: Some(row.phn.to_string()),
                ..Identifier::default()
            }],
            name: vec![HumanName {
                use_: Some("official".into()),
                family: Some(row.family_name.clone().into_owned()),
                given: vec![row.given_name.clone().into_owned()],
                ..HumanName::default()
            }],
            gender: row.gender.map(|g| g.code().to_owned()),
            birth_date: Some(row.birth_date.date().to_string()),
            address: row
                .postal_code
                .map(|pc| Address {
                    use_: Some("home".into()),
                    postal_code: Some(pc.to_string()),
                })
                .into_iter()
                .collect(),
        }));
        member.push(GroupMember {
            extension: row
                .last_visit
                .map(|d| Extension {
                    url: LAST_VISIT_EXTENSION.into(),
                    value_date: Some(d.to_string()),
                    value_date_time: None,
                })
                .into_iter()
                .collect(),
            entity: Reference {
                reference: Some(format!("#{id}")),
                ..Reference::default()
            },
            period: None,
            inactive: None,
        });
    }
    Group {
        id: Some(practitioner.map_or_else(|| "panel".to_owned(), |p| format!("panel-{p}"))),
        contained,
        group_type: Some("person".into()),
        actual: Some(true),
        managing_entity,
        member,
    }
}

/// Accepted rows as FHIR: one practitioner's rows (or none) as a standalone [`Group`]; rows of
/// several practitioners as a `collection` [`Bundle`] of one Group each, in order of each
/// practitioner's first row.
pub fn export_fhir(rows: &[PanelRowOwned]) -> Resource {
    let mut order: Vec<PractitionerNumber> = Vec::new();
    let mut by: FxHashMap<PractitionerNumber, Vec<&PanelRowOwned>> = FxHashMap::default();
    for row in rows {
        by.entry(row.practitioner)
            .or_insert_with(|| {
                order.push(row.practitioner);
                Vec::new()
            })
            .push(row);
    }
    let mut groups: Vec<Group> = order
        .iter()
        .map(|p| panel_group(Some(*p), by.get(p).into_iter().flatten().copied()))
        .collect();
    if groups.len() <= 1 {
        return Resource::Group(groups.pop().unwrap_or_else(|| panel_group(None, [])));
    }
    Resource::Bundle(Bundle {
        id: None,
        bundle_type: Some("collection".into()),
        entry: groups
            .into_iter()
            .map(|g| BundleEntry {
                full_url: None,
                resource: Some(Resource::Group(g)),
            })
            .collect(),
    })
}

/// Writes [`export_fhir`] of `rows` as pretty-printed JSON.
pub fn write_fhir<W: Write>(rows: &[PanelRowOwned], out: W) -> std::io::Result<()> {
    serde_json::to_writer_pretty(out, &export_fhir(rows)).map_err(std::io::Error::from)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::error::ErrorCode;

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn report(doc: &str) -> PanelReport {
        validate_fhir(doc.as_bytes(), as_of(), None).unwrap()
    }

    /// (pointer, field, code).
    type Located = Vec<(String, &'static str, &'static str)>;

    /// Errors then warnings.
    fn findings(r: &PanelReport) -> (Located, Located) {
        let f = |v: &[super::super::check::Finding]| {
            v.iter().map(|f| (f.at.to_string(), f.field, f.code.as_str())).collect()
        };
        (f(&r.errors), f(&r.warnings))
    }

    fn patient(id: &str, phn: &str, extra: &str) -> String {
        format!(
            r#"{{"resourceType": "Patient", "id": "{id}", "identifier": [{{"system": "{PHN_SYSTEM}", "value": "{phn}"}}],
              "name": [{{"use": "official", "family": "Lee", "given": ["Ann"]}}], "birthDate": "1980-01-01"{extra}}}"#
        )
    }

    fn practitioner(id: &str, identifier: &str) -> String {
        format!(r#"{{"resourceType": "Practitioner", "id": "{id}", "identifier": [{identifier}]}}"#)
    }

    fn msp(value: &str) -> String {
        format!(r#"{{"system": "{MSP_PRACTITIONER_SYSTEM}", "value": "{value}"}}"#)
    }

    fn ext(date: &str) -> String {
        format!(r#""extension": [{{"url": "{LAST_VISIT_EXTENSION}", "valueDate": "{date}"}}]"#)
    }

    #[test]
    fn standalone_group_rows_are_located_at_contained_patients() {
        let doc = format!(
            r##"{{"resourceType": "Group", "type": "person", "actual": true, "managingEntity": {{"reference": "#dr"}},
              "contained": [{}, {}, {}],
              "member": [{{"entity": {{"reference": "#a"}}, {}}}, {{"entity": {{"reference": "#b"}}}},
                         {{"entity": {{"reference": "#zzz"}}}}]}}"##,
            practitioner("dr", &msp("A1234")),
            patient("a", "9698658215", ""),
            patient("b", "123", ""),
            ext("2026-03-01"),
        );
        let r = report(&doc);
        assert_eq!((r.rows, r.accepted, r.rejected), (3, 1, 2));
        let (errors, warnings) = findings(&r);
        let s = |p: &str, f, c| (p.to_owned(), f, c);
        assert_eq!(
            errors,
            [
                s("/contained/2", "phn", "invalid_phn"),
                s("/member/2", "msp_practitioner_number", "missing_field"),
                s("/member/2", "phn", "missing_field"),
                s("/member/2", "family_name", "missing_field"),
                s("/member/2", "given_name", "missing_field"),
                s("/member/2", "birth_date", "missing_field"),
            ]
        );
        assert_eq!(
            warnings,
            [
                s("/contained/2", "last_visit_date", "no_last_visit"),
                s("/member/2", "last_visit_date", "no_last_visit"),
            ]
        );
        assert_eq!(
            r.errors[0].at,
            Location::Entry {
                entry: 2,
                pointer: "/contained/2".into()
            }
        );
    }

    #[test]
    fn bundle_references_by_full_url_relative_and_absolute() {
        let doc = format!(
            r#"{{"resourceType": "Bundle", "type": "collection", "entry": [
              {{"fullUrl": "urn:uuid:0b3c1e0a-0000-4000-8000-000000000001", "resource": {{"resourceType": "Group", "type": "person",
                "managingEntity": {{"reference": "Practitioner/dr"}},
                "member": [{{"entity": {{"reference": "urn:uuid:0b3c1e0a-0000-4000-8000-000000000002"}}}},
                           {{"entity": {{"reference": "Patient/b"}}}},
                           {{"entity": {{"reference": "https://emr.example/fhir/Patient/c/_history/3"}}}}]}}}},
              {{"fullUrl": "https://emr.example/fhir/Practitioner/dr", "resource": {}}},
              {{"fullUrl": "urn:uuid:0b3c1e0a-0000-4000-8000-000000000002", "resource": {}}},
              {{"resource": {}}},
              {{"fullUrl": "https://emr.example/fhir/Patient/c", "resource": {}}},
              {{"resource": {{"resourceType": "Observation", "status": "final"}}}}]}}"#,
            practitioner("dr", &msp("a1234")),
            patient("a", "9698658215", ""),
            patient("b", "9876543218", ""),
            patient("c", "9111111117", ""),
        );
        let panel = parse_fhir(doc.as_bytes()).unwrap();
        assert_eq!((panel.groups(), panel.rows()), (1, 3));
        let mut check = PanelCheck::new(as_of(), None);
        let mut accepted = Vec::new();
        panel.check(&mut check, |row| accepted.push(row.into_owned()));
        let r = check.finish();
        let (errors, warnings) = findings(&r);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            warnings.iter().map(|w| w.0.as_str()).collect::<Vec<_>>(),
            ["/entry/2/resource", "/entry/3/resource", "/entry/4/resource"]
        );
        assert_eq!(accepted.len(), 3);
        assert!(accepted.iter().all(|row| row.practitioner.as_str() == "A1234"));
    }

    #[test]
    fn practitioner_by_type_code_or_logical_identifier() {
        let typed = r#"{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "PRN"}]}, "value": "99999"},
                       {"type": {"coding": [{"code": "MSP"}]}, "value": "B2345"}"#;
        for managing in [
            r##"{"reference": "#dr"}"##.to_owned(),
            format!(r#"{{"identifier": {}}}"#, msp("B2345")),
        ] {
            let doc = format!(
                r##"{{"resourceType": "Group", "type": "person", "managingEntity": {managing},
                  "contained": [{}, {}], "member": [{{"entity": {{"reference": "#a"}}}}]}}"##,
                practitioner("dr", typed),
                patient("a", "9698658215", ""),
            );
            let panel = parse_fhir(doc.as_bytes()).unwrap();
            let mut check = PanelCheck::new(as_of(), None);
            let mut seen = Vec::new();
            panel.check(&mut check, |row| seen.push(row.practitioner));
            assert_eq!(seen.len(), 1);
            assert_eq!(seen[0].as_str(), "B2345");
        }
    }

    #[test]
    fn no_practitioner_is_missing_field_on_every_row() {
        let doc = format!(
            r##"{{"resourceType": "Group", "type": "person", "managingEntity": {{"reference": "#nope"}},
              "contained": [{}, {}], "member": [{{"entity": {{"reference": "#a"}}}}, {{"entity": {{"reference": "#b"}}}}]}}"##,
            patient("a", "9698658215", ""),
            patient("b", "9876543218", ""),
        );
        let r = report(&doc);
        let (errors, _) = findings(&r);
        assert_eq!(
            errors,
            [
                ("/contained/0".to_owned(), "msp_practitioner_number", "missing_field"),
                ("/contained/1".to_owned(), "msp_practitioner_number", "missing_field"),
            ]
        );
        // A licence number alone is not an MSP number either.
        let doc = doc.replace(r##""#nope""##, r##""#dr""##);
        let doc = doc.replace(
            r#""contained": ["#,
            &format!(
                r#""contained": [{}, "#,
                practitioner("dr", r#"{"system": "https://fhir.infoway-inforoute.ca/NamingSystem/ca-bc-license-physician", "value": "12345"}"#)
            ),
        );
        assert_eq!(report(&doc).count(ErrorCode::MissingField), 2);
    }

    #[test]
    fn names_last_visits_and_inactive_members() {
        let names = r#", "name": [{"use": "old", "family": "Old", "given": ["X"]},
                                  {"use": "usual", "family": "Usual", "given": ["Y"]},
                                  {"use": "official", "family": " Lee ", "given": ["Mary", " ", "Ann"]}]"#;
        let doc = format!(
            r##"{{"resourceType": "Group", "type": "person", "managingEntity": {{"reference": "#dr"}},
              "contained": [{}, {}, {}, {}],
              "member": [
                {{"entity": {{"reference": "#a"}}, "extension": [{{"url": "{LAST_VISIT_EXTENSION}", "valueDateTime": "2026-03-01T10:30:00-08:00"}}],
                  "period": {{"end": "2020-01-01"}}}},
                {{"entity": {{"reference": "#b"}}, "period": {{"start": "2019-01-01", "end": "2022-11-24T09:00:00Z"}}}},
                {{"entity": {{"reference": "#c"}}, "inactive": true}},
                {{"entity": {{"reference": "#c"}}, "inactive": false, {}}}]}}"##,
            practitioner("dr", &msp("A1234")),
            patient("a", "9698658215", names).replace(
                r#""name": [{"use": "official", "family": "Lee", "given": ["Ann"]}], "#,
                ""
            ),
            patient("b", "9876543218", ""),
            patient("c", "9111111117", ""),
            ext("2026-12-01"),
        );
        let panel = parse_fhir(doc.as_bytes()).unwrap();
        assert_eq!((panel.rows(), panel.inactive_members()), (3, 1));
        let mut check = PanelCheck::new(as_of(), None);
        let mut rows = Vec::new();
        panel.check(&mut check, |row| rows.push(row.into_owned()));
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].family_name.as_ref(), rows[0].given_name.as_ref()),
            ("Lee", "Mary Ann")
        );
        assert_eq!(rows[0].last_visit, NaiveDate::from_ymd_opt(2026, 3, 1));
        assert_eq!(rows[1].last_visit, NaiveDate::from_ymd_opt(2022, 11, 24));
        let r = check.finish();
        let (errors, warnings) = findings(&r);
        assert_eq!(
            errors,
            [("/contained/3".to_owned(), "last_visit_date", "future_last_visit")]
        );
        assert_eq!(
            warnings,
            [("/contained/2".to_owned(), "last_visit_date", "stale_last_visit")]
        );
    }

    #[test]
    fn structural_errors_have_codes_and_no_phi() {
        let cases: [(&str, &str); 9] = [
            ("", "invalid_json"),
            ("{\"resourceType\": \"Group\", ", "invalid_json"),
            ("[1, 2]", "invalid_fhir"),
            (r#"{"type": "person"}"#, "invalid_fhir"),
            (r#"{"resourceType": "Patient", "birthDate": 19800101}"#, "invalid_fhir"),
            (r#"{"resourceType": "Patient", "id": "9698658215"}"#, "not_a_panel"),
            (r#"{"resourceType": "Observation"}"#, "not_a_panel"),
            (
                r#"{"resourceType": "Bundle", "type": "searchset"}"#,
                "unsupported_bundle_type",
            ),
            (
                r#"{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Group", "type": "device"}}]}"#,
                "no_group",
            ),
        ];
        for (doc, code) in cases {
            let e = parse_fhir(doc.as_bytes()).unwrap_err();
            assert_eq!(e.code(), code, "{doc}: {e}");
            let text = e.to_string();
            assert!(!text.contains("19800101") && !text.contains("9698658215"), "{text}");
        }
        let e = parse_fhir(br#"{"resourceType": "Group", "type": "person", "member": [{"inactive": "Lee, Ann"}]}"#)
            .unwrap_err();
        assert_eq!(e.code(), "invalid_fhir");
        assert!(!e.to_string().contains("Lee"), "{e}");
        assert!(e.to_string().contains("expected a boolean"), "{e}");
        assert!(e.to_string().starts_with("document root: "), "{e}");
        let e = parse_fhir(
            br#"{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Group"}},
                {"resource": {"resourceType": "Patient", "birthDate": 19800101}}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            e,
            FhirError::Shape {
                pointer: "/entry/1/resource".into(),
                problem: "a value has the wrong JSON type (expected a string)".into()
            }
        );
        let e = parse_fhir(br#"{"resourceType": "Bundle", "type": "my secret 9698658215"}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/type: Bundle type (missing or unknown) is not supported; expected message or collection"
        );
        let e = parse_fhir(br#"{"resourceType": "Group", "type": "practitioner"}"#).unwrap_err();
        assert_eq!(
            e,
            FhirError::NoGroup {
                pointer: "/type".into()
            }
        );
        assert_eq!(
            parse_fhir(br#"{"resourceType": "Bundle", "type": "message", "entry": []}"#).unwrap_err(),
            FhirError::NoGroup {
                pointer: "/entry".into()
            }
        );
    }

    #[test]
    fn bom_and_unknown_fields_are_accepted() {
        let doc = format!(
            "\u{feff}{{\"resourceType\": \"Group\", \"type\": \"person\", \"meta\": {{\"x\": [1]}}, \"text\": {{\"div\": \"<div/>\"}}, \"member\": [], \"contained\": [{}]}}",
            patient(
                "a",
                "9698658215",
                r#", "telecom": [{"system": "phone"}], "deceasedBoolean": false"#
            )
        );
        let panel = parse_fhir(doc.as_bytes()).unwrap();
        assert_eq!((panel.groups(), panel.rows()), (1, 0));
    }

    #[test]
    fn debug_shows_no_phi() {
        let doc = format!(
            r##"{{"resourceType": "Group", "type": "person", "contained": [{}], "member": [{{"entity": {{"reference": "#a", "display": "Ann Lee"}}}}]}}"##,
            patient("a", "9698658215", r#", "address": [{"postalCode": "V8W 1P6"}]"#)
        );
        let root: Resource = serde_json::from_str(&doc).unwrap();
        let text = format!("{root:?} {:?}", parse_fhir(doc.as_bytes()).unwrap());
        for phi in ["9698658215", "Lee", "Ann", "1980", "V8W"] {
            assert!(!text.contains(phi), "{phi} in {text}");
        }
        assert!(text.contains("Patient(<redacted>)"), "{text}");
    }

    #[test]
    fn export_reads_back_as_the_same_rows() {
        let csv = "msp_practitioner_number,phn,family_name,given_name,birth_date,gender,postal_code,last_visit_date\n\
                   A1234,9698658215,Lee,Mary Ann,1980-01-01,female,v8w1p6,2026-03-01\n\
                   B2345,9698658215,Lee,Mary Ann,1980-01-01,,,\n\
                   A1234,9876543218,Nguyễn,Zoë,2001-02-03,unknown,,2020-01-01\n";
        let mut reader = super::super::read_panel(csv.as_bytes(), as_of(), None).unwrap();
        let rows: Vec<PanelRowOwned> = reader.by_ref().map(|r| r.unwrap().unwrap()).collect();
        let csv_report = reader.finish();
        let mut json = Vec::new();
        write_fhir(&rows, &mut json).unwrap();
        let panel = parse_fhir(&json).unwrap();
        assert_eq!(panel.groups(), 2);
        let mut check = PanelCheck::new(as_of(), None);
        let mut back = Vec::new();
        panel.check(&mut check, |row| back.push(row.into_owned()));
        let r = check.finish();
        // Grouped by practitioner: A1234's rows first.
        assert_eq!(back, [rows[0].clone(), rows[2].clone(), rows[1].clone()]);
        assert!(r.errors.is_empty());
        let codes = |r: &PanelReport| {
            let mut v: Vec<_> = r.warnings.iter().map(|f| (f.field, f.code)).collect();
            v.sort();
            v
        };
        assert_eq!(codes(&r), codes(&csv_report));
        // The PHN on two panels is a conflict naming both Groups' contained Patients.
        assert_eq!(r.conflicts.len(), 1);
        let at: Vec<String> = r.conflicts[0].practitioners.iter().map(|c| c.at.to_string()).collect();
        assert_eq!(at, ["/entry/0/resource/contained/1", "/entry/1/resource/contained/1"]);
        // No rows: an empty Group, which reads back as no rows.
        let empty = serde_json::to_string(&export_fhir(&[])).unwrap();
        assert_eq!(parse_fhir(empty.as_bytes()).unwrap().rows(), 0);
    }
}
