//! Decides which detection goes to which track: global nearest neighbour, the assignment of
//! detections to tracks that minimises the summed cost over all pairs at once, solved
//! exactly with the Hungarian algorithm (shortest augmenting paths with potentials, the
//! Jonker-Volgenant formulation, O(n² m)). The cost of a pair is the negative
//! log-likelihood of the detection given the track's prediction; pairs outside the gate
//! cost infinity and are never made. Detections left over go to the initiator.

use nalgebra::DMatrix;

/// Costs larger than this in magnitude (and NaNs, infinities) mark a forbidden pair.
pub const MAX_COST: f64 = 1e150;

pub(crate) fn allowed(cost: f64) -> bool {
    cost.is_finite() && cost.abs() <= MAX_COST
}

/// The optimal assignment of rows to columns of a rectangular cost matrix: the number of
/// allowed pairs is as large as it can be, and among such assignments the summed cost is the
/// least. Returns, for each row, its column, or `None` when the row is left unassigned (more
/// rows than columns, or only forbidden columns left for it). Ties go the same way on every
/// run.
pub fn solve_assignment(costs: &DMatrix<f64>) -> Vec<Option<usize>> {
    let (n, m) = costs.shape();
    if n == 0 || m == 0 {
        return vec![None; n];
    }
    if n > m {
        let mut rows = vec![None; n];
        for (col, row) in solve_assignment(&costs.transpose()).into_iter().enumerate() {
            if let Some(row) = row {
                rows[row] = Some(col);
            }
        }
        return rows;
    }
    let max_abs = costs
        .iter()
        .filter(|c| allowed(**c))
        .fold(0.0f64, |acc, c| acc.max(c.abs()));
    // A forbidden pair costs more than any difference of two sums of allowed costs, so the
    // solver only takes one when every row cannot be given an allowed column.
    let forbidden = 2.0 * (n as f64 + 1.0) * max_abs + 1.0;
    let finite = costs.map(|c| if allowed(c) { c } else { forbidden });
    hungarian(&finite)
        .into_iter()
        .enumerate()
        .map(|(row, col)| allowed(costs[(row, col)]).then_some(col))
        .collect()
}

/// Minimum-cost assignment of every row of a finite n x m matrix, n ≤ m; returns each row's
/// column.
fn hungarian(a: &DMatrix<f64>) -> Vec<usize> {
    let (n, m) = a.shape();
    // Index 0 is the virtual row and column of the textbook formulation.
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; m + 1];
    let mut row_of_col = vec![0usize; m + 1];
    let mut way = vec![0usize; m + 1];
    for i in 1..=n {
        row_of_col[0] = i;
        let mut j0 = 0;
        let mut min_slack = vec![f64::INFINITY; m + 1];
        let mut used = vec![false; m + 1];
        loop {
            used[j0] = true;
            let i0 = row_of_col[j0];
            let (mut delta, mut j1) = (f64::INFINITY, 0);
            for j in 1..=m {
                if used[j] {
                    continue;
                }
                let slack = a[(i0 - 1, j - 1)] - u[i0] - v[j];
                if slack < min_slack[j] {
                    min_slack[j] = slack;
                    way[j] = j0;
                }
                if min_slack[j] < delta {
                    delta = min_slack[j];
                    j1 = j;
                }
            }
            for j in 0..=m {
                if used[j] {
                    u[row_of_col[j]] += delta;
                    v[j] -= delta;
                } else {
                    min_slack[j] -= delta;
                }
            }
            j0 = j1;
            if row_of_col[j0] == 0 {
                break;
            }
        }
        while j0 != 0 {
            let j1 = way[j0];
            row_of_col[j0] = row_of_col[j1];
            j0 = j1;
        }
    }
    let mut col_of_row = vec![0; n];
    for (j, &row) in row_of_col.iter().enumerate().skip(1) {
        if row != 0 {
            col_of_row[row - 1] = j - 1;
        }
    }
    col_of_row
}

/// Which track takes which detection in one batch, and what is left over.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Association {
    /// (track index, detection index) pairs, in track order.
    pub pairs: Vec<(usize, usize)>,
    /// Tracks without a detection, ascending.
    pub unassigned_tracks: Vec<usize>,
    /// Detections without a track, ascending.
    pub unassigned_detections: Vec<usize>,
}

/// Associates detections with tracks given a cost for each pair.
pub trait Associator {
    /// `costs` has a row per track and a column per detection; an infinite cost marks a
    /// pair outside the gate.
    fn associate(&self, costs: &DMatrix<f64>) -> Association;
}

/// Global nearest neighbour: the optimal one-to-one assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GlobalNearestNeighbour;

impl Associator for GlobalNearestNeighbour {
    fn associate(&self, costs: &DMatrix<f64>) -> Association {
        let mut association = Association::default();
        let mut detection_taken = vec![false; costs.ncols()];
        for (track, detection) in solve_assignment(costs).into_iter().enumerate() {
            match detection {
                Some(d) => {
                    association.pairs.push((track, d));
                    detection_taken[d] = true;
                }
                None => association.unassigned_tracks.push(track),
            }
        }
        association.unassigned_detections = (0..costs.ncols())
            .filter(|d| !detection_taken[*d])
            .collect();
        association
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_core::rng::Rng;

    /// (allowed pairs, summed cost) of the best assignment, by trying every one.
    fn brute_force(costs: &DMatrix<f64>) -> (usize, f64) {
        fn search(
            costs: &DMatrix<f64>,
            row: usize,
            used: &mut Vec<bool>,
            pairs: usize,
            sum: f64,
            best: &mut (usize, f64),
        ) {
            if row == costs.nrows() {
                if pairs > best.0 || (pairs == best.0 && sum < best.1) {
                    *best = (pairs, sum);
                }
                return;
            }
            // Leave the row out, or give it any free column.
            search(costs, row + 1, used, pairs, sum, best);
            for col in 0..costs.ncols() {
                let c = costs[(row, col)];
                if !used[col] && allowed(c) {
                    used[col] = true;
                    search(costs, row + 1, used, pairs + 1, sum + c, best);
                    used[col] = false;
                }
            }
        }
        let mut best = (0, f64::INFINITY);
        search(costs, 0, &mut vec![false; costs.ncols()], 0, 0.0, &mut best);
        if best.0 == 0 {
            best.1 = 0.0;
        }
        best
    }

    fn evaluate(costs: &DMatrix<f64>, assignment: &[Option<usize>]) -> (usize, f64) {
        let mut seen = vec![false; costs.ncols()];
        let mut result = (0, 0.0);
        for (row, col) in assignment.iter().enumerate() {
            if let Some(col) = *col {
                assert!(!seen[col], "column {col} used twice");
                seen[col] = true;
                assert!(allowed(costs[(row, col)]), "forbidden pair taken");
                result.0 += 1;
                result.1 += costs[(row, col)];
            }
        }
        result
    }

    #[test]
    fn hungarian_matches_brute_force_on_random_rectangular_matrices() {
        let mut rng = Rng::new(2024);
        for case in 0..200 {
            let rows = 1 + rng.below(5);
            let cols = 1 + rng.below(5);
            let forbid = if case % 2 == 0 { 0.0 } else { 0.3 };
            let costs = DMatrix::from_fn(rows, cols, |_, _| {
                if rng.uniform() < forbid {
                    f64::INFINITY
                } else if case % 3 == 0 {
                    // Integers make ties, which must not confuse the solver.
                    rng.below(4) as f64
                } else {
                    rng.range(-10.0, 50.0)
                }
            });
            let assignment = solve_assignment(&costs);
            assert_eq!(assignment.len(), rows);
            let (pairs, sum) = evaluate(&costs, &assignment);
            let (best_pairs, best_sum) = brute_force(&costs);
            assert_eq!(pairs, best_pairs, "case {case}: {costs}");
            assert!(
                (sum - best_sum).abs() < 1e-9,
                "case {case}: {sum} vs {best_sum} {costs}"
            );
        }
    }

    #[test]
    fn hand_case_prefers_the_global_optimum_over_greedy() {
        // Greedy would give track 0 detection 0 (cost 1) and track 1 detection 1 (cost 10);
        // the optimum crosses them for 2 + 3.
        let costs = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 10.0]);
        assert_eq!(solve_assignment(&costs), vec![Some(1), Some(0)]);
    }

    #[test]
    fn gnn_reports_leftovers_and_never_takes_forbidden_pairs() {
        let inf = f64::INFINITY;
        let costs = DMatrix::from_row_slice(3, 3, &[1.0, inf, inf, 0.5, inf, inf, inf, inf, inf]);
        let association = GlobalNearestNeighbour.associate(&costs);
        assert_eq!(association.pairs, vec![(1, 0)]);
        assert_eq!(association.unassigned_tracks, vec![0, 2]);
        assert_eq!(association.unassigned_detections, vec![1, 2]);
        let empty = GlobalNearestNeighbour.associate(&DMatrix::zeros(0, 2));
        assert_eq!(empty.unassigned_detections, vec![0, 1]);
        let nan = DMatrix::from_row_slice(1, 1, &[f64::NAN]);
        assert_eq!(solve_assignment(&nan), vec![None]);
    }
}
