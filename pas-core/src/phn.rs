//! BC Personal Health Number (DOMAIN §1).
//!
//! A PHN is held as a `u64` so that million-row panels and registries can keep sets of them
//! compactly; a [`Phn`] value is always valid (the constructor is the only way in). It is PHI:
//! `Debug` and [`Phn::masked`] show only the last three digits, and no error carries the digits.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

use crate::error::{ErrorCode, FieldRule};

/// Weights for digits d2..d9 (DOMAIN §1).
const WEIGHTS: [u32; 8] = [2, 4, 8, 5, 10, 9, 7, 3];

/// A valid BC Personal Health Number.
///
/// ```
/// let phn: pas_core::Phn = "9698 658 215".parse()?;
/// assert_eq!(phn.to_string(), "9698658215");
/// assert_eq!(phn.masked().to_string(), "*******215");
/// assert_eq!(format!("{phn:?}"), "Phn(*******215)");
/// # Ok::<(), pas_core::PhnError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phn(u64);

/// Why a string is not a valid PHN. The rejected digits are never included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum PhnError {
    /// No digits at all.
    #[error("PHN is empty")]
    Empty,
    /// A character other than a digit or a space, at this 0-based character position.
    #[error("PHN may contain only digits and spaces (character {} is not a digit)", .position + 1)]
    NonDigit {
        /// 0-based position of the offending character.
        position: usize,
    },
    /// Not exactly 10 digits.
    #[error("PHN must have 10 digits, found {digits}")]
    Length {
        /// How many digits were found.
        digits: usize,
    },
    /// The first digit is not 9.
    #[error("PHN must start with 9")]
    FirstDigit,
    /// The weighted remainder is 0 or 1, for which no check digit exists.
    #[error("PHN digits admit no check digit (remainder 0 or 1)")]
    NoCheckDigit,
    /// The 10th digit is not the check digit of digits 2–9.
    #[error("PHN check digit does not match")]
    CheckDigit,
}

impl FieldRule for PhnError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Empty => ErrorCode::MissingField,
            _ => ErrorCode::InvalidPhn,
        }
    }
}

/// Digits as the fast path reads them: d1..d8 as digit values packed little-endian in a `u64`
/// (d1 in the low byte), then d9 and d10.
#[inline(always)]
fn pack(d: &[u8; 10]) -> (u64, u8, u8) {
    let [a, b, c, e, f, g, h, i, ninth, check] = *d;
    (u64::from_le_bytes([a, b, c, e, f, g, h, i]), ninth, check)
}

/// The check digit for digits d2..d9 (packed as by [`pack`]), or `None` when the remainder is
/// 0 or 1.
///
/// The weighted sum is two 4-lane dot products: with digits in 16-bit lanes and weights in
/// reversed lanes, the top lane of one multiply is Σ dᵢ·wᵢ. Lane sums stay ≤ 4·9·10 = 360, so
/// no lane carries into the next. Σ((d·w) mod 11) mod 11 = (Σ d·w) mod 11, so one reduction
/// suffices.
#[inline(always)]
const fn check_digit(head: u64, ninth: u8) -> Option<u8> {
    const fn w(i: usize) -> u64 {
        WEIGHTS[i] as u64
    }
    // d2, d4, d6, d8 sit in bytes 1, 3, 5, 7; d3, d5, d7 in bytes 2, 4, 6; d9 is `ninth`.
    const ODD_W: u64 = w(6) | (w(4) << 16) | (w(2) << 32) | (w(0) << 48);
    const EVEN_W: u64 = (w(5) << 16) | (w(3) << 32) | (w(1) << 48);
    let odd = (head >> 8) & 0x00ff_00ff_00ff_00ff;
    let even = (head >> 16) & 0x00ff_00ff_00ff_00ff;
    let sum = (odd.wrapping_mul(ODD_W) >> 48) + (even.wrapping_mul(EVEN_W) >> 48) + ninth as u64 * w(7);
    let r = (sum % 11) as u8;
    if r < 2 { None } else { Some(11 - r) }
}

/// The DOMAIN §1 checks on ten digit values (packed as by [`pack`]), and the PHN's value.
#[inline(always)]
fn validate(head: u64, ninth: u8, check: u8) -> Result<Phn, PhnError> {
    if head & 0xff != 9 {
        return Err(PhnError::FirstDigit);
    }
    match check_digit(head, ninth) {
        None => return Err(PhnError::NoCheckDigit),
        Some(c) if c != check => return Err(PhnError::CheckDigit),
        Some(_) => {}
    }
    // Eight digits to a number in three multiplies (pairs, quads, octet).
    let v = head.wrapping_mul(10).wrapping_add(head >> 8) & 0x00ff_00ff_00ff_00ff;
    let v = v.wrapping_mul(100).wrapping_add(v >> 16) & 0x0000_ffff_0000_ffff;
    let v = v.wrapping_mul(10_000).wrapping_add(v >> 32) & 0xffff_ffff;
    Ok(Phn(v * 100 + u64::from(ninth) * 10 + u64::from(check)))
}

impl Phn {
    /// Parse a PHN: ASCII digits, spaces allowed anywhere and removed (DOMAIN §1).
    ///
    /// Errors name the rule that failed: [`PhnError::NonDigit`], [`PhnError::Length`],
    /// [`PhnError::FirstDigit`], [`PhnError::NoCheckDigit`] or [`PhnError::CheckDigit`].
    #[inline]
    pub fn parse(s: &str) -> Result<Self, PhnError> {
        Self::parse_bytes(s.as_bytes()).map_err(|e| match e {
            // Report a character position, not a byte offset, for non-ASCII input.
            PhnError::NonDigit { position } => PhnError::NonDigit {
                position: s.get(..position).map_or(position, |p| p.chars().count()),
            },
            other => other,
        })
    }

    /// Parse a PHN from bytes (as read from a CSV file). A non-digit's position is a byte offset.
    #[inline]
    pub fn parse_bytes(input: &[u8]) -> Result<Self, PhnError> {
        // Fast path: the canonical 10-digit form, checked 8 bytes at a time.
        if let Some((head, a, b)) = ten_ascii_digits(input) {
            return validate(head, a, b);
        }
        let mut d = [0u8; 10];
        let mut n = 0usize;
        for (i, &c) in input.iter().enumerate() {
            let v = c.wrapping_sub(b'0');
            if v < 10 {
                if n < 10 {
                    d[n] = v;
                }
                n += 1;
            } else if c != b' ' {
                return Err(PhnError::NonDigit { position: i });
            }
        }
        match n {
            0 => Err(PhnError::Empty),
            10 => {
                let (head, ninth, check) = pack(&d);
                validate(head, ninth, check)
            }
            digits => Err(PhnError::Length { digits }),
        }
    }

    /// A PHN from its numeric value (as stored compactly), checked like a parsed one.
    pub fn from_u64(value: u64) -> Result<Self, PhnError> {
        if !(1_000_000_000..10_000_000_000).contains(&value) {
            let digits = if value == 0 { 1 } else { value.ilog10() as usize + 1 };
            return Err(PhnError::Length { digits });
        }
        let mut d = [0u8; 10];
        let mut v = value;
        for slot in d.iter_mut().rev() {
            *slot = (v % 10) as u8;
            v /= 10;
        }
        let (head, ninth, check) = pack(&d);
        validate(head, ninth, check)
    }

    /// The valid PHN whose digits 2–9 are `body` (0..=99_999_999), or `None` when those digits
    /// admit no check digit. Used by generators of synthetic data and by tests.
    pub fn from_body(body: u32) -> Option<Self> {
        if body > 99_999_999 {
            return None;
        }
        let mut d = [0u8; 10];
        d[0] = 9;
        let mut v = body;
        for slot in d[1..9].iter_mut().rev() {
            *slot = (v % 10) as u8;
            v /= 10;
        }
        let (head, ninth, _) = pack(&d);
        let c = check_digit(head, ninth)?;
        Some(Self(9_000_000_000 + u64::from(body) * 10 + u64::from(c)))
    }

    /// The numeric value (10 digits, first digit 9).
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// The masked form for messages and logs: `*******215`.
    pub const fn masked(self) -> MaskedPhn {
        MaskedPhn((self.0 % 1000) as u16)
    }
}

/// Reads exactly ten ASCII digits: the first eight as digit values packed little-endian in a
/// `u64` (first digit in the low byte), and the last two. `None` if `input` is anything else.
#[inline(always)]
fn ten_ascii_digits(input: &[u8]) -> Option<(u64, u8, u8)> {
    let (head, tail) = input.split_first_chunk::<8>()?;
    let &[t0, t1] = tail else { return None };
    let x = u64::from_le_bytes(*head);
    // SWAR: every byte in b'0'..=b'9' iff no byte of x, (x - '0'*) or (x + (0x7f - '9')*) sets
    // bit 7 (a borrow or carry only crosses into the next byte when this byte already failed).
    let lo = x.wrapping_sub(0x3030_3030_3030_3030);
    let hi = x.wrapping_add(0x4646_4646_4646_4646);
    if (lo | hi | x) & 0x8080_8080_8080_8080 != 0 {
        return None;
    }
    let (a, b) = (t0.wrapping_sub(b'0'), t1.wrapping_sub(b'0'));
    if a > 9 || b > 9 {
        return None;
    }
    Some((lo, a, b))
}

impl FromStr for Phn {
    type Err = PhnError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Phn {
    /// The canonical 10 digits. This *is* PHI: use [`Phn::masked`] in messages and logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:010}", self.0)
    }
}

impl fmt::Debug for Phn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phn({})", self.masked())
    }
}

/// A PHN showing only its last three digits (`*******215`); safe for logs and messages.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MaskedPhn(u16);

impl fmt::Display for MaskedPhn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "*******{:03}", self.0)
    }
}

impl fmt::Debug for MaskedPhn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for MaskedPhn {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Masks any PHN-like input, valid or not, for messages: seven stars and the last three
/// non-space characters (`"9698 658 215"` → `*******215`); fewer than four characters → `*******`.
pub fn mask(raw: &str) -> String {
    let kept: Vec<char> = raw.chars().filter(|c| *c != ' ').collect();
    let mut out = String::from("*******");
    if kept.len() >= 4 {
        out.extend(&kept[kept.len() - 3..]);
    }
    out
}

impl Serialize for Phn {
    /// Serialized as its 10-digit string (data exchange, not logs).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Phn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn s1_example_phn_is_valid_with_or_without_spaces() {
        for s in ["9698658215", "9698 658 215", " 9698658215 ", "9 6 9 8 6 5 8 2 1 5"] {
            let phn: Phn = s.parse().unwrap();
            assert_eq!(phn.to_string(), "9698658215");
            assert_eq!(phn.as_u64(), 9_698_658_215);
        }
    }

    #[test]
    fn s1_each_rule_names_itself() {
        assert_eq!(Phn::parse(""), Err(PhnError::Empty));
        assert_eq!(Phn::parse("   "), Err(PhnError::Empty));
        assert_eq!(Phn::parse("969865821"), Err(PhnError::Length { digits: 9 }));
        assert_eq!(Phn::parse("96986582150"), Err(PhnError::Length { digits: 11 }));
        assert_eq!(Phn::parse("9698-658-215"), Err(PhnError::NonDigit { position: 4 }));
        assert_eq!(Phn::parse("9698\t658215"), Err(PhnError::NonDigit { position: 4 }));
        assert_eq!(Phn::parse("é698658215"), Err(PhnError::NonDigit { position: 0 }));
        assert_eq!(Phn::parse("96é98658215"), Err(PhnError::NonDigit { position: 2 }));
        assert_eq!(Phn::parse("8698658215"), Err(PhnError::FirstDigit));
        assert_eq!(Phn::parse("9698658216"), Err(PhnError::CheckDigit));
        // Arabic-Indic digits are not ASCII digits.
        assert!(matches!(Phn::parse("٩698658215"), Err(PhnError::NonDigit { .. })));
    }

    #[test]
    fn s1_remainder_zero_and_one_are_invalid_whatever_the_last_digit() {
        let mut seen = [false; 2];
        for body in 0..200u32 {
            let mut d = [0u8; 10];
            d[0] = 9;
            let mut v = body;
            for slot in d[1..9].iter_mut().rev() {
                *slot = (v % 10) as u8;
                v /= 10;
            }
            let sum: u32 = (0..8).map(|i| (u32::from(d[i + 1]) * WEIGHTS[i]) % 11).sum();
            let r = sum % 11;
            if r < 2 {
                seen[r as usize] = true;
                assert_eq!(Phn::from_body(body), None);
                for last in 0..10u8 {
                    d[9] = last;
                    let s: String = d.iter().map(|x| char::from(b'0' + x)).collect();
                    assert_eq!(Phn::parse(&s), Err(PhnError::NoCheckDigit), "r={r}");
                }
            }
        }
        assert_eq!(seen, [true, true], "both remainders exercised");
    }

    #[test]
    fn s1_masking_keeps_only_last_three() {
        let phn: Phn = "9698658215".parse().unwrap();
        assert_eq!(phn.masked().to_string(), "*******215");
        assert_eq!(format!("{phn:?}"), "Phn(*******215)");
        assert_eq!(mask("9698 658 215"), "*******215");
        assert_eq!(mask("12"), "*******");
        let err = Phn::parse("9698658216").unwrap_err().to_string();
        assert!(!err.contains("9698"), "{err}");
    }

    #[test]
    fn from_u64_round_trips_and_rejects() {
        let phn: Phn = "9698658215".parse().unwrap();
        assert_eq!(Phn::from_u64(phn.as_u64()), Ok(phn));
        assert_eq!(Phn::from_u64(0), Err(PhnError::Length { digits: 1 }));
        assert_eq!(Phn::from_u64(12_345), Err(PhnError::Length { digits: 5 }));
        assert_eq!(Phn::from_u64(8_698_658_215), Err(PhnError::FirstDigit));
        assert_eq!(Phn::from_u64(9_698_658_216), Err(PhnError::CheckDigit));
    }

    #[test]
    fn serde_is_the_ten_digit_string() {
        let phn: Phn = "9698658215".parse().unwrap();
        let json = serde_json::to_string(&phn).unwrap();
        assert_eq!(json, "\"9698658215\"");
        assert_eq!(serde_json::from_str::<Phn>(&json).unwrap(), phn);
        assert!(serde_json::from_str::<Phn>("\"9698658216\"").is_err());
    }

    /// A straightforward implementation written from the text of DOMAIN §1, as an oracle.
    fn oracle(s: &str) -> bool {
        if s.chars().any(|c| c != ' ' && !c.is_ascii_digit()) {
            return false;
        }
        let d: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
        if d.len() != 10 || d[0] != 9 {
            return false;
        }
        let sum: u32 = (0..8).map(|i| (d[i + 1] * WEIGHTS[i]) % 11).sum();
        let r = sum % 11;
        r >= 2 && d[9] == 11 - r
    }

    proptest! {
        #[test]
        fn s1_every_valid_phn_parses_and_every_digit_substitution_fails(body in 0u32..100_000_000) {
            if let Some(phn) = Phn::from_body(body) {
                let s = phn.to_string();
                prop_assert_eq!(Phn::parse(&s), Ok(phn));
                let bytes = s.as_bytes();
                for pos in 0..10 {
                    for digit in b'0'..=b'9' {
                        if digit == bytes[pos] { continue; }
                        let mut changed = bytes.to_vec();
                        changed[pos] = digit;
                        let changed = String::from_utf8(changed).unwrap();
                        prop_assert!(Phn::parse(&changed).is_err(), "pos {} digit {}", pos, digit);
                    }
                }
            }
        }

        #[test]
        fn s1_parse_agrees_with_oracle_and_never_panics(s in "[0-9 ]{0,14}|\\PC{0,14}|9[0-9]{9}") {
            prop_assert_eq!(Phn::parse(&s).is_ok(), oracle(&s));
        }

        #[test]
        fn parse_bytes_never_panics(b in proptest::collection::vec(any::<u8>(), 0..20)) {
            let _ = Phn::parse_bytes(&b);
        }
    }
}
