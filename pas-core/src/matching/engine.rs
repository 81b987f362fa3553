//! The province-scale serial dictatorship (DOMAIN §5), equal to [`super::naive::assign`] on every
//! input.
//!
//! Each unit needs "the first provider in my preference order that still has room for us".
//! Preference is by distance first, so this is a constrained nearest-neighbour query, and the
//! answer changes as places are taken. Two pieces make it fast:
//!
//! * A k-d tree over clinic locations as points on the unit sphere (chord length is monotone
//!   in great-circle distance, so a box's Euclidean distance gives a safe lower bound for §5's
//!   haversine). Every node keeps a *summary* of its providers that still have places: the
//!   most places any has, and the union of their genders, languages, complexity levels and
//!   family acceptance. A search skips a subtree when the summary shows no provider there can
//!   take the unit, so exhausted or unsuitable regions cost one check. Summaries only
//!   over-approximate, and every candidate is confirmed with [`super::Unit::accepts`] — the
//!   same predicate the naive oracle uses — and §5's exact distance, so pruning never changes
//!   the answer.
//! * Units are walked in batches. For a batch, each unit's first [`K`] eligible providers with
//!   room for it *at the start of the batch* are found in parallel (the tree is read-only
//!   then). During the sequential walk a unit takes the first of them that still has room;
//!   only when all are full (and the list was cut at K) does it search the live tree. Places
//!   only decrease, so a provider missing from the list cannot have room later: the list is a
//!   prefix of the unit's true choices, and the result is exact. Late in a run most providers
//!   are full, the summaries prune whole subtrees, and batches cost little.

use super::{Assignment, Problem, Unit, par, preference, preference_cmp};
use crate::location::EARTH_RADIUS_KM;
use crate::provider::Provider;
use crate::registration::{GenderPreference, Language};
use std::collections::HashMap;

/// Candidates prefetched per unit.
const K: usize = 4;
/// Units whose candidates are prefetched together, against the places left before the batch.
const BATCH: usize = 2048;
/// Providers per tree leaf.
const LEAF: usize = 8;
/// Safety margin on distance lower bounds (1 mm): covers floating-point differences between the
/// bound and §5's formula, so pruning is never too eager.
const MARGIN_KM: f64 = 1e-6;
/// Language bit for languages beyond the first 63 (checked exactly at the leaf).
const OVERFLOW_BIT: u64 = 1 << 63;

/// Run the match at province scale. Same result as [`super::naive::assign`].
pub fn assign(problem: &Problem) -> Assignment {
    let units = &problem.units;
    let mut live = Index::new(&problem.providers);
    let reqs: Vec<Req> = par::map(units, |u| live.requirement(u));
    let mut remaining: Vec<u32> = problem.providers.iter().map(Provider::places_offered).collect();
    let mut outcome = Vec::with_capacity(units.len());
    let mut found = Found::new(1);
    let mut batch: Vec<usize> = Vec::with_capacity(BATCH);
    for start in (0..units.len()).step_by(BATCH) {
        batch.clear();
        batch.extend(start..units.len().min(start + BATCH));
        // Parallel, read-only: each unit's first K providers with room for it now. Places only
        // ever decrease, so a provider left out now cannot have room when the unit's turn comes.
        let prefetched: Vec<Prefetch> = par::map_init(
            &batch,
            || Found::new(K),
            |found, &i| {
                found.keys.clear();
                let complete = live.search(&units[i], &reqs[i], units[i].size(), &remaining, found);
                let mut candidates = [(u32::MAX, 0.0); K];
                for (c, k) in candidates.iter_mut().zip(&found.keys) {
                    *c = (k.2, k.0);
                }
                Prefetch {
                    candidates,
                    len: found.keys.len(),
                    complete,
                }
            },
        );
        // Sequential: the walk in priority order.
        for (&i, pre) in batch.iter().zip(&prefetched) {
            let (unit, req) = (&units[i], &reqs[i]);
            let size = unit.size();
            let mut chosen = pre.candidates[..pre.len]
                .iter()
                .copied()
                .find(|&(p, _)| remaining[p as usize] >= size);
            if chosen.is_none() && !pre.complete {
                found.keys.clear();
                live.search(unit, req, size, &remaining, &mut found);
                chosen = found.keys.first().map(|k| (k.2, k.0));
            }
            if let Some((p, _)) = chosen {
                remaining[p as usize] -= size;
                live.refresh(p, &remaining);
            }
            outcome.push(chosen);
        }
    }
    Assignment { outcome }
}

struct Prefetch {
    /// `(provider, distance)` in preference order: the first `len`.
    candidates: [(u32, f64); K],
    len: usize,
    /// All eligible providers are in `candidates`.
    complete: bool,
}

/// A unit's needs in the shape of a node summary (necessary conditions only).
struct Req {
    xyz: [f64; 3],
    /// Bits of acceptable provider genders (0: none is).
    genders: u8,
    /// Languages some member needs the provider to speak.
    langs: u64,
    complexity: u8,
    family: bool,
    max_km: f64,
}

/// What the providers below a node can still take. Only ever over-approximates.
#[derive(Clone, Copy, Default)]
struct Summary {
    max_remaining: u32,
    genders: u8,
    langs: u64,
    complexity: u8,
    families: bool,
}

impl Summary {
    fn merge(self, o: Summary) -> Summary {
        Summary {
            max_remaining: self.max_remaining.max(o.max_remaining),
            genders: self.genders | o.genders,
            langs: self.langs | o.langs,
            complexity: self.complexity.max(o.complexity),
            families: self.families | o.families,
        }
    }

    fn admits(&self, r: &Req, need: u32) -> bool {
        self.max_remaining >= need
            && self.genders & r.genders != 0
            && r.langs & !self.langs == 0
            && self.complexity >= r.complexity
            && (!r.family || self.families)
    }
}

struct Node {
    lo: [f64; 3],
    hi: [f64; 3],
    /// Children, or `None` for a leaf holding `order[start..end]`.
    children: Option<(u32, u32)>,
    start: u32,
    end: u32,
    parent: u32,
    summary: Summary,
}

struct Index<'a> {
    providers: &'a [Provider],
    /// Per provider: its summary when it has places, and its point.
    each: Vec<(Summary, [f64; 3])>,
    nodes: Vec<Node>,
    order: Vec<u32>,
    leaf_of: Vec<u32>,
    lang_bits: HashMap<Language, u64>,
}

fn xyz(lat: f64, lon: f64) -> [f64; 3] {
    let (phi, lambda) = (lat.to_radians(), lon.to_radians());
    [phi.cos() * lambda.cos(), phi.cos() * lambda.sin(), phi.sin()]
}

impl<'a> Index<'a> {
    fn new(providers: &'a [Provider]) -> Self {
        let mut counts: HashMap<Language, usize> = HashMap::new();
        for p in providers {
            for &l in &p.languages {
                *counts.entry(l).or_default() += 1;
            }
        }
        let mut by_use: Vec<(Language, usize)> = counts.into_iter().collect();
        by_use.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let lang_bits: HashMap<Language, u64> = by_use
            .iter()
            .enumerate()
            .map(|(i, &(l, _))| (l, if i < 63 { 1 << i } else { OVERFLOW_BIT }))
            .collect();
        let each = providers
            .iter()
            .map(|p| {
                let summary = Summary {
                    max_remaining: p.places_offered(),
                    genders: 1 << (p.gender as u8),
                    langs: p
                        .languages
                        .iter()
                        .map(|l| lang_bits.get(l).copied().unwrap_or(0))
                        .fold(0, |a, b| a | b),
                    complexity: p.max_complexity as u8,
                    families: p.accepts_families,
                };
                (summary, xyz(p.location.latitude, p.location.longitude))
            })
            .collect();
        let mut index = Index {
            providers,
            each,
            nodes: Vec::new(),
            order: Vec::new(),
            leaf_of: vec![u32::MAX; providers.len()],
            lang_bits,
        };
        let mut items: Vec<u32> = (0..providers.len())
            .filter(|&i| providers[i].places_offered() >= 1)
            .filter_map(|i| u32::try_from(i).ok())
            .collect();
        if !items.is_empty() {
            index.build(&mut items, u32::MAX);
        }
        index
    }

    fn build(&mut self, items: &mut [u32], parent: u32) -> u32 {
        let mut lo = [f64::INFINITY; 3];
        let mut hi = [f64::NEG_INFINITY; 3];
        let mut summary = Summary::default();
        for &i in items.iter() {
            let (s, p) = self.each[i as usize];
            summary = summary.merge(s);
            for a in 0..3 {
                lo[a] = lo[a].min(p[a]);
                hi[a] = hi[a].max(p[a]);
            }
        }
        let id = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        self.nodes.push(Node {
            lo,
            hi,
            children: None,
            start: 0,
            end: 0,
            parent,
            summary,
        });
        if items.len() <= LEAF {
            let start = u32::try_from(self.order.len()).unwrap_or(u32::MAX);
            for &i in items.iter() {
                self.leaf_of[i as usize] = id;
            }
            self.order.extend_from_slice(items);
            let end = u32::try_from(self.order.len()).unwrap_or(u32::MAX);
            let node = &mut self.nodes[id as usize];
            node.start = start;
            node.end = end;
            return id;
        }
        let axis = (0..3)
            .max_by(|&a, &b| (hi[a] - lo[a]).total_cmp(&(hi[b] - lo[b])))
            .unwrap_or(0);
        let mid = items.len() / 2;
        let each = &self.each;
        items.select_nth_unstable_by(mid, |&a, &b| {
            each[a as usize].1[axis]
                .total_cmp(&each[b as usize].1[axis])
                .then(a.cmp(&b))
        });
        let (left_items, right_items) = items.split_at_mut(mid);
        let left = self.build(left_items, id);
        let right = self.build(right_items, id);
        self.nodes[id as usize].children = Some((left, right));
        id
    }

    fn requirement(&self, u: &Unit) -> Req {
        let mut genders: u8 = 0b1111;
        let mut langs = 0u64;
        let mut complexity = 0u8;
        let mut max_km = f64::INFINITY;
        for m in &u.members {
            genders &= match m.gender_preference {
                GenderPreference::Any => 0b1111,
                GenderPreference::Female => 1 << (crate::provider::ProviderGender::Female as u8),
                GenderPreference::Male => 1 << (crate::provider::ProviderGender::Male as u8),
            };
            if m.translator_needed {
                match self.lang_bits.get(&m.language) {
                    Some(&bit) => langs |= bit,
                    None => genders = 0, // nobody speaks it: no provider can take this unit
                }
            }
            complexity = complexity.max(m.complexity as u8);
            if let Some(km) = m.travel.max_km() {
                max_km = max_km.min(km);
            }
        }
        Req {
            xyz: xyz(u.location.latitude, u.location.longitude),
            genders,
            langs,
            complexity,
            family: u.members.len() > 1,
            max_km,
        }
    }

    /// Lower bound of the squared chord (unit sphere) from `x` to any point in the node's box.
    /// Pruning compares squared chords, which grow with §5's distance, so a search computes no
    /// trigonometry until a provider is a real candidate.
    fn lower_bound_sq(node: &Node, x: &[f64; 3]) -> f64 {
        (0..3)
            .map(|a| {
                let gap = (node.lo[a] - x[a]).max(x[a] - node.hi[a]).max(0.0);
                gap * gap
            })
            .sum()
    }

    /// Collect into `found` the best `found.k` eligible providers with `remaining ≥ need`, in
    /// preference order. Returns whether every such provider was found (fewer than k exist).
    fn search(&self, unit: &Unit, r: &Req, need: u32, remaining: &[u32], found: &mut Found) -> bool {
        if r.genders == 0 || self.nodes.is_empty() {
            return true;
        }
        found.start(r.max_km);
        let mut stack = std::mem::take(&mut found.stack);
        stack.clear();
        stack.push((0, Self::lower_bound_sq(&self.nodes[0], &r.xyz)));
        while let Some((id, lb)) = stack.pop() {
            if lb > found.bound_sq {
                continue;
            }
            let node = &self.nodes[id as usize];
            if !node.summary.admits(r, need) {
                continue;
            }
            match node.children {
                Some((a, b)) => {
                    let la = Self::lower_bound_sq(&self.nodes[a as usize], &r.xyz);
                    let lb_b = Self::lower_bound_sq(&self.nodes[b as usize], &r.xyz);
                    if la <= lb_b {
                        stack.push((b, lb_b));
                        stack.push((a, la));
                    } else {
                        stack.push((a, la));
                        stack.push((b, lb_b));
                    }
                }
                None => {
                    for &i in &self.order[node.start as usize..node.end as usize] {
                        if remaining[i as usize] < need {
                            continue;
                        }
                        let (s, at) = &self.each[i as usize];
                        if chord_sq(at, &r.xyz) > found.bound_sq
                            || s.genders & r.genders == 0
                            || r.langs & !s.langs != 0
                            || s.complexity < r.complexity
                            || (r.family && !s.families)
                        {
                            continue;
                        }
                        let p = &self.providers[i as usize];
                        let d = unit.distance_km(p);
                        if d > found.bound_km || !unit.accepts(p, d) {
                            continue;
                        }
                        found.offer(preference(unit, p, i, d));
                    }
                }
            }
        }
        found.stack = stack;
        found.keys.len() < found.k
    }

    /// Provider `p`'s places changed: recompute the summaries on its path to the root.
    fn refresh(&mut self, p: u32, remaining: &[u32]) {
        let mut id = self.leaf_of[p as usize];
        if id == u32::MAX {
            return;
        }
        let node = &self.nodes[id as usize];
        let mut summary = Summary::default();
        for &i in &self.order[node.start as usize..node.end as usize] {
            let r = remaining[i as usize];
            if r > 0 {
                summary = summary.merge(Summary {
                    max_remaining: r,
                    ..self.each[i as usize].0
                });
            }
        }
        self.nodes[id as usize].summary = summary;
        loop {
            id = self.nodes[id as usize].parent;
            if id == u32::MAX {
                break;
            }
            if let Some((a, b)) = self.nodes[id as usize].children {
                self.nodes[id as usize].summary = self.nodes[a as usize].summary.merge(self.nodes[b as usize].summary);
            }
        }
    }
}

/// The best `k` keys seen so far, sorted, and how far a search still needs to look.
struct Found {
    k: usize,
    keys: Vec<(f64, u8, u32)>,
    /// Farthest distance still worth looking at (km), ...
    bound_km: f64,
    /// ... and the same as a squared chord, with [`MARGIN_KM`] of slack.
    bound_sq: f64,
    /// The search's stack, kept between searches.
    stack: Vec<(u32, f64)>,
}

impl Found {
    fn new(k: usize) -> Self {
        Self {
            k,
            keys: Vec::with_capacity(k + 1),
            bound_km: f64::INFINITY,
            bound_sq: f64::INFINITY,
            stack: Vec::with_capacity(64),
        }
    }

    /// A new search within `max_km` (the keys are kept: the caller clears them).
    fn start(&mut self, max_km: f64) {
        self.bound_km = max_km;
        self.bound_sq = chord_sq_of_km(max_km);
    }

    fn offer(&mut self, key: (f64, u8, u32)) {
        if self.keys.len() == self.k && self.keys.last().is_some_and(|w| preference_cmp(key, *w).is_ge()) {
            return;
        }
        let at = self.keys.partition_point(|k| preference_cmp(*k, key).is_lt());
        self.keys.insert(at, key);
        self.keys.truncate(self.k);
        if self.keys.len() == self.k
            && let Some(last) = self.keys.last()
            && last.0 < self.bound_km
        {
            self.bound_km = last.0;
            self.bound_sq = chord_sq_of_km(last.0);
        }
    }
}

/// Squared chord between two points on the unit sphere.
fn chord_sq(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    (0..3).map(|i| (a[i] - b[i]) * (a[i] - b[i])).sum()
}

/// The squared chord of a great-circle distance, plus [`MARGIN_KM`] (a search prunes only
/// beyond it, so floating-point differences from §5's formula never prune a true candidate).
fn chord_sq_of_km(km: f64) -> f64 {
    let half_angle = (km + MARGIN_KM) / (2.0 * EARTH_RADIUS_KM);
    if !half_angle.is_finite() || half_angle >= std::f64::consts::FRAC_PI_2 {
        return f64::INFINITY;
    }
    let chord = 2.0 * half_angle.sin();
    chord * chord
}
