//! The gated pairs of one batch of detections split for association: pairs whose track and
//! detection are in no other pair (most, away from crowds) are made as they are, the others
//! grouped into the connected components of the gating graph, each associated alone.

use std::collections::BTreeMap;

use nalgebra::DMatrix;

/// Takes the pairs of `open` (sorted by track) whose track and detection are in no other
/// pair — each a cluster of its own, which any assignment makes — and returns them, by
/// track; the other pairs go into `rest` (in order), for `clusters`. `uses` is scratch.
pub(crate) fn lone_pairs(
    open: &[Gated],
    uses: &mut Vec<u32>,
    rest: &mut Vec<Gated>,
) -> Vec<(usize, usize)> {
    uses.clear();
    uses.resize(open.iter().map(|p| p.detection + 1).max().unwrap_or(0), 0);
    for pair in open {
        uses[pair.detection] += 1;
    }
    let alone = |i: usize| {
        let track = open[i].track;
        uses[open[i].detection] == 1
            && (i == 0 || open[i - 1].track != track)
            && open.get(i + 1).is_none_or(|next| next.track != track)
    };
    let mut pairs = Vec::new();
    rest.clear();
    for (i, pair) in open.iter().enumerate() {
        if alone(i) {
            pairs.push((pair.track, pair.detection));
        } else {
            rest.push(*pair);
        }
    }
    pairs
}

/// Splits the gated pairs `open` (sorted by track) into the connected components of the
/// gating graph, each with its tracks (ascending), detections (ascending) and cost matrix
/// (infinite for pairs not in `open`). No pair links two components, so each is associated
/// alone: the whole GNN optimum is the union of theirs, JPDA's joint events factor over
/// them, and many small problems cost far less than one of thousands of rows.
pub(crate) fn clusters(open: &[Gated]) -> Vec<Cluster> {
    // Nodes: the tracks in `open` (numbered in order), then every detection.
    let mut track_node = Vec::with_capacity(open.len());
    let mut tracks = 0;
    for (i, pair) in open.iter().enumerate() {
        if i == 0 || open[i - 1].track != pair.track {
            tracks += 1;
        }
        track_node.push(tracks - 1);
    }
    let n_detections = open.iter().map(|p| p.detection + 1).max().unwrap_or(0);
    let mut components = Components::new(tracks + n_detections);
    for (pair, &node) in open.iter().zip(&track_node) {
        components.join(node, tracks + pair.detection);
    }
    // Each component's rows (tracks, ascending: `open` is by track), columns and pairs.
    let mut groups: BTreeMap<usize, Group> = BTreeMap::new();
    for (index, (pair, &node)) in open.iter().zip(&track_node).enumerate() {
        let group = groups.entry(components.root(node)).or_default();
        if group.rows.last() != Some(&pair.track) {
            group.rows.push(pair.track);
        }
        group.cols.push(pair.detection);
        group.pairs.push(index);
    }
    groups
        .into_values()
        .map(|mut group| {
            group.cols.sort_unstable();
            group.cols.dedup();
            let mut costs =
                DMatrix::from_element(group.rows.len(), group.cols.len(), f64::INFINITY);
            for &index in &group.pairs {
                let pair = &open[index];
                let (Ok(r), Ok(c)) = (
                    group.rows.binary_search(&pair.track),
                    group.cols.binary_search(&pair.detection),
                ) else {
                    continue;
                };
                costs[(r, c)] = pair.cost;
            }
            Cluster {
                rows: group.rows,
                cols: group.cols,
                costs,
            }
        })
        .collect()
}

/// One cluster to associate: its tracks, its detections and the cost of each pair.
pub(crate) struct Cluster {
    pub rows: Vec<usize>,
    pub cols: Vec<usize>,
    pub costs: DMatrix<f64>,
}

/// A track and a detection inside its gate, with the pair's cost for the association.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gated {
    pub track: usize,
    pub detection: usize,
    pub cost: f64,
}

/// One connected component of the gating graph: its tracks (ascending), its detections and
/// the indices of its pairs.
#[derive(Debug, Default)]
struct Group {
    rows: Vec<usize>,
    cols: Vec<usize>,
    pairs: Vec<usize>,
}

/// Connected components by union-find (path halving), for splitting an assignment.
struct Components {
    parent: Vec<usize>,
}

impl Components {
    fn new(len: usize) -> Self {
        Self {
            parent: (0..len).collect(),
        }
    }

    fn root(&mut self, mut node: usize) -> usize {
        while self.parent[node] != node {
            self.parent[node] = self.parent[self.parent[node]];
            node = self.parent[node];
        }
        node
    }

    fn join(&mut self, a: usize, b: usize) {
        let (root_a, root_b) = (self.root(a), self.root(b));
        if root_a != root_b {
            self.parent[root_a.max(root_b)] = root_a.min(root_b);
        }
    }
}

#[cfg(test)]
mod tests {
    use vigil_core::rng::Rng;

    use super::*;
    use crate::associate::solve_assignment;

    #[test]
    fn lone_pairs_and_clusters_assign_as_one_assignment_over_everything_does() {
        let mut rng = Rng::new(7);
        for round in 0..300 {
            let (tracks, detections) = (1 + rng.below(12), 1 + rng.below(12));
            let mut open = Vec::new();
            for track in 0..tracks {
                for detection in 0..detections {
                    // Sparse: mostly lone pairs, some small clusters.
                    if rng.below(tracks.max(detections)) == 0 {
                        open.push(Gated {
                            track,
                            detection,
                            cost: rng.range(-5.0, 20.0),
                        });
                    }
                }
            }
            let (mut uses, mut rest) = (Vec::new(), Vec::new());
            let mut pairs = lone_pairs(&open, &mut uses, &mut rest);
            for cluster in clusters(&rest) {
                for (r, c) in solve_assignment(&cluster.costs).into_iter().enumerate() {
                    if let Some(c) = c {
                        pairs.push((cluster.rows[r], cluster.cols[c]));
                    }
                }
            }
            pairs.sort_unstable();
            let mut costs = DMatrix::from_element(tracks, detections, f64::INFINITY);
            for pair in &open {
                costs[(pair.track, pair.detection)] = pair.cost;
            }
            let whole: Vec<(usize, usize)> = solve_assignment(&costs)
                .into_iter()
                .enumerate()
                .filter_map(|(t, d)| d.map(|d| (t, d)))
                .collect();
            let total = |pairs: &[(usize, usize)]| -> f64 {
                pairs.iter().map(|&(t, d)| costs[(t, d)]).sum()
            };
            assert_eq!(pairs.len(), whole.len(), "round {round}: {open:?}");
            assert!(
                (total(&pairs) - total(&whole)).abs() < 1e-9,
                "round {round}: {pairs:?} against {whole:?}"
            );
        }
    }
}
