//! A fitted tree and the ensemble: traversal on raw values (prediction) and on bins (training's
//! own rows), and a small versioned binary format.

use std::sync::OnceLock;

use rayon::prelude::*;

use super::loss::Loss;

/// A node: a split (`feature` below `LEAF`) or a leaf holding `value`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Node {
    pub feature: u32,
    /// Values at most this go left (raw traversal).
    pub threshold: f64,
    /// The same threshold as a bin (traversal of binned rows).
    pub bin: u8,
    pub missing_left: bool,
    pub left: u32,
    pub right: u32,
    /// The leaf's output, already shrunk by the learning rate.
    pub value: f64,
    /// The split's gain (importance).
    pub gain: f64,
}

pub const LEAF: u32 = u32::MAX;

/// Whether a raw value goes left of a split at `threshold`: at most the threshold, or missing
/// when missing values go left. Branch-free: the direction is data, so there is no guess for the
/// predictor to get wrong.
#[inline(always)]
pub fn value_goes_left(value: f64, threshold: f64, missing_left: bool) -> bool {
    (value <= threshold) | (value.is_nan() & missing_left)
}

/// The same rule on bins: bins 1..=`threshold` go left, bin 0 (missing) as `missing_left`. Bin 0
/// wraps to 255, above every threshold (the last value bin is never one).
#[inline(always)]
pub fn bin_goes_left(bin: u8, threshold: u8, missing_left: bool) -> bool {
    (bin.wrapping_sub(1) < threshold) | ((bin == 0) & missing_left)
}

impl Node {
    pub fn leaf(value: f64) -> Self {
        Self {
            feature: LEAF,
            threshold: 0.0,
            bin: 0,
            missing_left: false,
            left: 0,
            right: 0,
            value,
            gain: 0.0,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tree {
    pub nodes: Vec<Node>,
}

impl Tree {
    #[inline]
    pub fn predict_row(&self, row: &[f64]) -> f64 {
        let mut i = 0usize;
        loop {
            let node = &self.nodes[i];
            if node.feature == LEAF {
                return node.value;
            }
            let v = row[node.feature as usize];
            let left = value_goes_left(v, node.threshold, node.missing_left);
            i = [node.right, node.left][usize::from(left)] as usize;
        }
    }

    #[inline]
    pub fn predict_bins(&self, row: &[u8]) -> f64 {
        self.predict_binned(|f| row[f])
    }

    /// The output for a row whose bin of feature `f` is `bin_of(f)`.
    #[inline]
    pub fn predict_binned(&self, bin_of: impl Fn(usize) -> u8) -> f64 {
        let mut i = 0usize;
        loop {
            let node = &self.nodes[i];
            if node.feature == LEAF {
                return node.value;
            }
            let b = bin_of(node.feature as usize);
            let left = bin_goes_left(b, node.bin, node.missing_left);
            i = [node.right, node.left][usize::from(left)] as usize;
        }
    }
}

/// The boosted trees on top of a base score.
#[derive(Clone, Debug, PartialEq)]
pub struct Ensemble {
    pub loss: Loss,
    pub features: usize,
    pub base_score: f64,
    pub trees: Vec<Tree>,
    /// The trees laid out for prediction, made at the first prediction.
    pub flat: OnceLock<Vec<FlatTree>>,
}

/// Rows scored together, tree by tree, so a tree's nodes stay in cache.
const SCORE_BLOCK: usize = 256;
/// Trees at most this deep are walked level by level over a block of rows (every row one step
/// per level, leaves stepping onto themselves): no branch to mispredict and every row's step
/// independent of the others'. A deeper tree (leaf-wise, a few long paths) is walked row by row.
const LEVEL_WALK_DEPTH: usize = 12;

/// Below this many rows a block is scored row by row, several trees at a time.
const FEW_ROWS: usize = 8;

/// The sum of up to eight trees' outputs for one row, walked level by level together; a tree
/// too deep for that is walked alone.
#[inline]
fn walk_trees(trees: &[Tree], flats: &[FlatTree], row: &[f64]) -> f64 {
    let mut at = [0u32; 8];
    let mut depth = 0;
    let mut total = 0.0;
    for (tree, flat) in trees.iter().zip(flats) {
        if flat.depth > LEVEL_WALK_DEPTH {
            total += tree.predict_row(row);
        } else {
            depth = depth.max(flat.depth);
        }
    }
    for _ in 0..depth {
        for (flat, node_at) in flats.iter().zip(at.iter_mut()) {
            let node = &flat.nodes[*node_at as usize];
            let v = row[node.feature as usize];
            let left = value_goes_left(v, node.threshold, node.missing_left);
            *node_at = [node.right, node.left][usize::from(left)];
        }
    }
    for (flat, node_at) in flats.iter().zip(at) {
        if flat.depth <= LEVEL_WALK_DEPTH {
            total += flat.values[node_at as usize];
        }
    }
    total
}

/// A tree for prediction: a leaf's children are itself, so a walk of `depth` steps ends on a
/// leaf from any path.
#[derive(Clone, Debug, PartialEq)]
pub struct FlatTree {
    nodes: Vec<FlatNode>,
    values: Vec<f64>,
    depth: usize,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct FlatNode {
    threshold: f64,
    feature: u32,
    left: u32,
    right: u32,
    missing_left: bool,
}

impl FlatTree {
    fn new(tree: &Tree) -> Self {
        let mut depths = vec![0usize; tree.nodes.len()];
        let mut nodes = Vec::with_capacity(tree.nodes.len());
        for (i, node) in tree.nodes.iter().enumerate() {
            if node.feature == LEAF {
                nodes.push(FlatNode {
                    threshold: 0.0,
                    feature: 0,
                    left: i as u32,
                    right: i as u32,
                    missing_left: false,
                });
            } else {
                // Children come after their parent (checked when a model is read).
                let below = depths[i] + 1;
                for child in [node.left, node.right] {
                    if let Some(d) = depths.get_mut(child as usize) {
                        *d = below;
                    }
                }
                nodes.push(FlatNode {
                    threshold: node.threshold,
                    feature: node.feature,
                    left: node.left,
                    right: node.right,
                    missing_left: node.missing_left,
                });
            }
        }
        Self {
            nodes,
            values: tree.nodes.iter().map(|n| n.value).collect(),
            depth: depths.into_iter().max().unwrap_or(0),
        }
    }

    /// Walks every row of `block` (`cols` values each) to its leaf, into `at`.
    #[inline]
    fn walk(&self, block: &[f64], cols: usize, at: &mut [u32]) {
        at.fill(0);
        for _ in 0..self.depth {
            for (r, node_at) in at.iter_mut().enumerate() {
                let node = &self.nodes[*node_at as usize];
                let v = block[r * cols + node.feature as usize];
                let left = value_goes_left(v, node.threshold, node.missing_left);
                *node_at = [node.right, node.left][usize::from(left)];
            }
        }
    }
}

/// The first bytes of every model file this booster writes.
pub const MAGIC: &[u8; 8] = b"SCGBDT01";

impl Ensemble {
    /// Raw scores of row-major `values` with `self.features` columns, tree by tree over blocks of
    /// rows so a tree's nodes stay in cache.
    pub fn raw_scores(&self, values: &[f64]) -> Vec<f64> {
        let cols = self.features.max(1);
        let rows = values.len() / cols;
        let mut scores = vec![self.base_score; rows];
        let flat = self
            .flat
            .get_or_init(|| self.trees.iter().map(FlatTree::new).collect());
        let score_block = |(block, out): (&[f64], &mut [f64])| {
            if out.len() < FEW_ROWS {
                // A request's row or two: walk eight trees at once for the row instead, each
                // tree's path independent of the others'.
                for (row, score) in block.chunks_exact(cols).zip(out.iter_mut()) {
                    for (trees, flats) in self.trees.chunks(8).zip(flat.chunks(8)) {
                        *score += walk_trees(trees, flats, row);
                    }
                }
                return;
            }
            let mut at = [0u32; SCORE_BLOCK];
            for (tree, flat) in self.trees.iter().zip(flat) {
                if flat.depth > LEVEL_WALK_DEPTH {
                    for (row, score) in block.chunks_exact(cols).zip(out.iter_mut()) {
                        *score += tree.predict_row(row);
                    }
                } else {
                    flat.walk(block, cols, &mut at[..out.len()]);
                    for (node, score) in at.iter().zip(out.iter_mut()) {
                        *score += flat.values[*node as usize];
                    }
                }
            }
        };
        // A batch of many blocks (a file predicted at once) spreads them over the cores; a
        // request of a few rows stays on its thread.
        if rows > 4 * SCORE_BLOCK {
            values
                .par_chunks(SCORE_BLOCK * cols)
                .zip(scores.par_chunks_mut(SCORE_BLOCK))
                .for_each(score_block);
        } else {
            values
                .chunks(SCORE_BLOCK * cols)
                .zip(scores.chunks_mut(SCORE_BLOCK))
                .for_each(score_block);
        }
        scores
    }

    /// Total gain per feature.
    pub fn gains(&self) -> Vec<f64> {
        let mut gains = vec![0.0; self.features];
        for node in self.trees.iter().flat_map(|t| &t.nodes) {
            if node.feature != LEAF {
                gains[node.feature as usize] += node.gain;
            }
        }
        gains
    }

    pub fn encode(&self) -> Vec<u8> {
        let nodes: usize = self.trees.iter().map(|t| t.nodes.len()).sum();
        let mut out = Vec::with_capacity(32 + nodes * 38);
        out.extend_from_slice(MAGIC);
        out.push(self.loss.code());
        out.extend_from_slice(&(self.features as u32).to_le_bytes());
        out.extend_from_slice(&self.base_score.to_le_bytes());
        out.extend_from_slice(&(self.trees.len() as u32).to_le_bytes());
        for tree in &self.trees {
            out.extend_from_slice(&(tree.nodes.len() as u32).to_le_bytes());
            for n in &tree.nodes {
                out.extend_from_slice(&n.feature.to_le_bytes());
                out.extend_from_slice(&n.threshold.to_le_bytes());
                out.push(n.bin);
                out.push(u8::from(n.missing_left));
                out.extend_from_slice(&n.left.to_le_bytes());
                out.extend_from_slice(&n.right.to_le_bytes());
                out.extend_from_slice(&n.value.to_le_bytes());
                out.extend_from_slice(&n.gain.to_le_bytes());
            }
        }
        out
    }

    /// Reads `encode`'s bytes, refusing a truncated or inconsistent file (a child pointing
    /// outside its tree, or back up it) rather than looping or panicking on it later.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        let mut r = Reader { bytes, at: 0 };
        if r.take(8)? != MAGIC {
            return Err("not a Shelfcast gradient-boosting model".into());
        }
        let loss = Loss::from_code(r.u8()?).ok_or("unknown loss code")?;
        let features = r.u32()? as usize;
        let base_score = r.f64()?;
        let count = r.u32()? as usize;
        let mut trees = Vec::with_capacity(count.min(1 << 20));
        for t in 0..count {
            let len = r.u32()? as usize;
            if len == 0 {
                return Err(format!("tree {t} has no nodes"));
            }
            let mut nodes = Vec::with_capacity(len.min(1 << 20));
            for i in 0..len {
                let node = Node {
                    feature: r.u32()?,
                    threshold: r.f64()?,
                    bin: r.u8()?,
                    missing_left: r.u8()? != 0,
                    left: r.u32()?,
                    right: r.u32()?,
                    value: r.f64()?,
                    gain: r.f64()?,
                };
                if node.feature != LEAF {
                    let children_ok = [node.left, node.right]
                        .iter()
                        .all(|&c| (c as usize) > i && (c as usize) < len);
                    if node.feature as usize >= features || !children_ok {
                        return Err(format!("tree {t} node {i} is inconsistent"));
                    }
                }
                nodes.push(node);
            }
            trees.push(Tree { nodes });
        }
        if r.at != bytes.len() {
            return Err(format!("{} trailing bytes", bytes.len() - r.at));
        }
        Ok(Self {
            loss,
            features,
            base_score,
            trees,
            flat: OnceLock::new(),
        })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| format!("truncated at byte {}", self.at))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4)?);
        Ok(u32::from_le_bytes(b))
    }
    fn f64(&mut self) -> Result<f64, String> {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8)?);
        Ok(f64::from_le_bytes(b))
    }
}
