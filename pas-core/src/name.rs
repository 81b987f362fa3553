//! Person names (DOMAIN §1): trimmed, 1–50 characters, letters of any script, spaces, `'`, `-`, `.`.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::error::{ErrorCode, FieldRule};

/// Maximum length in characters (Unicode scalar values), after trimming.
pub const MAX_NAME_CHARS: usize = 50;

/// A validated given or family name.
///
/// Letters are Unicode alphabetic characters, so `Nguyễn`, `ਗੁਰਪ੍ਰੀਤ` and `王` are names. Combining
/// marks (general category M) are accepted too: decomposed input (`e` + `◌́`) is what some
/// keyboards send, and Indic scripts need viramas and vowel signs. A name must contain at least one letter:
/// `"-"` or `"."` alone is not a name (a choice where DOMAIN is silent).
///
/// ```
/// let n = pas_core::PersonName::parse("  O'Brien-Smith Jr. ")?;
/// assert_eq!(n.as_str(), "O'Brien-Smith Jr.");
/// assert!(pas_core::PersonName::parse("R2-D2").is_err());
/// # Ok::<(), pas_core::NameError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

/// Why a name was refused. Never contains the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// Blank after trimming.
    #[error("name is required")]
    Empty,
    /// More than 50 characters.
    #[error("name must be at most {MAX_NAME_CHARS} characters, found {chars}")]
    TooLong {
        /// Length in characters.
        chars: usize,
    },
    /// A character that is not a letter, space, `'`, `-` or `.`, at this 0-based position.
    #[error("name may contain only letters, spaces, ' - and . (character {} is not allowed)", .position + 1)]
    BadCharacter {
        /// 0-based character position in the trimmed name.
        position: usize,
    },
    /// Punctuation only.
    #[error("name must contain at least one letter")]
    NoLetter,
}

impl FieldRule for NameError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Empty => ErrorCode::MissingField,
            _ => ErrorCode::InvalidName,
        }
    }
}

/// Combining marks (Unicode general category M): accents typed as separate characters, and the
/// vowel signs and viramas that Indic scripts such as Gurmukhi need to write any name.
fn is_combining_mark(c: char) -> bool {
    use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
    c.general_category_group() == GeneralCategoryGroup::Mark
}

impl PersonName {
    /// Validate and trim a name.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(NameError::Empty);
        }
        let mut chars = 0usize;
        let mut letters = 0usize;
        for (i, c) in s.chars().enumerate() {
            chars += 1;
            if c.is_alphabetic() {
                letters += 1;
            } else if !(matches!(c, ' ' | '\'' | '-' | '.') || (i > 0 && is_combining_mark(c))) {
                return Err(NameError::BadCharacter { position: i });
            }
        }
        if chars > MAX_NAME_CHARS {
            return Err(NameError::TooLong { chars });
        }
        if letters == 0 {
            return Err(NameError::NoLetter);
        }
        Ok(Self(s.to_owned()))
    }

    /// The trimmed name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PersonName {
    /// Names are PHI: `Debug` shows only the length.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonName(<{} chars>)", self.0.chars().count())
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_conversions!(PersonName, NameError, |v| v.0);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s1_names_of_any_script() {
        assert_eq!(
            PersonName::parse("\u{301}a"),
            Err(NameError::BadCharacter { position: 0 })
        );
        for ok in [
            "Li",
            "Nguyễn",
            "ਗੁਰਪ੍ਰੀਤ",
            "王",
            "José",
            "Jose\u{301}",
            "D'Arcy",
            "Mary-Jane",
            "St. John",
            "Ng",
        ] {
            assert!(PersonName::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn s1_name_rules() {
        assert_eq!(PersonName::parse("   "), Err(NameError::Empty));
        assert_eq!(PersonName::parse("R2D2"), Err(NameError::BadCharacter { position: 1 }));
        assert_eq!(
            PersonName::parse("Ann_Lee"),
            Err(NameError::BadCharacter { position: 3 })
        );
        assert_eq!(PersonName::parse("-'."), Err(NameError::NoLetter));
        let fifty = "a".repeat(50);
        assert!(PersonName::parse(&fifty).is_ok());
        assert_eq!(
            PersonName::parse(&format!(" {fifty}a ")),
            Err(NameError::TooLong { chars: 51 })
        );
        // 50 multi-byte characters are 50 characters.
        assert!(PersonName::parse(&"é".repeat(50)).is_ok());
    }

    #[test]
    fn debug_hides_the_name() {
        let n = PersonName::parse("Secret").unwrap();
        assert!(!format!("{n:?}").contains("Secret"));
    }
}
