//! Unique valid PHNs by row number, without a set: a keyed permutation of row numbers onto PHN
//! bodies that all admit a check digit.
//!
//! For any digits d2..d8, the ten choices of d9 give ten different remainders (its weight 3 is
//! invertible mod 11), so at least 8 of them admit a check digit (DOMAIN §1 refuses remainders 0
//! and 1). Slot `s` (0..8) of prefix `p` (0..10⁷) is the s-th such d9: an injective map from
//! `0..8·10⁷` to valid bodies. Row numbers go through a 4-round Feistel permutation of 27 bits
//! (13 + 14, cycle-walked into `0..8·10⁷`) keyed by the seed, so PHNs look random, differ between seeds,
//! and can be computed for any row independently (which lets households be generated in
//! parallel).

use pas_core::Phn;

/// Number of distinct PHNs this scheme issues.
pub(crate) const MAX_PHNS: usize = 80_000_000;

/// Weights of d2..d9 (DOMAIN §1).
const WEIGHTS: [u32; 8] = [2, 4, 8, 5, 10, 9, 7, 3];

/// Issues the PHN of each row number.
pub(crate) struct PhnSource {
    keys: [u64; 4],
}

impl PhnSource {
    pub(crate) fn new(seed: u64) -> Self {
        let mut state = seed ^ 0x5048_4e5f_5041_5321; // "PHN_PAS!"
        let mut keys = [0u64; 4];
        for k in &mut keys {
            *k = splitmix64(&mut state);
        }
        Self { keys }
    }

    /// The PHN of row `index`; distinct rows get distinct PHNs. `None` only beyond [`MAX_PHNS`].
    pub(crate) fn phn(&self, index: usize) -> Option<Phn> {
        let index = u32::try_from(index).ok().filter(|&i| (i as usize) < MAX_PHNS)?;
        let v = self.permute(index);
        let (prefix, slot) = (v / 8, v % 8);
        // Weighted sum of d2..d8, the seven digits of `prefix`.
        let mut sum = 0;
        let mut rest = prefix;
        for w in WEIGHTS[..7].iter().rev() {
            sum += (rest % 10) * w;
            rest /= 10;
        }
        let d9 = (0..10u32)
            .filter(|d| (sum + d * WEIGHTS[7]) % 11 >= 2)
            .nth(slot as usize)?;
        Phn::from_body(prefix * 10 + d9)
    }

    /// A bijection of `0..MAX_PHNS`: the Feistel permutation of `0..2²⁷`, reapplied until the
    /// value falls back in range (cycle walking, 1.7 rounds on average).
    fn permute(&self, x: u32) -> u32 {
        let mut v = x;
        loop {
            v = self.feistel(v);
            if (v as usize) < MAX_PHNS {
                return v;
            }
        }
    }

    /// An unbalanced Feistel network on 27 bits: halves of 13 and 14 bits trade places each
    /// round (every round is invertible, so the whole is a permutation).
    fn feistel(&self, v: u32) -> u32 {
        let (mut left_bits, mut right_bits) = (13u32, 14u32);
        let (mut left, mut right) = (v >> right_bits, v & ((1 << right_bits) - 1));
        for &k in &self.keys {
            let f = ((u64::from(right) ^ k).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40) as u32;
            (left, right) = (right, (left ^ f) & ((1 << left_bits) - 1));
            (left_bits, right_bits) = (right_bits, left_bits);
        }
        (left << right_bits) | right
    }
}

/// SplitMix64 step: a fast, well-mixed hash of a 64-bit state.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn s1_phns_are_valid_unique_and_seeded() {
        let a = PhnSource::new(1);
        let phns: Vec<Phn> = (0..200_000).map(|i| a.phn(i).unwrap()).collect();
        let mut sorted = phns.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), phns.len());
        assert!(phns.iter().all(|p| Phn::parse(&p.to_string()) == Ok(*p)));
        let b = PhnSource::new(2);
        assert_ne!(phns[..10], (0..10).map(|i| b.phn(i).unwrap()).collect::<Vec<_>>()[..]);
        assert!(a.phn(MAX_PHNS - 1).is_some() && a.phn(MAX_PHNS).is_none());
    }

    #[test]
    fn every_prefix_has_eight_valid_slots() {
        // Exhaustive over d8 and d9 for a spread of prefixes: 8 slots always exist.
        for prefix in (0..10_000_000u32).step_by(9_973) {
            let valid = (0..10).filter(|d| Phn::from_body(prefix * 10 + d).is_some()).count();
            assert!(valid >= 8, "{prefix}");
        }
    }

    #[test]
    fn permutation_is_a_bijection_on_a_sample() {
        let s = PhnSource::new(9);
        let mut seen: Vec<u32> = (0..200_000).map(|x| s.permute(x)).collect();
        assert!(seen.iter().all(|&v| (v as usize) < MAX_PHNS));
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 200_000);
    }
}
