//! Segments and views: where each instance is proved and where each tensor is committed.
//!
//! A **segment** is a run of consecutive instances proved on one domain of size `2^log_n`, the
//! largest its instances need, with its own identity proof (docs/PROTOCOLS.md §5.5). A tensor
//! is committed once per domain size on which some instance reads or writes it: a **view**
//! `(tensor, log_n)`. A tensor with views on two domains is bound to one value on both by the
//! binding argument (Horner sums at a shared challenge, equal at the row both domains share).
//!
//! The segmentation is a function of the program and the max instances' spread bounds alone,
//! so a verifier recomputes it and a key cannot choose its own.

use super::keys::Role;
use crate::compile::{Block, BlockClass, Program, TensorId};
use crate::error::{Error, Result};
use std::collections::{BTreeMap, BTreeSet};

/// A run of instances `start..end` proved on the domain of size `2^log_n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Segment {
    /// First instance.
    pub start: usize,
    /// One past the last instance.
    pub end: usize,
    /// log2 of the segment's domain.
    pub log_n: u32,
}

/// The segment holding instance `ix` (binary search: segments are consecutive runs).
pub fn segment_of(segments: &[Segment], ix: usize) -> Option<usize> {
    let s = segments.partition_point(|g| g.end <= ix);
    segments
        .get(s)
        .filter(|g| g.start <= ix && ix < g.end)
        .map(|_| s)
}

/// log2 of the domain of the segment holding instance `ix`.
pub fn domain_of(segments: &[Segment], ix: usize) -> Option<u32> {
    segment_of(segments, ix).map(|s| segments[s].log_n)
}

/// Tied products (one constant matrix read by several products, [`Program::tied_products`])
/// have identical keys, and a product's key is laid out on its segment's domain: segments
/// linked by a tie (transitively: a segment may hold products of several ties) are joined
/// (union–find) and every one is widened to the largest domain of its group, in linear time
/// (a key's architecture is the owner's: reading it must stay near-linear).
pub fn widen_tied(program: &Program, segments: &mut [Segment]) {
    fn root(parent: &mut [usize], mut s: usize) -> usize {
        while parent[s] != s {
            parent[s] = parent[parent[s]];
            s = parent[s];
        }
        s
    }
    let mut parent: Vec<usize> = (0..segments.len()).collect();
    for (ix, first) in program.tied_products().into_iter().enumerate() {
        let (Some(first), Some(a)) = (first, segment_of(segments, ix)) else {
            continue;
        };
        if let Some(b) = segment_of(segments, first) {
            let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
            parent[ra] = rb;
        }
    }
    let mut widest = vec![0u32; segments.len()];
    for (s, seg) in segments.iter().enumerate() {
        let r = root(&mut parent, s);
        widest[r] = widest[r].max(seg.log_n);
    }
    for (s, seg) in segments.iter_mut().enumerate() {
        seg.log_n = widest[root(&mut parent, s)];
    }
}

/// The distinct domain sizes (log2) of the segments, ascending.
pub fn domains(segments: &[Segment]) -> Vec<u32> {
    let set: BTreeSet<u32> = segments.iter().map(|s| s.log_n).collect();
    set.into_iter().collect()
}

/// Whether input `slot` of `block` is read as a column on the domain (a matrix product's
/// constant W lives in the product's key instead).
pub fn reads_on_domain(block: &Block, slot: usize) -> bool {
    match block {
        Block::MatMulConst { .. } => slot != 1,
        // An advice instance reads nothing: its value is committed where its checks read it.
        Block::Advice { .. } => false,
        _ => true,
    }
}

/// Fixed cost of a segment in the segmentation's cost model (its quotient, its openings), in
/// domain rows.
const SEGMENT_COST: u64 = 1 << 11;

/// The most instances one segment holds: bounds the cut's dynamic program to
/// O(instances · MAX_RUN) whatever a key states (a key's architecture is read before any
/// check, so its planning must stay near-linear).
pub const MAX_RUN: usize = 256;

/// Cuts the program into segments. `need[ix]` is log2 of the domain instance `ix` needs.
///
/// The cost model, in domain rows: a segment of domain n starting at instance j costs
/// `n·(W + 2·L_j + 3) + 2^11`, with W its instances that send a proof and L_j the tensors live
/// across position j (written before j, read at or after it: each a new view and a binding
/// column if the cut falls there); the cut minimising the total over runs of at most
/// [`MAX_RUN`] instances is found by dynamic programming, O(instances · MAX_RUN). Every run
/// holds an instance with constraints of its own (`proves[ix]`: a block with a proof, or a
/// linear instance whose output is public): a run of linear instances alone would have an
/// identity proof of nothing, which the verifier refuses.
pub fn segment(program: &Program, need: &[u32], proves: &[bool]) -> Vec<Segment> {
    let count = program.instances.len();
    if count == 0 {
        return Vec::new();
    }
    let live = live_across(program);
    let mut best: Vec<(u64, usize)> = vec![(u64::MAX, 0); count + 1];
    best[0] = (0, 0);
    for j in 0..count {
        if best[j].0 == u64::MAX {
            continue;
        }
        let mut log = 1u32;
        let mut work = 0u64;
        let mut has_part = false;
        for i in j..count.min(j + MAX_RUN) {
            let inst = &program.instances[i];
            log = log.max(need[i]);
            if inst.block.class() != BlockClass::Linear {
                work += 1;
            }
            has_part |= proves.get(i).copied().unwrap_or(true);
            if !has_part {
                continue;
            }
            let rows = 1u64 << log.min(40);
            let cost = rows
                .saturating_mul(work + 2 * live[j] + 3)
                .saturating_add(SEGMENT_COST);
            let total = best[j].0.saturating_add(cost);
            if total < best[i + 1].0 {
                best[i + 1] = (total, j);
            }
        }
    }
    if best[count].0 == u64::MAX {
        // No run proves anything on its own (not a program a compiler emits): one segment.
        return vec![Segment {
            start: 0,
            end: count,
            log_n: need.iter().copied().max().unwrap_or(1).max(1),
        }];
    }
    let mut cuts = Vec::new();
    let mut end = count;
    while end > 0 {
        let start = best[end].1;
        let log = need[start..end].iter().copied().max().unwrap_or(1).max(1);
        cuts.push(Segment {
            start,
            end,
            log_n: log,
        });
        end = start;
    }
    cuts.reverse();
    cuts
}

/// Per position j: the tensors written by an instance before j and read on the domain by one at
/// or after j (a difference array over each tensor's [producer + 1, last reader]).
fn live_across(program: &Program) -> Vec<u64> {
    let count = program.instances.len();
    let mut producer: Vec<Option<usize>> = vec![None; program.tensors.len()];
    let mut last_read: Vec<usize> = vec![0; program.tensors.len()];
    for (ix, inst) in program.instances.iter().enumerate() {
        for (slot, &t) in inst.inputs.iter().enumerate() {
            if reads_on_domain(&inst.block, slot) {
                if let Some(r) = last_read.get_mut(t) {
                    *r = ix;
                }
            }
        }
        if let Some(p) = producer.get_mut(inst.output) {
            *p = Some(ix);
        }
    }
    let mut diff = vec![0i64; count + 2];
    for (t, p) in producer.iter().enumerate() {
        if let Some(p) = *p {
            if last_read[t] > p {
                diff[p + 1] += 1;
                diff[last_read[t] + 1] -= 1;
            }
        }
    }
    let mut live = Vec::with_capacity(count);
    let mut acc = 0i64;
    for d in diff.iter().take(count) {
        acc += d;
        live.push(acc.max(0) as u64);
    }
    live
}

/// One tensor committed on one domain.
pub type View = (TensorId, u32);

/// A tensor committed on several domains, bound to one value across them: its views in
/// ascending domain order, each with the segment whose identity proof carries its Horner part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    /// The tensor.
    pub tensor: TensorId,
    /// (domain log, hosting segment) per view, ascending.
    pub views: Vec<(u32, usize)>,
}

/// Every view of a program under a segmentation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Views {
    /// Every view, in (tensor, domain) order.
    pub list: Vec<View>,
    /// Tensors with views on several domains whose commitments the prover makes (activations,
    /// weights): bound per proof. Public tensors are bound to their values on every view;
    /// derived ones follow from their inputs'.
    pub bindings: Vec<Binding>,
    /// Per segment, the views of the all-ones vectors its divisions read: (length, domain).
    pub ones: BTreeSet<(usize, u32)>,
}

impl Views {
    /// The domains (log2) tensor `t` has a view on, ascending (binary search in the list).
    pub fn domains_of(&self, t: TensorId) -> impl Iterator<Item = u32> + '_ {
        let start = self.list.partition_point(|v| v.0 < t);
        self.list[start..]
            .iter()
            .take_while(move |v| v.0 == t)
            .map(|v| v.1)
    }

    /// The views of `role` in list order.
    pub fn of_role<'a>(&'a self, roles: &'a [Role], role: Role) -> impl Iterator<Item = View> + 'a {
        self.list
            .iter()
            .copied()
            .filter(move |(t, _)| roles.get(*t) == Some(&role))
    }
}

/// The views of a program: every tensor an instance reads or writes on its segment's domain (a
/// linear instance's output views pulled back to its inputs: a derived commitment is combined
/// from its inputs' on the same domain); a public tensor no instance touches gets one view on
/// the smallest domain holding it.
pub fn views(
    program: &Program,
    segments: &[Segment],
    roles: &[Role],
    bound: &[TensorId],
) -> Result<Views> {
    let mut set: BTreeSet<View> = BTreeSet::new();
    let mut host: BTreeMap<View, usize> = BTreeMap::new();
    let mut ones = BTreeSet::new();
    let bad = |why: String| Error::InvalidArgument(format!("segmentation: {why}"));
    for (s, seg) in segments.iter().enumerate() {
        for ix in seg.start..seg.end {
            let inst = program
                .instances
                .get(ix)
                .ok_or_else(|| bad(format!("instance {ix} does not exist")))?;
            let d = seg.log_n;
            let mut touch = |t: TensorId| {
                set.insert((t, d));
                host.entry((t, d)).or_insert(s);
            };
            if inst.block.class() == BlockClass::Advice {
                // Committed where it is read (its checks), or bound as a public value.
                continue;
            }
            if inst.block.class() == BlockClass::Linear {
                // A public output of a linear instance is committed and proved equal here.
                if roles.get(inst.output) == Some(&Role::Public) {
                    touch(inst.output);
                }
                continue;
            }
            for (slot, &t) in inst.inputs.iter().enumerate() {
                if reads_on_domain(&inst.block, slot) {
                    touch(t);
                }
            }
            touch(inst.output);
            // The all-ones column the public offset of a division is added with.
            if let Block::DivConst { .. } = inst.block {
                let len = program.tensors[inst.inputs[0]].len();
                ones.insert((len, d));
            }
        }
    }
    // Derived tensors: a view of the output is combined from the inputs' views on its domain.
    for (ix, inst) in program.instances.iter().enumerate().rev() {
        if inst.block.class() != BlockClass::Linear {
            continue;
        }
        let s = segment_of(segments, ix).ok_or_else(|| bad(format!("instance {ix} unplaced")))?;
        // A public output is bound to its values on each of its views; only the equality on
        // its own segment's domain reads the inputs.
        let domains: Vec<(u32, usize)> = if roles.get(inst.output) == Some(&Role::Public) {
            vec![(segments[s].log_n, s)]
        } else {
            set.range((inst.output, 0)..=(inst.output, u32::MAX))
                .map(|&(_, d)| (d, host.get(&(inst.output, d)).copied().unwrap_or(s)))
                .collect()
        };
        for (d, h) in domains {
            for &t in &inst.inputs {
                set.insert((t, d));
                host.entry((t, d)).or_insert(h);
            }
        }
    }
    for &t in bound {
        if set.range((t, 0)..=(t, u32::MAX)).next().is_none() {
            let len = program.tensors.get(t).map_or(1, |x| x.len());
            set.insert((t, crate::pcs::domain_log(len).max(1)));
        }
    }
    let list: Vec<View> = set.into_iter().collect();
    let mut bindings = Vec::new();
    let mut k = 0;
    while k < list.len() {
        let t = list[k].0;
        let mut e = k;
        while e < list.len() && list[e].0 == t {
            e += 1;
        }
        let committed = matches!(roles.get(t), Some(Role::Activation | Role::Weight));
        if committed && e - k > 1 {
            let views = list[k..e]
                .iter()
                .map(|v| {
                    host.get(v)
                        .map(|&s| (v.1, s))
                        .ok_or_else(|| bad(format!("view {v:?} has no segment")))
                })
                .collect::<Result<_>>()?;
            bindings.push(Binding { tensor: t, views });
        }
        k = e;
    }
    Ok(Views {
        list,
        bindings,
        ones,
    })
}

/// Columns an instance keeps on its segment's domain: in its key, and made per proof
/// (auxiliary columns), besides the views it reads.
fn columns_of(block: &Block, inputs: usize) -> (u64, u64) {
    match block {
        Block::Add
        | Block::Sub
        | Block::ScaleConst { .. }
        | Block::Hadamard
        | Block::Advice { .. } => (0, 0),
        // A layer's W is private: its columns are commitments only (a per-proof combination),
        // the key keeps the selector and the two tiling selectors.
        Block::MatMulConst { .. } => (3, 4),
        Block::SumGroups { .. } => (2, 4),
        Block::MatMul { .. } => (2, 10),
        Block::MaxGroups { .. } => (11, 7),
        Block::Lookup { .. } => (4, 3),
        Block::DivConst { .. } | Block::RangeCheck { .. } => (8, 6),
        Block::Copy { .. } => (inputs as u64 + 3, 1),
    }
}

/// Estimated peak bytes of proving a program under these segments, before anything is
/// allocated: every view (values and coefficients), every key column on its domain, the SRS
/// with its Lagrange bases, and the largest segment's working set (its columns copied into its
/// identity proof and evaluated on a coset of four times its domain). Calibrated on the
/// bundled models (README); used to refuse a plan that does not fit (`--max-memory`).
pub fn memory_estimate(
    program: &Program,
    segments: &[Segment],
    views: &Views,
    srs_power: u32,
) -> u64 {
    let rows = |d: u32| 1u64 << d.min(40);
    let mut bytes: u64 = views.list.iter().map(|&(_, d)| 40 * rows(d)).sum();
    let mut largest = 0u64;
    for seg in segments {
        let n = rows(seg.log_n);
        let mut cols = 0u64;
        for inst in program.instances.get(seg.start..seg.end).unwrap_or(&[]) {
            let (key, proof) = columns_of(&inst.block, inst.inputs.len());
            bytes = bytes.saturating_add(32 * key * n);
            cols += key + proof + inst.inputs.len() as u64 + 1;
        }
        largest = largest.max(cols.saturating_mul(n).saturating_mul(32 * 6));
    }
    let srs = 64 * rows(srs_power + 1)
        + segments
            .iter()
            .map(|s| 64 * rows(s.log_n))
            .max()
            .unwrap_or(0)
            * 2;
    bytes.saturating_add(largest).saturating_add(srs)
}
