//! Serial dictatorship exactly as DOMAIN §5 words it: each unit, in priority order, looks at
//! every provider. O(units × providers): the oracle the fast engine is tested against, and the
//! benchmark baseline. Do not optimise this file; its value is being obviously right.

use super::{Assignment, Problem, preference, preference_cmp};

/// Assign by the literal definition.
pub fn assign(problem: &Problem) -> Assignment {
    let mut remaining: Vec<u32> = problem.providers.iter().map(|p| p.open_places).collect();
    let mut outcome = Vec::with_capacity(problem.units.len());
    for unit in &problem.units {
        let size = unit.size();
        let mut best: Option<(f64, u8, u32)> = None;
        for (i, p) in problem.providers.iter().enumerate() {
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            let d = unit.distance_km(p);
            if !unit.accepts(p, d) || remaining[i] < size {
                continue;
            }
            let key = preference(unit, p, index, d);
            if best.is_none_or(|b| preference_cmp(key, b).is_lt()) {
                best = Some(key);
            }
        }
        outcome.push(best.map(|(d, _, i)| {
            remaining[i as usize] -= size;
            (i, d)
        }));
    }
    Assignment { outcome }
}
