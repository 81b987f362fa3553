//! The one error type foreign callers see: a small enum with stable codes (DOMAIN §1–§10),
//! converted from pas-core's rich errors in one place each. Messages come from pas-core and
//! never hold PHI (a PHN at most masked, `*******215`).

use pas_core::workflow::TransitionError;
use pas_core::{FieldError, FieldRule, ValidationErrors};

/// One failed rule on one field (`{field, code, detail}`), as pas-core's `FieldError`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FieldIssue {
    /// The input's field name (`phn`, `members[1].birth_date`).
    pub field: String,
    /// The stable DOMAIN code (`invalid_phn`, `missing_field`, …).
    pub code: String,
    /// A readable explanation without PHI.
    pub detail: String,
}

impl From<&FieldError> for FieldIssue {
    fn from(e: &FieldError) -> Self {
        Self {
            field: e.field.clone(),
            code: e.code.as_str().to_owned(),
            detail: e.message.clone(),
        }
    }
}

/// Every failure PAS reports to a foreign caller. Python raises `PasError.InvalidField` etc.
/// (subclasses of `PasError`); Kotlin throws `PasException.InvalidField` etc. (a sealed class);
/// Swift throws `PasError.invalidField(…)`. Each case carries a stable `code`, or the list of
/// field issues each with its own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum PasError {
    /// A single value failed a rule: a PHN, a date, an identifier, a token.
    #[error("{field}: {detail} ({code})")]
    InvalidField {
        /// The field or argument name.
        field: String,
        /// The stable DOMAIN code.
        code: String,
        /// Why, without PHI.
        detail: String,
    },
    /// A record (registration, household) failed validation: every field issue at once.
    #[error("{} invalid field(s): {}", issues.len(), summary(issues))]
    InvalidRecord {
        /// Every failed rule, in field order.
        issues: Vec<FieldIssue>,
    },
    /// A state machine (§9 attachment journey, §10 endorsement) refused an event; the state
    /// is unchanged. `code` is `invalid_transition`, `not_allowed`, `duplicate`,
    /// `self_endorsement`, `token_used`, `unknown_token`, `not_found` or `not_due`.
    #[error("{detail} ({code})")]
    TransitionRefused {
        /// The stable code.
        code: String,
        /// The state and event named in words (codes only, no PHI).
        detail: String,
    },
    /// §10 access refused: `unknown_party`, `staff_licensed`, `not_licensed`,
    /// `no_active_endorsement` or `standing_not_good`.
    #[error("{detail} ({code})")]
    AccessDenied {
        /// The stable code.
        code: String,
        /// Why, in words.
        detail: String,
    },
    /// A whole input file could not be used (cannot be opened, not CSV, required columns
    /// missing, not a FHIR panel): `file_unreadable`, `missing_columns`, `empty_file` or
    /// `malformed_csv`; for a FHIR panel (§8) pas-core's `invalid_json`, `invalid_fhir`,
    /// `not_a_panel`, `unsupported_bundle_type`, `no_group` or `read_error`.
    #[error("{file}: {detail} ({code})")]
    FileRejected {
        /// Which input (`patients.csv`, `providers.csv`, the panel's file name; `panel.csv` or
        /// `panel.json` for a panel given as bytes).
        file: String,
        /// The stable code.
        code: String,
        /// What went wrong (never row content).
        detail: String,
    },
    /// Stored state handed back to PAS (`Journey.from_json`) could not be read.
    #[error("{detail} ({code})")]
    InvalidState {
        /// `invalid_state`.
        code: String,
        /// What went wrong (never the content).
        detail: String,
    },
}

fn summary(issues: &[FieldIssue]) -> String {
    issues
        .iter()
        .map(|i| format!("{} ({})", i.field, i.code))
        .collect::<Vec<_>>()
        .join(", ")
}

impl PasError {
    /// A CSV file that cannot be used, with pas-core's stable code (`missing_columns`,
    /// `empty_file`, `malformed_csv`); the message names columns or a line, never content.
    pub(crate) fn csv_file(file: &str, e: &pas_core::csv_input::CsvError) -> Self {
        Self::FileRejected {
            file: file.to_owned(),
            code: e.code().to_owned(),
            detail: e.to_string(),
        }
    }

    /// A file that cannot be opened or read (`file_unreadable`).
    pub(crate) fn unreadable(file: &str, e: &std::io::Error) -> Self {
        Self::FileRejected {
            file: file.to_owned(),
            code: "file_unreadable".to_owned(),
            detail: format!("cannot read: {}", e.kind()),
        }
    }

    /// A single-field error from a typed pas-core rule, attributed to `field`.
    pub(crate) fn field(rule: &impl FieldRule, field: &str) -> Self {
        Self::from(rule.at(field))
    }
}

impl From<FieldError> for PasError {
    fn from(e: FieldError) -> Self {
        Self::InvalidField {
            field: e.field,
            code: e.code.as_str().to_owned(),
            detail: e.message,
        }
    }
}

impl From<ValidationErrors> for PasError {
    fn from(e: ValidationErrors) -> Self {
        Self::InvalidRecord {
            issues: e.errors().iter().map(FieldIssue::from).collect(),
        }
    }
}

impl From<TransitionError> for PasError {
    fn from(e: TransitionError) -> Self {
        Self::TransitionRefused {
            code: e.code().to_owned(),
            detail: e.to_string(),
        }
    }
}

impl From<pas_core::endorsement::AccessDenied> for PasError {
    fn from(e: pas_core::endorsement::AccessDenied) -> Self {
        Self::AccessDenied {
            code: e.code().to_owned(),
            detail: e.to_string(),
        }
    }
}

/// A path's file name (what messages call the file), or the whole path when it has none.
pub(crate) fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pas_core::ErrorCode;

    #[test]
    fn validation_errors_keep_every_issue_in_order() {
        let e = PasError::from(ValidationErrors(vec![
            FieldError::missing("given_name"),
            FieldError::new("phn", ErrorCode::InvalidPhn, "PHN check digit does not match"),
        ]));
        let PasError::InvalidRecord { issues } = &e else {
            panic!("{e:?}")
        };
        let codes: Vec<_> = issues.iter().map(|i| (i.field.as_str(), i.code.as_str())).collect();
        assert_eq!(codes, [("given_name", "missing_field"), ("phn", "invalid_phn")]);
        assert_eq!(
            e.to_string(),
            "2 invalid field(s): given_name (missing_field), phn (invalid_phn)"
        );
    }

    #[test]
    fn s9_transition_errors_keep_their_code() {
        let e = PasError::from(TransitionError::InvalidTransition {
            state: "waiting",
            event: "attachment_claim",
        });
        assert_eq!(
            e,
            PasError::TransitionRefused {
                code: "invalid_transition".into(),
                detail: "attachment_claim is not possible in state waiting".into(),
            }
        );
    }
}
