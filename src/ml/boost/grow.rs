//! Growing one tree leaf by leaf, as LightGBM does: always split the leaf whose best split gains
//! most, until the tree has its leaves or no split gains. With a depth limit and no leaf limit
//! the same loop grows XGBoost's depth-wise tree (every leaf that gains is split, level by
//! level), so one grower serves both.
//!
//! A leaf's rows are a contiguous range of `order`; a split partitions the range in place, stably,
//! so rows stay in ascending order and the histogram walk reads the bins front to back.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::bins::{Cuts, TrainBins};
use super::hist::{self, GradPair, Layout, RowGrad, Split, SplitRules};
use super::tree::{Node, Tree};

pub struct GrowLimits {
    pub max_leaves: usize,
    /// usize::MAX: no limit.
    pub max_depth: usize,
    pub rules: SplitRules,
    pub learning_rate: f64,
}

/// Rows of a leaf from which its partition is split across two threads.
const PARALLEL_PARTITION_ROWS: usize = 4_096;

/// `rows` into those going `left` and `right` of `split`, in order.
/// Partitions `rows` stably by `split`: the left rows first, then the right ones; returns how
/// many go left. `spare` holds at least as many rows.
fn partition(rows: &mut [u32], column: &[u8], split: &Split, spare: &mut [u32]) -> usize {
    let (mut kept, mut moved) = (0, 0);
    // Branch-free: each row is written to both sides and only one side's end moves, so a split
    // the predictor cannot guess costs nothing extra. The left side is compacted in place.
    for i in 0..rows.len() {
        let r = rows[i];
        let goes_left = split.goes_left(column[r as usize]) as usize;
        rows[kept] = r;
        spare[moved] = r;
        kept += goes_left;
        moved += 1 - goes_left;
    }
    rows[kept..].copy_from_slice(&spare[..moved]);
    kept
}

/// A leaf of the tree being grown.
struct Leaf {
    node: usize,
    start: usize,
    end: usize,
    depth: usize,
    sum: GradPair,
    hist: Option<Vec<GradPair>>,
    split: Option<Split>,
}

/// A grown tree's leaves as ranges of `order` with their outputs, for updating the scores.
pub struct LeafRange {
    pub start: usize,
    pub end: usize,
    pub value: f64,
}

/// The buffers every tree reuses.
pub struct Grower<'a> {
    train: &'a TrainBins,
    cuts: &'a Cuts,
    layout: &'a Layout,
    limits: GrowLimits,
    free: Vec<Vec<GradPair>>,
    scratch: Vec<Vec<GradPair>>,
    /// Room for a leaf's right rows while it is partitioned.
    spare: Vec<u32>,
}

struct ByGain(f64, usize);

impl PartialEq for ByGain {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for ByGain {}
impl PartialOrd for ByGain {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for ByGain {
    // Highest gain first; on a tie the older leaf, so growth does not depend on the heap.
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .total_cmp(&other.0)
            .then_with(|| other.1.cmp(&self.1))
    }
}

impl<'a> Grower<'a> {
    pub fn new(
        train: &'a TrainBins,
        cuts: &'a Cuts,
        layout: &'a Layout,
        limits: GrowLimits,
        threads: usize,
    ) -> Self {
        Self {
            train,
            cuts,
            layout,
            limits,
            free: Vec::new(),
            scratch: (1..threads.max(1))
                .map(|_| vec![GradPair::default(); layout.total])
                .collect(),
            spare: vec![0; train.rows],
        }
    }

    fn take_hist(&mut self) -> Vec<GradPair> {
        self.free
            .pop()
            .unwrap_or_else(|| vec![GradPair::default(); self.layout.total])
    }

    fn can_split(&self, leaf: &Leaf) -> bool {
        leaf.depth < self.limits.max_depth
            && leaf.end - leaf.start >= 2
            && leaf.sum.h >= 2.0 * self.limits.rules.min_child_weight
    }

    fn find_split(&self, leaf: &mut Leaf, features: &[usize]) {
        if let Some(hist) = &leaf.hist {
            leaf.split =
                hist::best_split(hist, leaf.sum, features, self.layout, &self.limits.rules);
        }
    }

    /// Grows a tree on the rows `order` (every one of them in the tree's sample) with their
    /// gradients, splitting on `features` only.
    pub fn grow(
        &mut self,
        order: &mut [u32],
        grads: &[RowGrad],
        features: &[usize],
    ) -> (Tree, Vec<LeafRange>) {
        let sum = order.iter().fold(GradPair::default(), |mut s, &r| {
            s.g += f64::from(grads[r as usize].g);
            s.h += f64::from(grads[r as usize].h);
            s
        });
        let mut root_hist = self.take_hist();
        hist::build(
            &mut root_hist,
            &mut self.scratch,
            order,
            self.train,
            self.layout,
            grads,
            sum,
        );
        let mut leaves = vec![Leaf {
            node: 0,
            start: 0,
            end: order.len(),
            depth: 0,
            sum,
            hist: Some(root_hist),
            split: None,
        }];
        let mut nodes = vec![Node::leaf(0.0)];
        let mut heap = BinaryHeap::new();
        if self.limits.max_leaves > 1 && self.can_split(&leaves[0]) {
            self.find_split(&mut leaves[0], features);
        }
        if let Some(split) = leaves[0].split {
            heap.push(ByGain(split.gain, 0));
        }
        let mut count = 1;
        while count < self.limits.max_leaves {
            let Some(ByGain(_, index)) = heap.pop() else {
                break;
            };
            let Some((left, right)) =
                self.split_leaf(&mut leaves[index], &mut nodes, order, grads, count + 1)
            else {
                continue;
            };
            count += 1;
            let left_index = index;
            leaves[left_index] = left;
            leaves.push(right);
            let right_index = leaves.len() - 1;
            for i in [left_index, right_index] {
                if leaves[i].hist.is_some() {
                    self.find_split(&mut leaves[i], features);
                }
                if let Some(split) = leaves[i].split {
                    heap.push(ByGain(split.gain, i));
                }
            }
        }
        let rules = &self.limits.rules;
        let mut ranges = Vec::with_capacity(leaves.len());
        for leaf in leaves {
            let value = -self.limits.learning_rate * leaf.sum.g / (leaf.sum.h + rules.lambda);
            let value = if value.is_finite() { value } else { 0.0 };
            nodes[leaf.node].value = value;
            ranges.push(LeafRange {
                start: leaf.start,
                end: leaf.end,
                value,
            });
            if let Some(h) = leaf.hist {
                self.free.push(h);
            }
        }
        (Tree { nodes }, ranges)
    }

    /// Splits `leaf` by its best split; `leaves_after` is the tree's leaf count once it is done
    /// (at the limit, no child needs a histogram).
    fn split_leaf(
        &mut self,
        leaf: &mut Leaf,
        nodes: &mut Vec<Node>,
        order: &mut [u32],
        grads: &[RowGrad],
        leaves_after: usize,
    ) -> Option<(Leaf, Leaf)> {
        // A leaf is on the heap only with its split, found from its histogram.
        let (Some(split), Some(mut parent_hist)) = (leaf.split.take(), leaf.hist.take()) else {
            return None;
        };
        let feature = split.feature;
        let rows = &mut order[leaf.start..leaf.end];
        let column = self.train.column(feature);
        let spare = &mut self.spare[..rows.len()];
        let kept = if rows.len() >= PARALLEL_PARTITION_ROWS && !self.scratch.is_empty() {
            // Each half in place at once, then the first half's right rows and the second
            // half's left rows trade places.
            let half = rows.len() / 2;
            let (a, b) = rows.split_at_mut(half);
            let (spare_a, spare_b) = spare.split_at_mut(half);
            let (kept_a, kept_b) = rayon::join(
                || partition(a, column, &split, spare_a),
                || partition(b, column, &split, spare_b),
            );
            rows[kept_a..half + kept_b].rotate_left(half - kept_a);
            kept_a + kept_b
        } else {
            partition(rows, column, &split, spare)
        };
        let mid = leaf.start + kept;

        let left_node = nodes.len();
        nodes[leaf.node] = Node {
            feature: feature as u32,
            threshold: self.cuts.uppers[feature][split.bin as usize - 1],
            bin: split.bin,
            missing_left: split.missing_left,
            left: left_node as u32,
            right: left_node as u32 + 1,
            value: 0.0,
            gain: split.gain,
        };
        nodes.push(Node::leaf(0.0));
        nodes.push(Node::leaf(0.0));
        let mut left = Leaf {
            node: left_node,
            start: leaf.start,
            end: mid,
            depth: leaf.depth + 1,
            sum: split.left,
            hist: None,
            split: None,
        };
        let mut right = Leaf {
            node: left_node + 1,
            start: mid,
            end: leaf.end,
            depth: leaf.depth + 1,
            sum: split.right,
            hist: None,
            split: None,
        };
        let more = leaves_after < self.limits.max_leaves;
        let wanted = (
            more && self.can_split(&left),
            more && self.can_split(&right),
        );
        if wanted == (false, false) {
            self.free.push(parent_hist);
            return Some((left, right));
        }
        // Build the smaller child; the larger is the parent's histogram minus it.
        let left_smaller = mid - leaf.start <= leaf.end - mid;
        let (small, large) = if left_smaller {
            (&mut left, &mut right)
        } else {
            (&mut right, &mut left)
        };
        let mut small_hist = self.take_hist();
        hist::build(
            &mut small_hist,
            &mut self.scratch,
            &order[small.start..small.end],
            self.train,
            self.layout,
            grads,
            small.sum,
        );
        hist::subtract(&mut parent_hist, &small_hist);
        small.hist = Some(small_hist);
        large.hist = Some(parent_hist);
        for (child, want) in [(&mut left, wanted.0), (&mut right, wanted.1)] {
            if !want && let Some(h) = child.hist.take() {
                self.free.push(h);
            }
        }
        Some((left, right))
    }
}
