//! Statistical disclosure control for every public figure (DOMAIN §11): "The public dashboard
//! shows only aggregates of ≥ 10 persons, with complementary suppression: no published count,
//! rate, total minus parts, or difference between published figures may reveal a group of fewer
//! than 10 persons."
//!
//! A caller describes what it wants to publish as a [`Table`]: counts of persons ([`Table::shown`]
//! for figures it would print, [`Table::hidden`] for groups it never prints but that published
//! figures imply, such as the unmatched persons of a tier or one month's attachments) and the
//! additivity relations between them ([`Table::sum`]: a total and its parts; [`Table::split`]: a
//! total, some of its parts and the rest, which is a group in its own right). [`Table::publish`]
//! decides what may be shown; [`Published`] then hands out counts, rates and medians, `None`
//! where suppressed. Every public output of the workspace goes through it (the dashboard, the
//! care gaps and `/stats` in one table, the last match run in another), so no caller can forget
//! a relation's partner.
//!
//! # The rule
//!
//! * **Primary suppression.** Every count from 0 to 9 is suppressed, shown or hidden.
//! * **Zero is suppressed too.** A published 0 is an aggregate of fewer than 10 persons, and it
//!   tells the reader something about every person in a neighbouring cell ("all 12 people waiting
//!   in Tofino are tier 1", "nobody in tier 2 was left unmatched"). Because zeros are never
//!   shown, a `null` may stand for 0, so a reader cannot use "a suppressed cell holds at least
//!   one person" to narrow it either. The exceptions are *structural* zeros, differences that
//!   the definitions make 0 whatever the data (a list counted by tier and by community;
//!   registrations dated after today): [`Table::sum`] ties such figures exactly and adds the
//!   difference as a protected hidden cell only when the data contradicts the definition.
//! * **Complementary suppression.** Then more cells are suppressed until a reader who knows
//!   every published count and every relation — subtracting parts from totals, taking
//!   differences, and solving the whole system of equations with every count ≥ 0 — cannot
//!   (a) bound any cell of 0–9 by a value under 10, nor (b) recover any suppressed figure
//!   exactly. Cells of 10 or more that are never shown (a complement of two shown figures) may
//!   be recovered; they are not about a small group.
//! * **Rates** (`matched / persons`) are published only when both counts are; since the
//!   complement (`persons − matched`) is then a hidden cell of the table, it is ≥ 10 or one of
//!   the two is suppressed, and `rate × persons` never reveals anything unpublished.
//! * **Medians** and other figures about a group are published only when the group's count is.
//!
//! # How
//!
//! Cells of 0–9 are suppressed first; then, relation by relation, a relation with a single
//! suppressed cell, or whose suppressed cells on one side sum to less than 10 while the other
//! side is known, gets its cheapest remaining cell suppressed too (the smallest count, headline
//! totals ([`Table::headline`]) last; hidden cells are suppressed from the start and cost
//! nothing). Then the reader's best bounds are computed exactly: for each connected group of
//! suppressed cells, a linear programme over `{x ≥ 0 : relations hold, published cells fixed}`
//! (a small dense simplex). For every cell the reader could still narrow or recover, a
//! published cell whose freedom would loosen the binding bound (read from the programme's dual
//! prices), else the cheapest cell of its relations, is suppressed, and the check runs again,
//! until nothing leaks. A bound counts as safe only when an *integral* solution attains it, so the guarantee
//! holds for a reader who reasons with whole persons too. Last, since the greedy choice is not
//! the best one, complements are tried back one at a time (headlines first, then the largest,
//! a bounded number) and kept published only when the exact check still passes. The result is
//! checked, not assumed; the tests attack it with an independent reader.
//!
//! What a table does not contain is not protected: the caller must put every figure that goes
//! out together, and every relation between them, into one table.

mod lp;

/// The smallest group a public figure may describe (DOMAIN §11).
pub const MIN_PUBLIC_GROUP: u64 = 10;

/// `n` if it counts at least [`MIN_PUBLIC_GROUP`] persons, else `None`: primary suppression of
/// a figure that stands alone (no total, part or difference relates it to another published
/// figure). Figures with relations go through a [`Table`].
///
/// ```
/// assert_eq!(pas_core::disclosure::public_count(10), Some(10));
/// assert_eq!(pas_core::disclosure::public_count(9), None);
/// assert_eq!(pas_core::disclosure::public_count(0), None);
/// ```
pub const fn public_count(n: u64) -> Option<u64> {
    if n >= MIN_PUBLIC_GROUP { Some(n) } else { None }
}

/// A count in a [`Table`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cell(usize);

impl Cell {
    /// Its position in the table (cells are numbered from 0 in order of creation).
    pub const fn index(self) -> usize {
        self.0
    }
}

/// `Σ totals = Σ parts`. Built by [`Table::sum`] and [`Table::split`]; the totals side holds the
/// total and, when the data contradicts the definition, a hidden remainder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// One side.
    pub totals: Vec<Cell>,
    /// The other side.
    pub parts: Vec<Cell>,
}

/// Counts of persons and their additivity relations, to be published together.
///
/// ```
/// use pas_core::disclosure::Table;
/// // DOMAIN §11: 13 waiting, by tier 0, 0, 13.
/// let mut t = Table::new();
/// let waiting = t.shown(13);
/// let tiers = [t.shown(0), t.shown(0), t.shown(13)];
/// t.sum(waiting, &tiers);
/// let p = t.publish();
/// // Publishing tier 3 would prove tiers 1 and 2 empty.
/// assert_eq!(tiers.map(|c| p.count(c)), [None, None, None]);
/// assert_eq!(p.count(waiting), Some(13));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Table {
    values: Vec<u64>,
    shown: Vec<bool>,
    headline: Vec<bool>,
    relations: Vec<Relation>,
}

/// What the reader may still not know of one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// A count under 10: some solution must put it at ≥ 10.
    Reach,
    /// A suppressed shown count of 10 or more: some solution must move it.
    Move,
}

impl Table {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// A count the caller would publish.
    pub fn shown(&mut self, n: u64) -> Cell {
        self.push(n, true)
    }

    /// A count the caller would publish and most wants to keep (a page's headline total):
    /// suppressed as a complement only when no ordinary cell will do.
    pub fn headline(&mut self, n: u64) -> Cell {
        let c = self.push(n, true);
        if let Some(h) = self.headline.get_mut(c.0) {
            *h = true;
        }
        c
    }

    /// A count of persons that is never published but that published figures may imply (a
    /// difference, a complement): protected like any other when under 10.
    pub fn hidden(&mut self, n: u64) -> Cell {
        self.push(n, false)
    }

    fn push(&mut self, n: u64, shown: bool) -> Cell {
        self.values.push(n);
        self.shown.push(shown);
        self.headline.push(false);
        Cell(self.values.len() - 1)
    }

    /// `total = Σ parts` by definition (a structural relation). Should the data disagree, the
    /// difference is added as a hidden cell on the short side (and returned), so that the
    /// relation the table holds is always true; when they agree, the reader may rely on the
    /// identity and nothing is added. No-op without parts.
    pub fn sum(&mut self, total: Cell, parts: &[Cell]) -> Option<Cell> {
        if parts.is_empty() {
            return None;
        }
        let whole = self.value(total);
        let sum: u64 = parts.iter().map(|&c| self.value(c)).sum();
        let mut relation = Relation {
            totals: vec![total],
            parts: parts.to_vec(),
        };
        let rest = if whole > sum {
            let r = self.hidden(whole - sum);
            relation.parts.push(r);
            Some(r)
        } else if sum > whole {
            let r = self.hidden(sum - whole);
            relation.totals.push(r);
            Some(r)
        } else {
            None
        };
        self.relations.push(relation);
        rest
    }

    /// `total = Σ parts + rest`, where the rest (returned, hidden) is a group of persons in its
    /// own right — the unmatched of a tier, the month's attachments between two cumulative
    /// figures — and is protected even when 0.
    pub fn split(&mut self, total: Cell, parts: &[Cell]) -> Cell {
        let whole = self.value(total);
        let sum: u64 = parts.iter().map(|&c| self.value(c)).sum();
        let rest = self.hidden(whole.abs_diff(sum));
        let mut relation = Relation {
            totals: vec![total],
            parts: parts.to_vec(),
        };
        if whole >= sum {
            relation.parts.push(rest);
        } else {
            relation.totals.push(rest);
        }
        self.relations.push(relation);
        rest
    }

    /// The cell's true value.
    pub fn value(&self, c: Cell) -> u64 {
        self.values.get(c.0).copied().unwrap_or(0)
    }

    /// Whether the caller would publish the cell ([`Table::shown`]).
    pub fn is_shown(&self, c: Cell) -> bool {
        self.shown.get(c.0).copied().unwrap_or(false)
    }

    /// Every cell, in order of creation.
    pub fn cells(&self) -> impl Iterator<Item = Cell> + '_ {
        (0..self.values.len()).map(Cell)
    }

    /// Every relation.
    pub fn relations(&self) -> &[Relation] {
        &self.relations
    }

    fn need(&self, c: usize) -> Option<Need> {
        let v = self.values.get(c).copied().unwrap_or(0);
        if v < MIN_PUBLIC_GROUP {
            Some(Need::Reach)
        } else if self.shown.get(c).copied().unwrap_or(false) {
            Some(Need::Move)
        } else {
            None
        }
    }

    /// Decide what may be published (the rule of the module docs).
    pub fn publish(&self) -> Published {
        let n = self.values.len();
        // Which relations each cell is in, and with which sign.
        let mut member: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (r, rel) in self.relations.iter().enumerate() {
            for c in rel.totals.iter().chain(&rel.parts) {
                if let Some(m) = member.get_mut(c.0) {
                    m.push(r);
                }
            }
        }
        let mut suppressed: Vec<bool> = (0..n)
            .map(|c| !self.shown[c] || self.values[c] < MIN_PUBLIC_GROUP)
            .collect();
        // Cells a witness has shown the reader cannot narrow or recover. Suppressing more only
        // widens the reader's set of possible tables, so they stay safe in later rounds.
        let mut safe = vec![false; n];
        loop {
            self.local_rules(&mut suppressed, &member);
            let leaks = self.leaks(&suppressed, &mut safe);
            if leaks.is_empty() || !self.complement(&leaks, &mut suppressed, &member) {
                break;
            }
        }
        self.restore(&mut suppressed, &mut safe, &member);
        Published {
            values: self.values.clone(),
            published: (0..n).map(|c| self.shown[c] && !suppressed[c]).collect(),
        }
    }

    /// The greedy choice of complements is not the best one; try to publish again the
    /// complements worth it most — headlines, then the largest counts, a bounded number — each
    /// kept only if the exact check still finds no leak.
    fn restore(&self, suppressed: &mut [bool], safe: &mut [bool], member: &[Vec<usize>]) {
        /// Ordinary complements tried (headlines are always tried).
        const TRIES: usize = 24;
        let mut complements: Vec<usize> = (0..self.values.len())
            .filter(|&c| suppressed[c] && self.shown[c] && self.values[c] >= MIN_PUBLIC_GROUP)
            .collect();
        complements.sort_by_key(|&c| {
            (
                std::cmp::Reverse(self.headline[c]),
                std::cmp::Reverse(self.values[c]),
                c,
            )
        });
        let mut ordinary = 0;
        for c in complements {
            if !self.headline[c] {
                if ordinary == TRIES {
                    break;
                }
                ordinary += 1;
            }
            suppressed[c] = false;
            // Only the suppressed cells linked to `c` see a smaller set of possible tables.
            let linked = self.linked(c, suppressed, member);
            let before: Vec<(usize, bool)> = linked.iter().map(|&d| (d, safe[d])).collect();
            for &d in &linked {
                safe[d] = false;
            }
            if !self.leaks(suppressed, safe).is_empty() {
                suppressed[c] = true;
                for (d, was) in before {
                    safe[d] = was;
                }
            }
        }
    }

    /// The suppressed cells connected to `c` through relations and suppressed cells.
    fn linked(&self, c: usize, suppressed: &[bool], member: &[Vec<usize>]) -> Vec<usize> {
        let mut seen = vec![false; self.values.len()];
        let mut seen_rel = vec![false; self.relations.len()];
        let mut stack = vec![c];
        let mut out = Vec::new();
        while let Some(x) = stack.pop() {
            for &r in &member[x] {
                if std::mem::replace(&mut seen_rel[r], true) {
                    continue;
                }
                let Some(rel) = self.relations.get(r) else { continue };
                for d in rel.totals.iter().chain(&rel.parts).map(|d| d.0) {
                    if suppressed[d] && !std::mem::replace(&mut seen[d], true) {
                        out.push(d);
                        stack.push(d);
                    }
                }
            }
        }
        out
    }

    /// How costly suppressing `c` is: headlines last, then its count (the information lost),
    /// then whether it is a total somewhere, then its relations (each may need a complement of
    /// its own).
    fn cost(&self, c: usize, member: &[Vec<usize>]) -> (bool, u64, usize, usize, usize) {
        let totals = member[c]
            .iter()
            .filter(|&&r| {
                self.relations
                    .get(r)
                    .is_some_and(|rel| rel.totals.iter().any(|t| t.0 == c))
            })
            .count();
        (self.headline[c], self.values[c], totals, member[c].len(), c)
    }

    /// [`Table::cost`] without the membership index.
    fn cost_of(&self, c: usize) -> (bool, u64, usize, usize, usize) {
        let (mut totals, mut relations) = (0, 0);
        for rel in &self.relations {
            if rel.totals.iter().any(|t| t.0 == c) {
                totals += 1;
                relations += 1;
            } else if rel.parts.iter().any(|t| t.0 == c) {
                relations += 1;
            }
        }
        (self.headline[c], self.values[c], totals, relations, c)
    }

    /// The cheapest unsuppressed cell of relation `r` ([`Table::cost`]).
    fn cheapest(&self, r: usize, suppressed: &[bool], member: &[Vec<usize>]) -> Option<usize> {
        let rel = self.relations.get(r)?;
        rel.totals
            .iter()
            .chain(&rel.parts)
            .map(|c| c.0)
            .filter(|&c| !suppressed[c])
            .min_by_key(|&c| self.cost(c, member))
    }

    /// The necessary conditions one relation at a time, to a fixed point: no relation with a
    /// single suppressed cell that needs protecting, and no cell under 10 whose side's
    /// suppressed cells sum to under 10 while the other side is all published.
    fn local_rules(&self, suppressed: &mut [bool], member: &[Vec<usize>]) {
        loop {
            let mut changed = false;
            for (r, rel) in self.relations.iter().enumerate() {
                let hidden: Vec<usize> = rel
                    .totals
                    .iter()
                    .chain(&rel.parts)
                    .map(|c| c.0)
                    .filter(|&c| suppressed[c])
                    .collect();
                let lone = hidden.len() == 1 && hidden.iter().any(|&c| self.need(c).is_some());
                let short = [(&rel.totals, &rel.parts), (&rel.parts, &rel.totals)]
                    .iter()
                    .any(|(side, other)| {
                        other.iter().all(|c| !suppressed[c.0])
                            && side
                                .iter()
                                .any(|c| suppressed[c.0] && self.values[c.0] < MIN_PUBLIC_GROUP)
                            && side
                                .iter()
                                .filter(|c| suppressed[c.0])
                                .map(|c| self.values[c.0])
                                .sum::<u64>()
                                < MIN_PUBLIC_GROUP
                    });
                if (lone || short)
                    && let Some(c) = self.cheapest(r, suppressed, member)
                {
                    suppressed[c] = true;
                    changed = true;
                }
            }
            if !changed {
                return;
            }
        }
    }

    /// The cells a reader could still narrow (under 10) or recover, by exact bounds, each with a
    /// published cell whose suppression would loosen the reader's bound, if one is found.
    fn leaks(&self, suppressed: &[bool], safe: &mut [bool]) -> Vec<(usize, Option<usize>)> {
        let n = self.values.len();
        // Components of suppressed cells linked by relations.
        let mut parent: Vec<usize> = (0..n).collect();
        fn root(parent: &mut [usize], mut x: usize) -> usize {
            while parent[x] != x {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            x
        }
        for rel in &self.relations {
            let mut first: Option<usize> = None;
            for c in rel.totals.iter().chain(&rel.parts).map(|c| c.0) {
                if !suppressed[c] {
                    continue;
                }
                match first {
                    None => first = Some(c),
                    Some(f) => {
                        let (a, b) = (root(&mut parent, f), root(&mut parent, c));
                        parent[a] = b;
                    }
                }
            }
        }
        let mut components: std::collections::BTreeMap<usize, Vec<usize>> = std::collections::BTreeMap::new();
        for c in (0..n).filter(|&c| suppressed[c]) {
            let r = root(&mut parent, c);
            components.entry(r).or_default().push(c);
        }
        let mut rows_of: std::collections::BTreeMap<usize, Vec<usize>> = std::collections::BTreeMap::new();
        for (r, rel) in self.relations.iter().enumerate() {
            if let Some(c) = rel
                .totals
                .iter()
                .chain(&rel.parts)
                .map(|c| c.0)
                .find(|&c| suppressed[c])
            {
                let root = root(&mut parent, c);
                rows_of.entry(root).or_default().push(r);
            }
        }
        let mut leaks = Vec::new();
        for (root, cells) in components {
            if cells.iter().all(|&c| safe[c] || self.need(c).is_none()) {
                continue;
            }
            let rows = rows_of.remove(&root).unwrap_or_default();
            let found = self.component_leaks(&cells, &rows, suppressed, safe);
            for &c in &cells {
                safe[c] = self.need(c).is_some() && !found.iter().any(|&(l, _)| l == c);
            }
            leaks.extend(found);
        }
        leaks
    }

    fn component_leaks(
        &self,
        cells: &[usize],
        rows: &[usize],
        suppressed: &[bool],
        safe: &[bool],
    ) -> Vec<(usize, Option<usize>)> {
        let var: std::collections::BTreeMap<usize, usize> = cells.iter().enumerate().map(|(i, &c)| (c, i)).collect();
        let mut system = Vec::with_capacity(rows.len());
        for &r in rows {
            let Some(rel) = self.relations.get(r) else { continue };
            let mut coefficients = Vec::new();
            let mut rhs = 0.0;
            for (cells, sign) in [(&rel.parts, 1.0), (&rel.totals, -1.0)] {
                for c in cells.iter().map(|c| c.0) {
                    match var.get(&c) {
                        Some(&j) if suppressed[c] => coefficients.push((j, sign)),
                        _ => rhs -= sign * self.values[c] as f64,
                    }
                }
            }
            system.push((coefficients, rhs));
        }
        let mut pending: Vec<(usize, Need)> = cells
            .iter()
            .enumerate()
            .filter(|&(_, &c)| !safe[c])
            .filter_map(|(j, &c)| self.need(c).map(|need| (j, need)))
            .collect();
        // The published cells of these rows, with their coefficients: the candidates to free.
        let mut fixed: std::collections::BTreeMap<usize, Vec<(usize, f64)>> = std::collections::BTreeMap::new();
        for (i, &r) in rows.iter().enumerate() {
            let Some(rel) = self.relations.get(r) else { continue };
            for (cells, sign) in [(&rel.parts, 1.0), (&rel.totals, -1.0)] {
                for c in cells.iter().map(|c| c.0).filter(|&c| !suppressed[c]) {
                    fixed.entry(c).or_default().push((i, sign));
                }
            }
        }
        let suggest = |lp: &lp::Lp, objective: &[f64]| {
            let y = lp.duals(objective);
            fixed
                .iter()
                .filter(|(_, column)| column.iter().map(|&(i, s)| y[i] * s).sum::<f64>().abs() > 1e-7)
                .map(|(&c, _)| c)
                .min_by_key(|&c| self.cost_of(c))
        };
        let mut lp = lp::Lp::new(cells.len(), &system);
        if !lp.phase_one() {
            return pending.iter().map(|&(j, _)| (cells[j], None)).collect();
        }
        let truth: Vec<f64> = cells.iter().map(|&c| self.values[c] as f64).collect();
        // Discharge every pending cell that a feasible integral solution (a vertex, or a vertex
        // plus a multiple of an unbounded ray) shows the reader cannot pin down.
        let discharge = |pending: &mut Vec<(usize, Need)>, lp: &lp::Lp, outcome: lp::Outcome| {
            let point = lp.point();
            if !integral(&point) {
                return;
            }
            let ray = match outcome {
                lp::Outcome::Unbounded(q) => Some(lp.ray(q)).filter(|d| integral(d)),
                _ => None,
            };
            pending.retain(|&(j, need)| {
                let x = point[j];
                let grows = ray.as_ref().is_some_and(|d| d[j] > 0.5);
                let free = match need {
                    Need::Reach => x >= MIN_PUBLIC_GROUP as f64 - 1e-6,
                    Need::Move => (x - truth[j]).abs() > 0.5,
                };
                !(free || grows)
            });
        };
        discharge(&mut pending, &lp, lp::Outcome::Optimal);
        let reach: Vec<f64> = (0..cells.len())
            .map(|j| {
                if pending.iter().any(|&(k, need)| k == j && need == Need::Reach) {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        if reach.iter().any(|&c| c > 0.0) {
            let outcome = lp.maximize(&reach);
            discharge(&mut pending, &lp, outcome);
        }
        let mut leaks = Vec::new();
        while let Some(&(j, need)) = pending.first() {
            // First with a small pull on the other pending cells, so that one vertex may
            // discharge several; if `j` stays pending, on its own.
            let mut objective = vec![0.0; cells.len()];
            for &(k, _) in &pending {
                objective[k] = 1e-3;
            }
            objective[j] = 1.0;
            if pending.len() > 1 && lp.maximize(&objective) == lp::Outcome::Optimal {
                let before = pending.len();
                discharge(&mut pending, &lp, lp::Outcome::Optimal);
                if pending.len() < before && pending.first().is_none_or(|&(k, _)| k != j) {
                    continue;
                }
            }
            let mut objective = vec![0.0; cells.len()];
            objective[j] = 1.0;
            let outcome = lp.maximize(&objective);
            let mut suggestion = None;
            if outcome != lp::Outcome::GaveUp {
                discharge(&mut pending, &lp, outcome);
                suggestion = suggest(&lp, &objective);
            }
            if need == Need::Move && pending.first().is_some_and(|&(k, _)| k == j) {
                objective[j] = -1.0;
                let outcome = lp.maximize(&objective);
                if outcome != lp::Outcome::GaveUp {
                    discharge(&mut pending, &lp, outcome);
                }
            }
            if pending.first().is_some_and(|&(k, _)| k == j) {
                pending.remove(0);
                leaks.push((cells[j], suggestion));
            }
        }
        leaks
    }

    /// Suppress, for each leaking cell, the cheapest published cell of its relations (or, when
    /// those are all suppressed, of the nearest relations beyond). `false` when nothing is left
    /// to suppress.
    fn complement(&self, leaks: &[(usize, Option<usize>)], suppressed: &mut [bool], member: &[Vec<usize>]) -> bool {
        let mut added = false;
        // Where the bounds say which published cell holds a leak, free that one.
        for &(_, suggestion) in leaks {
            if let Some(c) = suggestion
                && !suppressed[c]
            {
                suppressed[c] = true;
                added = true;
            }
        }
        if added {
            return true;
        }
        let mut touched = vec![false; self.relations.len()];
        for &(leak, _) in leaks {
            if member[leak].iter().any(|&r| touched[r]) {
                continue;
            }
            // Breadth-first over relations through suppressed cells.
            let mut seen_rel = vec![false; self.relations.len()];
            let mut seen_cell = vec![false; self.values.len()];
            let mut frontier: Vec<usize> = vec![leak];
            seen_cell[leak] = true;
            let mut choice = None;
            while choice.is_none() && !frontier.is_empty() {
                let mut layer_rels = Vec::new();
                for &c in &frontier {
                    for &r in &member[c] {
                        if !seen_rel[r] {
                            seen_rel[r] = true;
                            layer_rels.push(r);
                        }
                    }
                }
                choice = layer_rels
                    .iter()
                    .filter_map(|&r| self.cheapest(r, suppressed, member).map(|c| (c, r)))
                    .min_by_key(|&(c, _)| self.cost(c, member));
                let mut next = Vec::new();
                for &r in &layer_rels {
                    let Some(rel) = self.relations.get(r) else { continue };
                    for c in rel.totals.iter().chain(&rel.parts).map(|c| c.0) {
                        if suppressed[c] && !seen_cell[c] {
                            seen_cell[c] = true;
                            next.push(c);
                        }
                    }
                }
                frontier = next;
            }
            if let Some((c, r)) = choice {
                suppressed[c] = true;
                touched[r] = true;
                for &r in &member[leak] {
                    touched[r] = true;
                }
                added = true;
            }
        }
        added
    }
}

fn integral(x: &[f64]) -> bool {
    x.iter().all(|v| (v - v.round()).abs() < 1e-6 && *v > -1e-6)
}

/// What [`Table::publish`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    values: Vec<u64>,
    published: Vec<bool>,
}

impl Published {
    /// The count if it may be published, else `None` (suppressed, or a hidden cell).
    pub fn count(&self, c: Cell) -> Option<u64> {
        self.published
            .get(c.0)
            .copied()
            .unwrap_or(false)
            .then(|| self.values.get(c.0).copied())
            .flatten()
    }

    /// `numerator / denominator`, only when both counts are published (so that `rate ×
    /// denominator` reveals nothing unpublished).
    pub fn rate(&self, numerator: Cell, denominator: Cell) -> Option<f64> {
        match (self.count(numerator), self.count(denominator)) {
            (Some(n), Some(d)) if d > 0 => Some(n as f64 / d as f64),
            _ => None,
        }
    }

    /// A figure about the group counted by `group` (a median), only when that count is
    /// published.
    pub fn about<T>(&self, group: Cell, figure: Option<T>) -> Option<T> {
        self.count(group).and(figure)
    }
}

/// A reader who attacks published figures (DOMAIN §11), written independently of the linear
/// programme of [`Table::publish`]: published counts; rates times published persons; totals
/// minus published parts and differences of published figures (a relation with one unknown);
/// and bounds from every relation — each cell at most the total minus the least the other
/// parts can be, at least the total minus the most they can be — propagated to a fixed point.
#[cfg(test)]
pub(crate) mod reader {
    /// Integer bounds of unknowns under `Σ totals = Σ parts` relations, all ≥ 0.
    #[derive(Debug, Clone)]
    pub(crate) struct Reader {
        lo: Vec<i128>,
        /// `None`: unbounded.
        hi: Vec<Option<i128>>,
        relations: Vec<(Vec<usize>, Vec<usize>)>,
    }

    impl Reader {
        pub(crate) fn new(n: usize) -> Self {
            Self {
                lo: vec![0; n],
                hi: vec![None; n],
                relations: Vec::new(),
            }
        }

        /// A figure the reader was shown (or computed: a rate times published persons).
        pub(crate) fn know(&mut self, i: usize, v: u64) {
            self.lo[i] = self.lo[i].max(i128::from(v));
            self.hi[i] = Some(self.hi[i].map_or(i128::from(v), |h| h.min(i128::from(v))));
        }

        pub(crate) fn relate(&mut self, totals: Vec<usize>, parts: Vec<usize>) {
            self.relations.push((totals, parts));
        }

        /// `(at least, at most)`, after propagation.
        pub(crate) fn bounds(&self, i: usize) -> (i128, Option<i128>) {
            (self.lo[i], self.hi[i])
        }

        pub(crate) fn solve(&mut self) {
            for _ in 0..5_000 {
                let mut changed = false;
                for r in 0..self.relations.len() {
                    let (a, b) = self.relations[r].clone();
                    changed |= self.tighten(&a, &b);
                    changed |= self.tighten(&b, &a);
                }
                if !changed {
                    return;
                }
            }
        }

        /// Bounds of each cell of `side` from `Σ side = Σ other`.
        fn tighten(&mut self, side: &[usize], other: &[usize]) -> bool {
            let other_lo: i128 = other.iter().map(|&c| self.lo[c]).sum();
            let other_hi: Option<i128> = other.iter().map(|&c| self.hi[c]).sum();
            let mut changed = false;
            for (k, &c) in side.iter().enumerate() {
                let rest = side.iter().enumerate().filter(|&(j, _)| j != k).map(|(_, &d)| d);
                let rest_lo: i128 = rest.clone().map(|d| self.lo[d]).sum();
                let rest_hi: Option<i128> = rest.map(|d| self.hi[d]).sum();
                if let Some(h) = other_hi {
                    let bound = h - rest_lo;
                    if self.hi[c].is_none_or(|x| bound < x) {
                        self.hi[c] = Some(bound);
                        changed = true;
                    }
                }
                if let Some(rh) = rest_hi {
                    let bound = other_lo - rh;
                    if bound > self.lo[c] {
                        self.lo[c] = bound;
                        changed = true;
                    }
                }
            }
            changed
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::reader::Reader;
    use super::*;

    /// The reader's attack on a published table: every cell it narrows under 10 (a count of
    /// 0–9) or recovers although suppressed, with its bounds.
    fn breaches(t: &Table, p: &Published) -> Vec<(usize, u64, (i128, Option<i128>))> {
        let n = t.cells().count();
        let mut reader = Reader::new(n);
        for c in t.cells() {
            if let Some(v) = p.count(c) {
                reader.know(c.index(), v);
            }
        }
        for rel in t.relations() {
            reader.relate(
                rel.totals.iter().map(|c| c.index()).collect(),
                rel.parts.iter().map(|c| c.index()).collect(),
            );
            // A rate (part / total) times the published total.
            if let ([total], [part, ..]) = (rel.totals.as_slice(), rel.parts.as_slice())
                && let (Some(rate), Some(persons)) = (p.rate(*part, *total), p.count(*total))
            {
                reader.know(part.index(), (rate * persons as f64).round() as u64);
            }
        }
        reader.solve();
        let mut out = Vec::new();
        for c in t.cells() {
            let v = t.value(c);
            let (lo, hi) = reader.bounds(c.index());
            assert!(
                lo <= i128::from(v) && hi.is_none_or(|h| i128::from(v) <= h),
                "the reader's bounds hold the truth"
            );
            let narrowed = v < MIN_PUBLIC_GROUP && hi.is_some_and(|h| h < MIN_PUBLIC_GROUP as i128);
            let recovered = t.is_shown(c) && p.count(c).is_none() && hi == Some(lo);
            if narrowed || recovered {
                out.push((c.index(), v, (lo, hi)));
            }
        }
        out
    }

    /// DOMAIN §11, the first reported attack: tier 3 with 16 persons and 3 matched showed
    /// `persons 16, matched null, match_rate 0.1875`, and 0.1875 × 16 = 3.
    #[test]
    fn s11_rate_times_persons_does_not_reveal_a_suppressed_matched_count() {
        let mut t = Table::new();
        let persons = t.shown(16);
        let matched = t.shown(3);
        let unmatched = t.split(persons, &[matched]);
        let p = t.publish();
        assert_eq!(p.count(matched), None);
        assert_eq!(p.rate(matched, persons), None, "no rate without both counts");
        assert_eq!(p.count(unmatched), None, "hidden");
        assert_eq!(p.count(persons), Some(16), "13 unmatched is not a small group");
        assert!(breaches(&t, &p).is_empty());
        // Within a run: the tiers' matched add up to the run's, so a second tier's matched
        // goes too (else 3 = total − the others).
        let mut t = Table::new();
        let (all, all_matched) = (t.shown(76), t.shown(53));
        t.split(all, &[all_matched]);
        let tiers = [(30, 20), (30, 30), (16, 3)].map(|(p, m)| {
            let (p, m) = (t.shown(p), t.shown(m));
            t.split(p, &[m]);
            (p, m)
        });
        t.sum(all, &tiers.map(|c| c.0));
        t.sum(all_matched, &tiers.map(|c| c.1));
        let p = t.publish();
        assert_eq!(p.rate(tiers[2].1, tiers[2].0), None);
        assert!(
            p.count(tiers[1].0).is_none() || p.count(tiers[1].1).is_none(),
            "30 of 30 matched: the 0 unmatched is a group under 10"
        );
        assert!(breaches(&t, &p).is_empty(), "{:?}", breaches(&t, &p));
    }

    /// DOMAIN §11, the second reported attack: `waiting 13` with tiers `[null, null, 13]`
    /// proved the suppressed tiers empty (total minus parts).
    #[test]
    fn s11_total_minus_parts_does_not_reveal_suppressed_tiers() {
        for tiers in [[0, 0, 13], [0, 3, 10], [4, 5, 40], [2, 0, 0]] {
            let mut t = Table::new();
            let waiting = t.shown(tiers.iter().sum());
            let cells = tiers.map(|n| t.shown(n));
            t.sum(waiting, &cells);
            let p = t.publish();
            let shown: u64 = cells.iter().filter_map(|&c| p.count(c)).sum();
            if let Some(w) = p.count(waiting) {
                let hidden: Vec<_> = cells.iter().filter(|&&c| p.count(c).is_none()).collect();
                assert!(
                    hidden.is_empty() || w - shown >= MIN_PUBLIC_GROUP,
                    "{tiers:?}: {w} − {shown}"
                );
                assert_ne!(hidden.len(), 1, "{tiers:?}");
            }
            assert!(breaches(&t, &p).is_empty(), "{tiers:?}");
        }
    }

    /// DOMAIN §11 on a cumulative series: consecutive points differ by a month's attachments.
    #[test]
    fn s11_cumulative_points_hide_small_months() {
        let mut t = Table::new();
        let points: Vec<Cell> = [12, 15, 15, 40, 44, 60].iter().map(|&n| t.shown(n)).collect();
        for w in points.windows(2) {
            t.split(w[1], &[w[0]]);
        }
        let p = t.publish();
        let published: Vec<u64> = points.iter().filter_map(|&c| p.count(c)).collect();
        for w in published.windows(2) {
            assert!(w[1] - w[0] >= MIN_PUBLIC_GROUP, "{published:?}");
        }
        assert!(breaches(&t, &p).is_empty());
    }

    /// A relation whose total is the only thing left to hide: the total goes.
    #[test]
    fn s11_a_total_that_would_leak_is_suppressed() {
        let mut t = Table::new();
        let total = t.shown(25);
        let parts = [t.shown(20), t.shown(5)];
        t.sum(total, &parts);
        // A second breakdown of the same total, all of whose parts are published, would
        // recover it: some of them go too.
        let other = [t.shown(12), t.shown(13)];
        t.sum(total, &other);
        let p = t.publish();
        assert!(breaches(&t, &p).is_empty());
        assert_eq!(p.count(parts[1]), None);
    }

    #[test]
    fn structural_relations_add_a_remainder_only_when_the_data_disagrees() {
        let mut t = Table::new();
        let (a, b) = (t.shown(20), t.shown(20));
        assert_eq!(t.sum(a, &[b]), None);
        let c = t.shown(23);
        let rest = t.sum(c, &[b]).unwrap();
        assert_eq!((t.value(rest), t.is_shown(rest)), (3, false));
        let p = t.publish();
        assert!(p.count(b).is_none() || p.count(c).is_none(), "23 − 20 = 3");
        assert!(breaches(&t, &p).is_empty());
    }

    /// Small counts, often 0–9.
    fn count() -> impl Strategy<Value = u64> {
        prop_oneof![3 => 0u64..10, 3 => 10u64..30, 1 => 0u64..200]
    }

    /// Tables like the dashboard's: breakdowns of totals, two-way tables with margins, persons
    /// and matched per group, cumulative series, linked by shared totals.
    #[derive(Debug, Clone)]
    enum Piece {
        Breakdown(Vec<u64>),
        TwoWay(Vec<Vec<u64>>),
        Matched(Vec<(u64, u64)>),
        Cumulative(Vec<u64>),
    }

    fn piece() -> impl Strategy<Value = Piece> {
        prop_oneof![
            proptest::collection::vec(count(), 1..6).prop_map(Piece::Breakdown),
            (1usize..4, 1usize..4)
                .prop_flat_map(|(r, c)| proptest::collection::vec(proptest::collection::vec(count(), c), r))
                .prop_map(Piece::TwoWay),
            proptest::collection::vec((count(), count()), 1..4)
                .prop_map(|v| Piece::Matched(v.into_iter().map(|(a, b)| (a + b, a)).collect())),
            proptest::collection::vec(count(), 1..8).prop_map(Piece::Cumulative),
        ]
    }

    /// Builds the piece; returns its grand total.
    fn build(t: &mut Table, piece: &Piece) -> Cell {
        match piece {
            Piece::Breakdown(parts) => {
                let cells: Vec<Cell> = parts.iter().map(|&n| t.shown(n)).collect();
                let total = t.shown(parts.iter().sum());
                t.sum(total, &cells);
                total
            }
            Piece::TwoWay(rows) => {
                let cells: Vec<Vec<Cell>> = rows.iter().map(|r| r.iter().map(|&n| t.shown(n)).collect()).collect();
                let width = rows.first().map_or(0, Vec::len);
                let row_totals: Vec<Cell> = rows.iter().map(|r| t.shown(r.iter().sum())).collect();
                let col_totals: Vec<Cell> = (0..width).map(|j| t.shown(rows.iter().map(|r| r[j]).sum())).collect();
                let grand = t.shown(rows.iter().flatten().sum());
                for (r, total) in cells.iter().zip(&row_totals) {
                    t.sum(*total, r);
                }
                for (j, total) in col_totals.iter().enumerate() {
                    t.sum(*total, &cells.iter().map(|r| r[j]).collect::<Vec<_>>());
                }
                t.sum(grand, &row_totals);
                t.sum(grand, &col_totals);
                grand
            }
            Piece::Matched(groups) => {
                let persons = t.shown(groups.iter().map(|g| g.0).sum());
                let matched = t.shown(groups.iter().map(|g| g.1).sum());
                t.split(persons, &[matched]);
                let cells: Vec<(Cell, Cell)> = groups
                    .iter()
                    .map(|&(p, m)| {
                        let (p, m) = (t.shown(p), t.shown(m));
                        t.split(p, &[m]);
                        (p, m)
                    })
                    .collect();
                t.sum(persons, &cells.iter().map(|c| c.0).collect::<Vec<_>>());
                t.sum(matched, &cells.iter().map(|c| c.1).collect::<Vec<_>>());
                persons
            }
            Piece::Cumulative(steps) => {
                let mut total = 0;
                let mut previous: Option<Cell> = None;
                for &s in steps {
                    total += s;
                    let cell = t.shown(total);
                    if let Some(p) = previous {
                        t.split(cell, &[p]);
                    }
                    previous = Some(cell);
                }
                previous.unwrap_or_else(|| t.shown(0))
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

        /// DOMAIN §11: whatever the table, the reader narrows no count of 0–9 under 10 and
        /// recovers no suppressed figure; nothing under 10 is published, and every published
        /// count is true.
        #[test]
        fn s11_no_reader_narrows_or_recovers_a_suppressed_count(
            pieces in proptest::collection::vec(piece(), 1..4),
            links in proptest::collection::vec((0usize..4, 0usize..4), 0..3),
        ) {
            let mut t = Table::new();
            let totals: Vec<Cell> = pieces.iter().map(|p| build(&mut t, p)).collect();
            // Two pieces describing the same population (tiers and communities of one list):
            // their totals are equal, or differ by a group.
            for (a, b) in links {
                if let (Some(&a), Some(&b)) = (totals.get(a), totals.get(b)) && a != b {
                    t.sum(a, &[b]);
                }
            }
            let p = t.publish();
            for c in t.cells() {
                if let Some(v) = p.count(c) {
                    prop_assert!(v >= MIN_PUBLIC_GROUP && v == t.value(c) && t.is_shown(c));
                }
            }
            let found = breaches(&t, &p);
            prop_assert!(found.is_empty(), "{:?}", found);
        }
    }
}
