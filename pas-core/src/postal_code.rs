//! Canadian postal codes and forward sortation areas (DOMAIN §1).

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::error::{ErrorCode, FieldRule};

/// Letters allowed first in a postal code: `[ABCEGHJ-NPRSTVXY]`.
const fn first_letter_ok(c: u8) -> bool {
    matches!(
        c,
        b'A' | b'B' | b'C' | b'E' | b'G' | b'H' | b'J'..=b'N' | b'P' | b'R' | b'S' | b'T' | b'V' | b'X' | b'Y'
    )
}

/// Letters allowed in positions 3 and 5: `[ABCEGHJ-NPRSTV-Z]`.
const fn other_letter_ok(c: u8) -> bool {
    matches!(c, b'A' | b'B' | b'C' | b'E' | b'G' | b'H' | b'J'..=b'N' | b'P' | b'R' | b'S' | b'T' | b'V'..=b'Z')
}

/// A Canadian postal code, held upper-case without the inner space.
///
/// Accepts `V8W 1P6`, `v8w1p6`, ` V8W1P6 `; displays the Canada Post form `V8W 1P6`.
///
/// ```
/// let pc: pas_core::PostalCode = "v8w1p6".parse()?;
/// assert_eq!(pc.to_string(), "V8W 1P6");
/// assert_eq!(pc.fsa().to_string(), "V8W");
/// assert!(pc.is_bc());
/// # Ok::<(), pas_core::PostalCodeError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PostalCode([u8; 6]);

/// A forward sortation area: the first three characters of a postal code (`V8W`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Fsa([u8; 3]);

/// Why a postal code (or FSA) was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PostalCodeError {
    /// Blank.
    #[error("postal code is required")]
    Empty,
    /// Not of the form `A1A 1A1` with Canada Post's letters.
    #[error("postal code must look like A1A 1A1 (Canadian format)")]
    Format,
}

impl FieldRule for PostalCodeError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Empty => ErrorCode::MissingField,
            Self::Format => ErrorCode::InvalidPostalCode,
        }
    }
}

impl PostalCode {
    /// Parse: trimmed, upper-cased, one optional space between FSA and LDU.
    pub fn parse(raw: &str) -> Result<Self, PostalCodeError> {
        let t = crate::trim(raw).as_bytes();
        if t.is_empty() {
            return Err(PostalCodeError::Empty);
        }
        let mut b = [0u8; 6];
        match t.len() {
            6 => b.copy_from_slice(t),
            7 if t[3] == b' ' => {
                b[..3].copy_from_slice(&t[..3]);
                b[3..].copy_from_slice(&t[4..]);
            }
            _ => return Err(PostalCodeError::Format),
        }
        b.make_ascii_uppercase();
        let ok = first_letter_ok(b[0])
            && b[1].is_ascii_digit()
            && other_letter_ok(b[2])
            && b[3].is_ascii_digit()
            && other_letter_ok(b[4])
            && b[5].is_ascii_digit();
        if ok { Ok(Self(b)) } else { Err(PostalCodeError::Format) }
    }

    /// The forward sortation area (first three characters).
    pub const fn fsa(self) -> Fsa {
        Fsa([self.0[0], self.0[1], self.0[2]])
    }

    /// Whether this is a British Columbia address (starts with `V`, DOMAIN §1/§3).
    pub const fn is_bc(self) -> bool {
        self.0[0] == b'V'
    }

    /// The FSA as text (`V8W`), borrowed from the postal code.
    pub fn fsa_str(&self) -> &str {
        self.compact().get(..3).unwrap_or_default()
    }

    /// The six characters without the space (`V8W1P6`).
    pub fn compact(&self) -> &str {
        // Constructed only from ASCII bytes.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl Fsa {
    /// Parse an FSA (`V8W`, case-insensitive, trimmed).
    pub fn parse(raw: &str) -> Result<Self, PostalCodeError> {
        let t = crate::trim(raw).as_bytes();
        match t {
            [] => Err(PostalCodeError::Empty),
            &[a, d, l] => {
                let b = [a.to_ascii_uppercase(), d, l.to_ascii_uppercase()];
                if first_letter_ok(b[0]) && b[1].is_ascii_digit() && other_letter_ok(b[2]) {
                    Ok(Self(b))
                } else {
                    Err(PostalCodeError::Format)
                }
            }
            _ => Err(PostalCodeError::Format),
        }
    }

    /// An FSA from three bytes known to be valid (used by the generated centroid table).
    pub(crate) const fn from_bytes_unchecked(b: [u8; 3]) -> Self {
        Self(b)
    }

    /// The three characters.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Whether this FSA is in British Columbia (starts with `V`).
    pub const fn is_bc(self) -> bool {
        self.0[0] == b'V'
    }
}

impl fmt::Display for PostalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.compact();
        write!(f, "{} {}", &s[..3], &s[3..])
    }
}

text_conversions!(PostalCode, PostalCodeError, |v| v.to_string());

impl fmt::Debug for PostalCode {
    /// Full postal codes locate a home: `Debug` shows only the FSA.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostalCode({} ***)", self.fsa())
    }
}

impl fmt::Display for Fsa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

text_conversions!(Fsa, PostalCodeError, |v| v.as_str().to_owned());

impl fmt::Debug for Fsa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fsa({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s1_postal_code_spellings() {
        for s in ["V8W 1P6", "V8W1P6", "v8w 1p6", " V8W1P6 "] {
            assert_eq!(PostalCode::parse(s).unwrap().compact(), "V8W1P6", "{s}");
        }
    }

    #[test]
    fn s1_postal_code_rules() {
        assert_eq!(PostalCode::parse(""), Err(PostalCodeError::Empty));
        for bad in [
            "V8W  1P6", "V8W-1P6", "D8W1P6", "V8O1P6", "V8W1P", "V8W1P6X", "W8W1P6", "Z1A1A1", "V8W1Q6", "88W1P6",
        ] {
            assert_eq!(PostalCode::parse(bad), Err(PostalCodeError::Format), "{bad}");
        }
        assert!(PostalCode::parse("T2P 1J9").is_ok_and(|p| !p.is_bc()));
        assert!(PostalCode::parse("V5K 0A1").is_ok_and(PostalCode::is_bc));
    }

    #[test]
    fn fsa_parse() {
        assert_eq!(Fsa::parse("v8w").unwrap().as_str(), "V8W");
        assert!(Fsa::parse("V8").is_err());
        assert!(Fsa::parse("V8Q").is_err());
    }

    #[test]
    fn debug_hides_ldu() {
        let p = PostalCode::parse("V8W 1P6").unwrap();
        assert_eq!(format!("{p:?}"), "PostalCode(V8W ***)");
    }
}
