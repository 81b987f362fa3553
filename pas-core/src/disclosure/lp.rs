//! A small dense simplex (two phases, Dantzig's rule with Bland's rule through degenerate
//! stretches) for the attacker's bounds in [`super`]: the feasible values of the suppressed
//! cells of one table component are `{x ≥ 0 : A x = b}`, and the questions are "how large can
//! `x_j` be?" and "can `x_j` differ from its true value?".
//!
//! The tables are sums with coefficients ±1 of a few hundred cells at most, so a dense tableau
//! is simple and fast enough; pivots on such matrices stay (near) integral, and callers only
//! trust integral vertices as witnesses.

/// Pivot and reduced-cost tolerance.
const EPS: f64 = 1e-9;

/// How a maximisation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    /// At an optimal vertex ([`Lp::point`]).
    Optimal,
    /// The objective grows without bound along [`Lp::ray`] of this entering column.
    Unbounded(usize),
    /// Too many pivots (numerical trouble): nothing is claimed.
    GaveUp,
}

/// `A x = b, x ≥ 0` in canonical form for its current basis, plus one artificial column per row
/// while phase one runs.
#[derive(Debug)]
pub(super) struct Lp {
    rows: usize,
    /// Real variables (columns `0..vars`); artificials are `vars..vars + rows`.
    vars: usize,
    width: usize,
    a: Vec<f64>,
    b: Vec<f64>,
    basis: Vec<usize>,
    /// −1 for rows negated to make their right-hand side ≥ 0.
    sign: Vec<f64>,
}

impl Lp {
    /// `rows[i]` is `(coefficients by variable, right-hand side)`.
    pub(super) fn new(vars: usize, rows: &[(Vec<(usize, f64)>, f64)]) -> Self {
        let m = rows.len();
        let width = vars + m;
        let mut a = vec![0.0; m * width];
        let mut b = vec![0.0; m];
        let mut basis = Vec::with_capacity(m);
        let mut signs = Vec::with_capacity(m);
        for (i, (coefficients, rhs)) in rows.iter().enumerate() {
            let sign = if *rhs < 0.0 { -1.0 } else { 1.0 };
            signs.push(sign);
            for &(j, c) in coefficients {
                if j < vars {
                    a[i * width + j] += sign * c;
                }
            }
            a[i * width + vars + i] = 1.0;
            b[i] = sign * rhs;
            basis.push(vars + i);
        }
        Self {
            rows: m,
            vars,
            width,
            a,
            b,
            basis,
            sign: signs,
        }
    }

    /// Phase one: a feasible basis without artificials. `false` when infeasible (or stuck).
    pub(super) fn phase_one(&mut self) -> bool {
        let mut c = vec![0.0; self.width];
        for slot in c.iter_mut().skip(self.vars) {
            *slot = -1.0;
        }
        if self.optimize(&c, self.width) != Outcome::Optimal {
            return false;
        }
        let infeasibility: f64 = (0..self.rows)
            .filter(|&i| self.basis[i] >= self.vars)
            .map(|i| self.b[i])
            .sum();
        if infeasibility > 1e-6 {
            return false;
        }
        // Drive artificials (at 0) out of the basis; a row with no real entry is redundant and
        // keeps its artificial, which can never re-enter.
        for i in 0..self.rows {
            if self.basis[i] >= self.vars
                && let Some(j) = (0..self.vars).find(|&j| self.a[i * self.width + j].abs() > 1e-7)
            {
                self.pivot(i, j);
            }
        }
        true
    }

    /// Maximise `c · x` over the real variables from the current (feasible) basis.
    pub(super) fn maximize(&mut self, c: &[f64]) -> Outcome {
        let mut full = vec![0.0; self.width];
        full[..self.vars].copy_from_slice(&c[..self.vars]);
        self.optimize(&full, self.vars)
    }

    /// The current vertex, real variables only.
    pub(super) fn point(&self) -> Vec<f64> {
        let mut x = vec![0.0; self.vars];
        for (i, &j) in self.basis.iter().enumerate() {
            if j < self.vars {
                x[j] = self.b[i];
            }
        }
        x
    }

    /// The direction along which column `entering` grows without bound (real variables).
    pub(super) fn ray(&self, entering: usize) -> Vec<f64> {
        let mut d = vec![0.0; self.vars];
        if entering < self.vars {
            d[entering] = 1.0;
        }
        for (i, &j) in self.basis.iter().enumerate() {
            if j < self.vars {
                d[j] = -self.a[i * self.width + entering];
            }
        }
        d
    }

    /// The dual prices of the rows (as given to [`Lp::new`]) for objective `c` at the current
    /// basis: a column `a` not in the programme would have reduced cost `−y · a` (for a zero
    /// objective coefficient), so a fixed quantity with `y · a ≠ 0` is one whose freedom would
    /// move the optimum.
    pub(super) fn duals(&self, c: &[f64]) -> Vec<f64> {
        (0..self.rows)
            .map(|i| {
                let y: f64 = self
                    .basis
                    .iter()
                    .enumerate()
                    .filter(|&(_, &j)| j < self.vars)
                    .map(|(r, &j)| c[j] * self.a[r * self.width + self.vars + i])
                    .sum();
                y * self.sign[i]
            })
            .collect()
    }

    fn optimize(&mut self, c: &[f64], enter_below: usize) -> Outcome {
        let limit = 50 * (self.rows + self.width) + 1000;
        let w = self.width;
        let mut degenerate = 0usize;
        let mut in_basis = vec![false; w];
        for &j in &self.basis {
            in_basis[j] = true;
        }
        // Reduced costs d_j = c_j − c_B · A_j, kept up to date through the pivots.
        let mut d: Vec<f64> = c.to_vec();
        for i in 0..self.rows {
            let cb = c[self.basis[i]];
            if cb != 0.0 {
                for (j, dj) in d.iter_mut().enumerate() {
                    let a = self.a[i * w + j];
                    if a != 0.0 {
                        *dj -= cb * a;
                    }
                }
            }
        }
        for _ in 0..limit {
            let bland = degenerate > 20;
            let mut entering: Option<(usize, f64)> = None;
            for (j, &dj) in d.iter().enumerate().take(enter_below) {
                if in_basis[j] || dj <= EPS {
                    continue;
                }
                if bland {
                    entering = Some((j, dj));
                    break;
                }
                if entering.is_none_or(|(_, best)| dj > best) {
                    entering = Some((j, dj));
                }
            }
            let Some((q, dq)) = entering else {
                return Outcome::Optimal;
            };
            let mut leaving: Option<(usize, f64)> = None;
            for i in 0..self.rows {
                let a = self.a[i * w + q];
                if a > EPS {
                    let ratio = self.b[i] / a;
                    let better = match leaving {
                        None => true,
                        Some((l, best)) => ratio < best - EPS || (ratio <= best + EPS && self.basis[i] < self.basis[l]),
                    };
                    if better {
                        leaving = Some((i, ratio));
                    }
                }
            }
            let Some((p, ratio)) = leaving else {
                return Outcome::Unbounded(q);
            };
            degenerate = if ratio.abs() <= EPS { degenerate + 1 } else { 0 };
            in_basis[self.basis[p]] = false;
            in_basis[q] = true;
            let nonzero = self.pivot(p, q);
            // d ← d − d_q · (normalised pivot row).
            for &(j, r) in &nonzero {
                let v = d[j] - dq * r;
                d[j] = if v.abs() < 1e-12 { 0.0 } else { v };
            }
            d[q] = 0.0;
        }
        Outcome::GaveUp
    }

    /// Pivot on `(p, q)`; returns the normalised pivot row's non-zero entries.
    fn pivot(&mut self, p: usize, q: usize) -> Vec<(usize, f64)> {
        let w = self.width;
        let pivot = self.a[p * w + q];
        let mut nonzero = Vec::new();
        for j in 0..w {
            let v = self.a[p * w + j];
            if v != 0.0 {
                let v = v / pivot;
                self.a[p * w + j] = v;
                nonzero.push((j, v));
            }
        }
        self.b[p] /= pivot;
        let rhs = self.b[p];
        for i in 0..self.rows {
            if i == p {
                continue;
            }
            let f = self.a[i * w + q];
            if f == 0.0 {
                continue;
            }
            let row = &mut self.a[i * w..(i + 1) * w];
            for &(j, r) in &nonzero {
                let v = row[j] - f * r;
                row[j] = if v.abs() < 1e-12 { 0.0 } else { v };
            }
            let v = self.b[i] - f * rhs;
            self.b[i] = if v.abs() < 1e-12 { 0.0 } else { v };
        }
        self.basis[p] = q;
        nonzero
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_of_a_two_by_two_table() {
        // a + b = 12, c + d = 20, a + c = 15, b + d = 17: a ∈ [0, 12].
        let rows = vec![
            (vec![(0, 1.0), (1, 1.0)], 12.0),
            (vec![(2, 1.0), (3, 1.0)], 20.0),
            (vec![(0, 1.0), (2, 1.0)], 15.0),
            (vec![(1, 1.0), (3, 1.0)], 17.0),
        ];
        let mut lp = Lp::new(4, &rows);
        assert!(lp.phase_one());
        assert_eq!(lp.maximize(&[1.0, 0.0, 0.0, 0.0]), Outcome::Optimal);
        assert!((lp.point()[0] - 12.0).abs() < 1e-9);
        assert_eq!(lp.maximize(&[-1.0, 0.0, 0.0, 0.0]), Outcome::Optimal);
        assert!(lp.point()[0].abs() < 1e-9);
    }

    #[test]
    fn unbounded_and_infeasible() {
        // a − b = 3: a unbounded.
        let mut lp = Lp::new(2, &[(vec![(0, 1.0), (1, -1.0)], 3.0)]);
        assert!(lp.phase_one());
        let Outcome::Unbounded(q) = lp.maximize(&[1.0, 0.0]) else {
            panic!("unbounded");
        };
        assert!(lp.ray(q)[0] > 0.0);
        // a + b = −1 has no non-negative solution.
        let mut lp = Lp::new(2, &[(vec![(0, 1.0), (1, 1.0)], -1.0)]);
        assert!(!lp.phase_one());
    }
}
