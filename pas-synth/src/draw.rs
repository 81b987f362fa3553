//! Small drawing and formatting helpers shared by the generators.

use chrono::{Datelike, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// True with probability `p`.
pub(crate) fn chance(rng: &mut ChaCha8Rng, p: f64) -> bool {
    rng.random::<f64>() < p
}

/// One of `items`, with probability proportional to its weight (weights need not sum to 1).
pub(crate) fn weighted<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random::<f64>() * total;
    for &(item, w) in items {
        if x < w {
            return item;
        }
        x -= w;
    }
    // Rounding can leave x a hair above the last weight.
    items[items.len() - 1].0
}

/// A uniformly chosen element of a non-empty slice.
pub(crate) fn one_of<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    items[rng.random_range(0..items.len() as u32) as usize]
}

/// An integer in `lo..=hi`.
pub(crate) fn between(rng: &mut ChaCha8Rng, lo: u32, hi: u32) -> u32 {
    rng.random_range(lo..=hi)
}

/// Appends `n` in decimal, zero-padded to `width` (at most 20) digits.
fn push_padded(s: &mut String, width: usize, n: u64) {
    let mut buf = [b'0'; 20];
    let mut start = buf.len();
    let mut v = n;
    while v > 0 || start == buf.len() {
        start -= 1;
        buf[start] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    let start = start.min(buf.len().saturating_sub(width));
    for &d in &buf[start..] {
        s.push(char::from(d));
    }
}

/// `prefix` then `n` zero-padded to `width` digits (`R0000042`), built without `fmt`: a
/// million rows need a few million of these small strings.
pub(crate) fn padded(prefix: &str, width: usize, n: u64) -> String {
    let digits = n.checked_ilog10().map_or(1, |l| l as usize + 1);
    let mut s = String::with_capacity(prefix.len() + width.max(digits));
    s.push_str(prefix);
    push_padded(&mut s, width, n);
    s
}

/// `YYYY-MM-DD`, built without `fmt`.
pub(crate) fn iso_date(d: NaiveDate) -> String {
    let y = d.year();
    if !(0..=9999).contains(&y) {
        return d.to_string();
    }
    let mut s = String::with_capacity(10);
    push_padded(&mut s, 4, y as u64);
    s.push('-');
    push_padded(&mut s, 2, u64::from(d.month()));
    s.push('-');
    push_padded(&mut s, 2, u64::from(d.day()));
    s
}

/// A coordinate with exactly 5 decimals (~1 m), rounded half away from zero, built without
/// `fmt` (only a multiply and `round`, both exact-by-spec, so identical on every platform).
pub(crate) fn fixed5(v: f64) -> String {
    let scaled = (v * 100_000.0).round();
    let magnitude = scaled.abs() as u64;
    let mut s = String::with_capacity(12);
    if scaled < 0.0 && magnitude != 0 {
        s.push('-');
    }
    push_padded(&mut s, 1, magnitude / 100_000);
    s.push('.');
    push_padded(&mut s, 5, magnitude % 100_000);
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(padded("R", 7, 42), "R0000042");
        assert_eq!(padded("", 10, 9_698_658_215), "9698658215");
        assert_eq!(padded("C", 5, 1_234_567), "C1234567");
        assert_eq!(padded("", 1, 0), "0");
        for (v, want) in [
            (49.282_70, "49.28270"),
            (-123.120_704_9, "-123.12070"),
            (-0.000_001, "0.00000"),
            (0.5, "0.50000"),
            (-5.000_006, "-5.00001"),
        ] {
            assert_eq!(fixed5(v), want);
        }
    }

    #[test]
    fn iso_dates() {
        for (y, m, d) in [(2026, 11, 25), (1900, 1, 1), (2024, 2, 29), (999, 12, 31)] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(iso_date(date), date.format("%Y-%m-%d").to_string());
        }
    }
}
