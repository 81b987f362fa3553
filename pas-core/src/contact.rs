//! Contact details (DOMAIN §1): phone numbers and e-mail addresses.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::error::{ErrorCode, FieldRule};

/// A North American phone number: 10 digits, area code not starting with 0 or 1.
///
/// Spaces, `-`, `(`, `)`, `.` are removed, and a leading `+1` or `1` (country code) dropped.
///
/// ```
/// let p: pas_core::Phone = "+1 (250) 555-0142".parse()?;
/// assert_eq!(p.to_string(), "250-555-0142");
/// # Ok::<(), pas_core::PhoneError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone([u8; 10]);

/// Why a phone number was refused. Never contains the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PhoneError {
    /// Blank.
    #[error("phone is required")]
    Empty,
    /// A character other than digits, spaces, `-`, `(`, `)`, `.` or a leading `+1`.
    #[error("phone may contain only digits, spaces, - ( ) . and a leading +1")]
    BadCharacter,
    /// Not 10 digits once the country code is removed.
    #[error("phone must have 10 digits, found {digits}")]
    Length {
        /// Digits found (after removing a leading country code 1).
        digits: usize,
    },
    /// Area code starts with 0 or 1.
    #[error("phone area code cannot start with 0 or 1")]
    AreaCode,
}

impl FieldRule for PhoneError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Empty => ErrorCode::MissingField,
            _ => ErrorCode::InvalidPhone,
        }
    }
}

impl Phone {
    /// Parse a phone number.
    pub fn parse(raw: &str) -> Result<Self, PhoneError> {
        let t = raw.trim();
        if t.is_empty() {
            return Err(PhoneError::Empty);
        }
        let (plus, rest) = match t.strip_prefix('+') {
            Some(r) => (true, r),
            None => (false, t),
        };
        let mut digits = Vec::with_capacity(11);
        for c in rest.bytes() {
            match c {
                b'0'..=b'9' => digits.push(c),
                b' ' | b'-' | b'(' | b')' | b'.' => {}
                _ => return Err(PhoneError::BadCharacter),
            }
        }
        if plus && digits.first() != Some(&b'1') {
            // `+` is only allowed as the `+1` country prefix.
            return Err(PhoneError::BadCharacter);
        }
        if digits.len() == 11 && digits[0] == b'1' {
            digits.remove(0);
        }
        let d: [u8; 10] = digits
            .as_slice()
            .try_into()
            .map_err(|_| PhoneError::Length { digits: digits.len() })?;
        if matches!(d[0], b'0' | b'1') {
            return Err(PhoneError::AreaCode);
        }
        Ok(Self(d))
    }

    /// The ten digits.
    pub fn digits(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.digits();
        write!(f, "{}-{}-{}", &d[..3], &d[3..6], &d[6..])
    }
}

text_conversions!(Phone, PhoneError, |v| v.to_string());

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone(***-***-{})", &self.digits()[6..])
    }
}

/// Maximum e-mail length (RFC 5321 path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// An e-mail address: one `@`, a non-empty local part, a domain with a dot (DOMAIN §1).
///
/// Beyond DOMAIN's words, and because a mail server would refuse them anyway: no whitespace or
/// control characters, no empty domain label (`a@b..ca`, `a@.ca`), at most 254 characters.
/// The domain is lower-cased; the local part is kept as typed.
///
/// ```
/// let e = pas_core::Email::parse_confirmed("Ana@Example.CA", " ana@example.ca ")?;
/// assert_eq!(e.as_str(), "Ana@example.ca");
/// # Ok::<(), pas_core::EmailError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

/// Why an e-mail address was refused. Never contains the address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmailError {
    /// Blank.
    #[error("e-mail is required")]
    Empty,
    /// Not exactly one `@`.
    #[error("e-mail must contain exactly one @")]
    At,
    /// Nothing before the `@`.
    #[error("e-mail needs a name before the @")]
    EmptyLocal,
    /// The domain has no dot or an empty label.
    #[error("e-mail domain must look like example.ca")]
    Domain,
    /// Whitespace or a control character inside, or too long.
    #[error("e-mail may not contain spaces and must be at most {MAX_EMAIL_CHARS} characters")]
    Format,
    /// The confirmation differs from the address.
    #[error("e-mail confirmation does not match")]
    Mismatch,
}

impl FieldRule for EmailError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Empty => ErrorCode::MissingField,
            Self::Mismatch => ErrorCode::EmailMismatch,
            _ => ErrorCode::InvalidEmail,
        }
    }
}

impl Email {
    /// Parse an e-mail address.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let t = raw.trim();
        if t.is_empty() {
            return Err(EmailError::Empty);
        }
        if t.chars().count() > MAX_EMAIL_CHARS || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError::Format);
        }
        let mut parts = t.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(EmailError::At);
        };
        if local.is_empty() {
            return Err(EmailError::EmptyLocal);
        }
        if !domain.contains('.') || domain.split('.').any(str::is_empty) {
            return Err(EmailError::Domain);
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    /// Parse an address and its confirmation, which must be the same address (compared
    /// trimmed and case-insensitively, as people retype them).
    pub fn parse_confirmed(raw: &str, confirm: &str) -> Result<Self, EmailError> {
        let email = Self::parse(raw)?;
        if email.0.to_lowercase() == confirm.trim().to_lowercase() {
            Ok(email)
        } else {
            Err(EmailError::Mismatch)
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_conversions!(Email, EmailError, |v| v.0);

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let domain = self.0.rsplit('@').next().unwrap_or_default();
        write!(f, "Email(***@{domain})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s1_phone_forms() {
        for ok in [
            "2505550142",
            "250-555-0142",
            "(250) 555-0142",
            "250.555.0142",
            "+1 250 555 0142",
            "1-250-555-0142",
            "+12505550142",
        ] {
            assert_eq!(Phone::parse(ok).unwrap().digits(), "2505550142", "{ok}");
        }
    }

    #[test]
    fn s1_phone_rules() {
        assert_eq!(Phone::parse(""), Err(PhoneError::Empty));
        assert_eq!(Phone::parse("250 555 014"), Err(PhoneError::Length { digits: 9 }));
        assert_eq!(Phone::parse("250/555/0142"), Err(PhoneError::BadCharacter));
        assert_eq!(Phone::parse("+44 20 7946 0958"), Err(PhoneError::BadCharacter));
        assert_eq!(Phone::parse("050 555 0142"), Err(PhoneError::AreaCode));
        assert_eq!(Phone::parse("1 150 555 0142"), Err(PhoneError::AreaCode));
        assert_eq!(Phone::parse("22505550142"), Err(PhoneError::Length { digits: 11 }));
        assert_eq!(Phone::parse("250 555 0142 ext 3"), Err(PhoneError::BadCharacter));
    }

    #[test]
    fn s1_email_rules() {
        assert!(Email::parse("a@b.ca").is_ok());
        assert_eq!(Email::parse(" "), Err(EmailError::Empty));
        assert_eq!(Email::parse("ab.ca"), Err(EmailError::At));
        assert_eq!(Email::parse("a@b@c.ca"), Err(EmailError::At));
        assert_eq!(Email::parse("@b.ca"), Err(EmailError::EmptyLocal));
        assert_eq!(Email::parse("a@bca"), Err(EmailError::Domain));
        assert_eq!(Email::parse("a@.ca"), Err(EmailError::Domain));
        assert_eq!(Email::parse("a@b."), Err(EmailError::Domain));
        assert_eq!(Email::parse("a b@c.ca"), Err(EmailError::Format));
        assert_eq!(Email::parse_confirmed("a@b.ca", "a@c.ca"), Err(EmailError::Mismatch));
        assert_eq!(EmailError::Mismatch.code(), ErrorCode::EmailMismatch);
    }
}
