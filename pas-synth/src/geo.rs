//! Where synthetic people and clinics are: a weighted FSA, a jittered point around its
//! centroid, a plausible postal code.
//!
//! Only `+ - * /` are used on floats (cosine is a polynomial, not `f64::cos`), because those are
//! correctly rounded everywhere while libm's transcendental functions may differ in the last bit
//! between platforms — and a seed must give the same bytes on every platform.

use pas_core::location::{FsaCentroid, bc_fsas};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::draw::fixed5;

/// Km per degree of latitude (mean).
const KM_PER_DEGREE: f64 = 111.32;

/// Letters Canada Post uses in the 3rd and 5th position (DOMAIN §1: `[ABCEGHJ-NPRSTV-Z]`).
const LDU_LETTERS: &[u8; 20] = b"ABCEGHJKLMNPRSTVWXYZ";

/// Kinds of BC FSA, read from the FSA's digit (`V0x` rural, `V3`–`V7` Lower Mainland, `V8`
/// Greater Victoria, `V9` rest of Vancouver Island, `V1`/`V2` Interior, North and Fraser Valley).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AreaKind {
    /// `V0x`: rural areas of thousands of km².
    Rural,
    /// `V1`, `V2`, `V9`: towns and small cities.
    Town,
    /// `V3`–`V7` (Lower Mainland).
    LowerMainland,
    /// `V8` (Greater Victoria).
    Victoria,
}

impl AreaKind {
    fn of(fsa: &FsaCentroid) -> Self {
        match fsa.fsa.as_str().as_bytes().get(1) {
            Some(b'0') => Self::Rural,
            Some(b'3'..=b'7') => Self::LowerMainland,
            Some(b'8') => Self::Victoria,
            _ => Self::Town,
        }
    }

    /// Relative number of registrants per FSA: FSAs hold similar populations, the Lower
    /// Mainland's somewhat more, rural ones (huge, sparse) less.
    fn home_weight(self) -> f64 {
        match self {
            Self::LowerMainland => 1.3,
            Self::Victoria | Self::Town => 1.0,
            Self::Rural => 0.5,
        }
    }

    /// Relative number of clinics per FSA: clinics concentrate in cities more than homes do.
    fn clinic_weight(self) -> f64 {
        match self {
            Self::LowerMainland | Self::Victoria => self.home_weight() * 1.5,
            Self::Town | Self::Rural => self.home_weight(),
        }
    }

    /// Standard deviation (km) of a home around its FSA centroid, ~ the FSA's radius.
    fn home_sigma_km(self) -> f64 {
        match self {
            Self::LowerMainland | Self::Victoria => 1.5,
            Self::Town => 3.0,
            Self::Rural => 12.0,
        }
    }

    /// Standard deviation (km) of a clinic around its FSA centroid: clinics sit in town centres.
    fn clinic_sigma_km(self) -> f64 {
        match self {
            Self::Rural => 5.0,
            _ => 1.0,
        }
    }
}

/// One FSA prepared for drawing.
struct Area {
    fsa: &'static FsaCentroid,
    kind: AreaKind,
    /// Km per degree of longitude at the centroid.
    km_per_degree_lon: f64,
    /// Cumulative weight up to and including this area.
    cumulative: f64,
}

/// The BC FSAs with cumulative weights, for homes or for clinics.
pub(crate) struct Areas {
    areas: Vec<Area>,
    clinics: bool,
}

/// A drawn location, as the text fields shared by a household or a clinic.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    pub(crate) postal_code: String,
    pub(crate) community: String,
    pub(crate) latitude: String,
    pub(crate) longitude: String,
    pub(crate) kind: AreaKind,
}

impl Areas {
    /// Areas weighted for homes (`clinics = false`) or clinics.
    pub(crate) fn new(clinics: bool) -> Self {
        let mut total = 0.0;
        let areas = bc_fsas()
            .iter()
            .map(|fsa| {
                let kind = AreaKind::of(fsa);
                total += if clinics {
                    kind.clinic_weight()
                } else {
                    kind.home_weight()
                };
                Area {
                    fsa,
                    kind,
                    km_per_degree_lon: KM_PER_DEGREE * cos(fsa.latitude * (std::f64::consts::PI / 180.0)),
                    cumulative: total,
                }
            })
            .collect();
        Self { areas, clinics }
    }

    /// Draw an FSA, a point around its centroid, a postal code in it; coordinates are given
    /// for ~90 % of places (else blank: the centroid is used) and the community name for ~80 %.
    pub(crate) fn place(&self, rng: &mut ChaCha8Rng) -> Place {
        let total = self.areas.last().map_or(0.0, |a| a.cumulative);
        let x = rng.random::<f64>() * total;
        let i = self
            .areas
            .partition_point(|a| a.cumulative <= x)
            .min(self.areas.len() - 1);
        let area = &self.areas[i];
        let sigma = if self.clinics {
            area.kind.clinic_sigma_km()
        } else {
            area.kind.home_sigma_km()
        };
        let dy = sigma * standard_normalish(rng);
        let dx = sigma * standard_normalish(rng);
        let (latitude, longitude) = if rng.random::<f64>() < 0.9 {
            let lat = area.fsa.latitude + dy / KM_PER_DEGREE;
            let lon = area.fsa.longitude + dx / area.km_per_degree_lon;
            (fixed5(lat), fixed5(lon))
        } else {
            (String::new(), String::new())
        };
        let community = if rng.random::<f64>() < 0.8 {
            area.fsa.name.to_owned()
        } else {
            String::new()
        };
        Place {
            postal_code: postal_code(rng, area.fsa.fsa.as_str()),
            community,
            latitude,
            longitude,
            kind: area.kind,
        }
    }
}

/// Sum of three uniforms on (−1, 1): mean 0, variance 1, bell-shaped, bounded by ±3.
fn standard_normalish(rng: &mut ChaCha8Rng) -> f64 {
    (rng.random::<f64>() + rng.random::<f64>() + rng.random::<f64>()) * 2.0 - 3.0
}

/// `fsa` + a plausible LDU (digit, letter, digit), written `V8W 1P6` (or `V8W1P6` for 1 in 10,
/// since both spellings arrive in real files).
fn postal_code(rng: &mut ChaCha8Rng, fsa: &str) -> String {
    let mut s = String::with_capacity(7);
    s.push_str(fsa);
    if rng.random::<f64>() < 0.9 {
        s.push(' ');
    }
    s.push(char::from(b'0' + rng.random_range(0..10u8)));
    s.push(char::from(
        LDU_LETTERS[rng.random_range(0..LDU_LETTERS.len() as u32) as usize],
    ));
    s.push(char::from(b'0' + rng.random_range(0..10u8)));
    s
}

/// cos(x) for |x| ≤ ~1.2 rad (latitudes up to 70°) by its Taylor series to x¹⁴ (error < 1e-9),
/// with basic operations only so that it is bit-identical on every platform.
fn cos(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..=7u32 {
        let n = f64::from(2 * k);
        term = -term * x2 / ((n - 1.0) * n);
        sum += term;
    }
    sum
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn cosine_polynomial_is_accurate_over_bc() {
        for deg in 40..=70 {
            let x = f64::from(deg).to_radians();
            assert!((cos(x) - x.cos()).abs() < 1e-9, "{deg}");
        }
    }

    #[test]
    fn s1_places_have_valid_postal_codes_in_a_known_fsa() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for clinics in [false, true] {
            let areas = Areas::new(clinics);
            for _ in 0..2000 {
                let p = areas.place(&mut rng);
                let pc = pas_core::PostalCode::parse(&p.postal_code).unwrap();
                assert!(pas_core::location::fsa_centroid(pc.fsa()).is_some());
            }
        }
    }
}
