//! Audit of advice values (docs/PROTOCOLS.md §4.16) and of the range checks and wide (two-limb)
//! divisions they rest on (§4.7): a helper session told to forge a statement or crash the
//! verifier through them.
//!
//! Ported from the first audit (against the design with `AtLeast`/`Identity` range tables and a
//! field-less `FloorSqrt`): a public advice value must not make a segment "prove"; doctored
//! advice architectures are refused without panic; doctored range checks are refused without
//! panic and without huge work; a range stated below its least end does not free σ. Dropped:
//! "range check on a Relu table" and "range check in no table" (a template's range check is a
//! `RangeCheck` block now, not a lookup into a table the key names; what is left of them — a
//! check replaced by a lookup — is kept as "a range check replaced by a Relu lookup"), and the
//! "scales beyond MAX_BITS" case (a `RangeCheck` has no scales: its table is the integer range
//! itself). New: attacks on the two-limb check of wide quotient ranges (forged high limb,
//! non-canonical split, quotient beyond the limbs, keys whose range flips narrow ↔ wide).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use zktorch::api;
use zktorch::blocks::division::{self, DivisionKey, DivisionProof, DivisionVerifierKey};
use zktorch::blocks::lookup::{self, LookupKey, Table};
use zktorch::blocks::{linear, Committed};
use zktorch::compile::{
    AdviceFn, Block, Instance, NamedTensor, Program, Tensor, TensorId, TensorKind,
};
use zktorch::model::{self, InstanceProof, InstanceVerifierKey, ModelKey};
use zktorch::pcs::{self, Commitment, PairingBatch};
use zktorch::quant::{QuantConfig, TableFn, TableSpec};
use zktorch::srs::anchor::Trust;
use zktorch::srs::Srs;
use zktorch::transcript::Transcript;
use zktorch::witness::{self, Witness};
use zktorch::Error;

// ---- programs built by hand ------------------------------------------------------------------

fn empty_program() -> Program {
    Program {
        config: QuantConfig::default(),
        tensors: Vec::new(),
        instances: Vec::new(),
        tables: Vec::new(),
        inputs: Vec::new(),
        outputs: Vec::new(),
        names: BTreeMap::new(),
        layers: Vec::new(),
    }
}

fn tensor(p: &mut Program, name: &str, len: usize, kind: TensorKind) -> TensorId {
    let id = p.tensors.len();
    p.tensors.push(Tensor {
        id,
        name: name.into(),
        shape: vec![len],
        scale_bits: 8,
        kind,
    });
    id
}

fn emit(p: &mut Program, block: Block, inputs: Vec<TensorId>, output: TensorId) {
    p.instances.push(Instance {
        layer: format!("i{}", p.instances.len()),
        block,
        inputs,
        output,
    });
}

fn output(p: &mut Program, name: &str, t: TensorId) {
    let n = p.tensors[t].len();
    p.outputs.push((
        name.into(),
        NamedTensor {
            tensor: t,
            shape: vec![n],
        },
    ));
}

fn range_check(min: i64) -> Block {
    Block::RangeCheck {
        min: Some(min),
        range: None,
    }
}

/// `σ = ⌊√(w/k)⌋` of `w` with its checks (the template of `advice::checks`, ranges left to
/// calibration), σ of kind `kind`. Returns σ.
fn floor_sqrt(p: &mut Program, w: TensorId, kind: TensorKind, k: i64) -> TensorId {
    let n = p.tensors[w].len();
    let act = |p: &mut Program, what: &str| tensor(p, what, n, TensorKind::Activation);
    let sigma = tensor(p, "sigma", n, kind);
    emit(
        p,
        Block::Advice {
            func: AdviceFn::FloorSqrt { divisor: k },
        },
        vec![w],
        sigma,
    );
    let c0 = act(p, "sigma-checked");
    emit(p, range_check(0), vec![sigma], c0);
    let q = act(p, "q");
    emit(p, Block::Hadamard, vec![sigma, sigma], q);
    let kq = act(p, "kq");
    emit(p, Block::ScaleConst { k }, vec![q], kq);
    let t1 = act(p, "t1");
    emit(p, Block::Sub, vec![w, kq], t1);
    let c1 = act(p, "t1-checked");
    emit(p, range_check(0), vec![t1], c1);
    let u = act(p, "u");
    emit(p, Block::ScaleConst { k: 2 * k }, vec![sigma], u);
    let t2 = act(p, "t2");
    emit(p, Block::Sub, vec![u, t1], t2);
    let c2 = act(p, "t2-checked");
    emit(p, range_check(1 - k), vec![t2], c2);
    sigma
}

/// Offsets of the template's instances after the advice instance `a`.
const SIGMA_CHECK: usize = 1;
const SQUARE: usize = 2;
const T1: usize = 4;
const T1_CHECK: usize = 5;
const T2: usize = 7;
const T2_CHECK: usize = 8;

const ROOT_INPUT: [f32; 4] = [1.0, 2.0, 0.5, 3.0];

/// x → one Relu lookup → a chain of `chain` linear instances (ScaleConst 1), then ScaleConst k
/// when k > 1 → `σ = ⌊√(w/k)⌋`, a graph output, with its checks; calibrated on [`ROOT_INPUT`].
/// With a chain of `2·MAX_RUN − 2` = 510, a run of at most 256 instances starting after the
/// lookup reaches the advice instance but not its first check. With k = 4096 the checks of t₁
/// and t₂ have ranges of more than 2^16 values (two limbs).
fn root_program(chain: usize, k: i64) -> Program {
    let mut p = empty_program();
    p.tables.push(TableSpec {
        func: TableFn::Relu,
        in_bits: 0,
        out_bits: 0,
        range: Some((-2048, 2047)),
        fixed: true,
    });
    let n = ROOT_INPUT.len();
    let x = tensor(&mut p, "x", n, TensorKind::Input { index: 0 });
    p.inputs.push(x);
    let mut w = tensor(&mut p, "relu", n, TensorKind::Activation);
    emit(&mut p, Block::Lookup { table: 0 }, vec![x], w);
    let scales = std::iter::repeat_n(1, chain).chain((k > 1).then_some(k));
    for s in scales {
        let next = tensor(&mut p, "scaled", n, TensorKind::Activation);
        emit(&mut p, Block::ScaleConst { k: s }, vec![w], next);
        w = next;
    }
    let sigma = floor_sqrt(&mut p, w, TensorKind::Output, k);
    output(&mut p, "sigma", sigma);
    zktorch::quant::calibrate(&mut p, &[vec![ROOT_INPUT.to_vec()]]).unwrap();
    p.check_dataflow().unwrap();
    p
}

fn advice_ix(p: &Program) -> usize {
    p.instances
        .iter()
        .position(|i| matches!(i.block, Block::Advice { .. }))
        .unwrap()
}

/// The limb split instance `ix`'s range check or division uses (None: narrow).
fn limbs_at(p: &Program, ix: usize) -> Option<(u32, i64)> {
    let (lo, hi) = range_of(p, ix);
    let n = p.tensors[p.instances[ix].inputs[0]].len();
    division::limbs(n, lo, hi)
}

fn range_of(p: &Program, ix: usize) -> (i64, i64) {
    p.instances[ix].block.division().unwrap().2.unwrap()
}

const WIDE_INPUT: [f32; 8] = [20.0, -15.0, 3.0, 0.5, -0.25, 7.0, 11.0, 1.0];
const WIDE_DIV: usize = 1;
const WIDE_CHECK: usize = 2;

/// x (8 entries) → `p = x⊙x` → `q = ⌊(p + 128)/256⌋` (a rescale whose quotients reach 102 400:
/// a calibrated range of about 2^17.6 values, two limbs) → `c = RangeCheck{≥ 0}(q)` (wide too)
/// → `y = c + x`, the graph output. Calibrated on [`WIDE_INPUT`].
fn wide_program() -> Program {
    let mut p = empty_program();
    let n = WIDE_INPUT.len();
    let x = tensor(&mut p, "x", n, TensorKind::Input { index: 0 });
    p.inputs.push(x);
    let sq = tensor(&mut p, "square", n, TensorKind::Activation);
    p.tensors[sq].scale_bits = 16;
    emit(&mut p, Block::Hadamard, vec![x, x], sq);
    let q = tensor(&mut p, "rescaled", n, TensorKind::Activation);
    emit(
        &mut p,
        Block::DivConst {
            divisor: 256,
            offset: 128,
            range: None,
        },
        vec![sq],
        q,
    );
    let c = tensor(&mut p, "checked", n, TensorKind::Activation);
    emit(&mut p, range_check(0), vec![q], c);
    let y = tensor(&mut p, "y", n, TensorKind::Output);
    emit(&mut p, Block::Add, vec![c, x], y);
    output(&mut p, "y", y);
    zktorch::quant::calibrate(&mut p, &[vec![WIDE_INPUT.to_vec()]]).unwrap();
    p.check_dataflow().unwrap();
    assert!(matches!(
        p.instances[WIDE_DIV].block,
        Block::DivConst { .. }
    ));
    assert!(matches!(
        p.instances[WIDE_CHECK].block,
        Block::RangeCheck { .. }
    ));
    p
}

// ---- keys, proofs ----------------------------------------------------------------------------

struct Case {
    program: Program,
    key: ModelKey,
    srs: Srs,
}

impl Case {
    fn new(program: Program, inputs: &[Vec<f32>]) -> Case {
        let plan = api::plan_model(&program, inputs).unwrap();
        let srs = Srs::insecure_for_tests(plan.srs_power, 11);
        let key = api::setup_model(&srs, &program, &plan, [5u8; 32]).unwrap();
        Case { program, key, srs }
    }

    fn trust(&self) -> Trust {
        Trust::for_srs(&self.srs)
    }

    fn checked(&self) -> model::CheckedKey {
        model::check_key(&self.key.vk_file, &self.trust()).unwrap()
    }

    fn public(&self, w: &Witness) -> Vec<Vec<i64>> {
        model::public_slots(&self.program)
            .iter()
            .map(|&t| w.values[t].clone())
            .collect()
    }

    /// Whether the prover proves `w` and the verifier accepts the proof.
    fn accepted(&self, w: &Witness) -> bool {
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        match model::prove_witness(&self.key, w, &mut rng) {
            Err(_) => false,
            Ok(proof) => model::verify(&self.checked(), &self.public(w), &proof).is_ok(),
        }
    }

    /// The key with its architecture replaced by `q` (the attacker's key: the same
    /// commitments, resealed, so only the architecture differs), or `None` if it cannot even be
    /// sealed. The case's own key is left as it was.
    fn doctored(&mut self, q: &Program) -> Option<zktorch::proof::VerifyingKey> {
        let (vk, file) = (self.key.vk.clone(), self.key.vk_file.clone());
        self.key.vk.program = model::strip_weights(q);
        let sealed = self.key.reseal().ok().map(|()| self.key.vk_file.clone());
        self.key.vk = vk;
        self.key.vk_file = file;
        sealed
    }

    /// A doctored key is refused by the key check as unfaithful or malformed (not another
    /// error, not a panic), within a few seconds.
    fn refuses(&mut self, q: &Program, what: &str) {
        let started = Instant::now();
        if let Some(file) = self.doctored(q) {
            let verdict = model::check_key(&file, &self.trust());
            assert!(
                matches!(
                    verdict,
                    Err(Error::Verification(_)) | Err(Error::Malformed { .. })
                ),
                "{what}: {:?}",
                verdict.map(|_| ())
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{what}: {:?}",
            started.elapsed()
        );
    }
}

// ---- advice values ---------------------------------------------------------------------------

/// An advice value that is a graph output is public, but its instance still proves nothing:
/// the segmentation counted it as a proving instance like a linear instance with a public
/// output, so the cut could be `[0, 256) [256, 512) [512, …)` with the advice instance the
/// middle segment's only "part", and the verifier refused the honest proof ("segment 1 proves
/// nothing"). Fixed by abff00e (in main since adfcaf5); this is its regression test on the
/// new template.
#[test]
fn a_public_advice_value_does_not_make_a_segment_prove() {
    let p = root_program(510, 1);
    let inputs = vec![ROOT_INPUT.to_vec()];
    let w = witness::run(&p, &inputs).unwrap();
    let sigma = p.outputs[0].1.tensor;
    // w = x at scale 2^8 (256, 512, 128, 768): σ = ⌊√w⌋.
    assert_eq!(w.values[sigma], vec![16, 22, 11, 27]);
    let plan = api::plan_model(&p, &inputs).unwrap();
    let advice = advice_ix(&p);
    for s in &plan.segments {
        let proving = p.instances[s.start..s.end].iter().any(|i| {
            !matches!(
                i.block,
                Block::Add | Block::Sub | Block::ScaleConst { .. } | Block::Advice { .. }
            )
        });
        assert!(proving, "segment {s:?} has no part (advice at {advice})");
    }
    let case = Case::new(p, &inputs);
    let mut rng = rand::thread_rng();
    let (w, proof) = model::prove(&case.key, &inputs, &mut rng).unwrap();
    let public = case.public(&w);
    let checked = case.checked();
    model::verify(&checked, &public, &proof).unwrap();
    // And the public σ is bound: one off is refused.
    let mut forged = public.clone();
    forged[1][0] += 1;
    assert!(model::verify(&checked, &forged, &proof).is_err());
}

/// Architectures a key could state around an advice value: a wrong arity, an output out of
/// range or a constant, a template of another function or divisor, a shift or divisor beyond
/// its bound, the advice instance last or its checks cut short, a range check made two-sided,
/// lowered, replaced by a lookup or by the same division stated as a DivConst, a check pointed
/// at another tensor. Each is malformed (`check_dataflow`; `plan_model` refuses it) and a key
/// stating it is refused; none panics.
#[test]
fn doctored_advice_architectures_are_refused_without_panic() {
    let p = root_program(0, 1);
    let inputs = vec![ROOT_INPUT.to_vec()];
    let a = advice_ix(&p);
    let w = p.instances[a].inputs[0];
    let sigma = p.instances[a].output;
    let edit = |f: &dyn Fn(&mut Program)| {
        let mut q = p.clone();
        f(&mut q);
        q
    };
    let round_div = |shift| Block::Advice {
        func: AdviceFn::RoundDiv { shift },
    };
    let sqrt = |divisor| Block::Advice {
        func: AdviceFn::FloorSqrt { divisor },
    };
    let (_, hi) = range_of(&p, a + T1_CHECK);
    let doctored: Vec<(&str, Program)> = vec![
        ("no input", edit(&|q| q.instances[a].inputs.clear())),
        ("two inputs", edit(&|q| q.instances[a].inputs.push(w))),
        (
            "output out of range",
            edit(&|q| q.instances[a].output = 1 << 40),
        ),
        (
            "input out of range",
            edit(&|q| q.instances[a].inputs[0] = usize::MAX),
        ),
        (
            "output a constant",
            edit(&|q| q.tensors[sigma].kind = TensorKind::Weight { values: vec![0; 4] }),
        ),
        (
            "output a weight read by the checks",
            edit(&|q| {
                q.tensors[sigma].kind = TensorKind::Weight {
                    values: vec![16, 22, 11, 27],
                };
                q.outputs.clear();
            }),
        ),
        (
            "a quotient stated with √'s checks",
            edit(&|q| {
                q.instances[a].block = round_div(3);
                q.instances[a].inputs.push(w);
            }),
        ),
        (
            "shift above the bound",
            edit(&|q| {
                q.instances[a].block = round_div(41);
                q.instances[a].inputs.push(w);
            }),
        ),
        (
            "shift u32::MAX",
            edit(&|q| {
                q.instances[a].block = round_div(u32::MAX);
                q.instances[a].inputs.push(w);
            }),
        ),
        (
            "divisor 2 on the checks of 1",
            edit(&|q| q.instances[a].block = sqrt(2)),
        ),
        ("divisor 0", edit(&|q| q.instances[a].block = sqrt(0))),
        ("divisor −1", edit(&|q| q.instances[a].block = sqrt(-1))),
        (
            "divisor above the bound",
            edit(&|q| q.instances[a].block = sqrt((1 << 24) + 1)),
        ),
        (
            "divisor i64::MIN",
            edit(&|q| q.instances[a].block = sqrt(i64::MIN)),
        ),
        ("last instance", edit(&|q| q.instances.truncate(a + 1))),
        (
            "checks cut short",
            edit(&|q| q.instances.truncate(a + T1_CHECK)),
        ),
        (
            "σ's check made two-sided",
            edit(&|q| {
                q.instances[a + SIGMA_CHECK].block = Block::RangeCheck {
                    min: None,
                    range: Some((-100, 100)),
                }
            }),
        ),
        (
            "t₁'s check with its least end lowered",
            edit(&|q| {
                q.instances[a + T1_CHECK].block = Block::RangeCheck {
                    min: Some(-1),
                    range: Some((-1, hi)),
                }
            }),
        ),
        (
            "t₁'s check with its range below its least end",
            edit(&|q| {
                q.instances[a + T1_CHECK].block = Block::RangeCheck {
                    min: Some(0),
                    range: Some((-hi, hi)),
                }
            }),
        ),
        (
            "t₂'s least end that of k = 2",
            edit(&|q| {
                q.instances[a + T2_CHECK].block = Block::RangeCheck {
                    min: Some(-1),
                    range: Some((-1, hi)),
                }
            }),
        ),
        (
            "a range check replaced by a Relu lookup",
            edit(&|q| q.instances[a + T1_CHECK].block = Block::Lookup { table: 0 }),
        ),
        (
            "a range check in no table",
            edit(&|q| q.instances[a + T1_CHECK].block = Block::Lookup { table: 99 }),
        ),
        (
            "a range check stated as the division by 1",
            edit(&|q| {
                q.instances[a + T1_CHECK].block = Block::DivConst {
                    divisor: 1,
                    offset: 0,
                    range: Some((0, hi)),
                }
            }),
        ),
        (
            "t₁'s check pointed at σ²",
            edit(&|q| {
                let square = q.instances[a + SQUARE].output;
                q.instances[a + T1_CHECK].inputs = vec![square];
            }),
        ),
        (
            "t₂ reads t₁ twice",
            edit(&|q| {
                let t1 = q.instances[a + T1].output;
                q.instances[a + T2].inputs = vec![t1, t1];
            }),
        ),
        (
            "t₁ = w − w",
            edit(&|q| q.instances[a + T1].inputs = vec![w, w]),
        ),
    ];
    let mut case = Case::new(p.clone(), &inputs);
    assert!(model::check_key(&case.key.vk_file, &case.trust()).is_ok());
    for (what, q) in doctored {
        assert!(q.check_dataflow().is_err(), "{what}");
        // (`plan_model` runs the witness before the plan checks the program, and the witness
        // executor indexes tensor and table ids unchecked: a program with one out of range
        // panics there. Only the owner's own compiled program reaches it, not a key's, so
        // those are not tried here.)
        let nt = q.tensors.len();
        let ids_ok = q.instances.iter().all(|i| {
            i.output < nt
                && i.inputs.iter().all(|&t| t < nt)
                && !matches!(i.block, Block::Lookup { table } if table >= q.tables.len())
        });
        if ids_ok {
            assert!(api::plan_model(&q, &inputs).is_err(), "{what}");
        }
        case.refuses(&q, what);
    }
}

/// Ranges a key may state for the template's range checks (and for a division), each tried on
/// σ's check (least end 0, narrow), t₁'s check of the wide root (least end 0, two limbs) and
/// the wide rescale (a DivConst: no least end): reversed, entirely below the least end, every
/// i64, beyond any domain, near i64::MAX or i64::MIN, as wide as the limbs allow and one more.
/// A range below its least end is malformed (`check_dataflow`); every range is refused by the
/// key check (never a panic, never work beyond a few seconds).
#[test]
fn doctored_range_checks_are_refused_without_panic() {
    let narrow = Case::new(root_program(0, 1), &[ROOT_INPUT.to_vec()]);
    let wide_root = Case::new(root_program(0, 4096), &[ROOT_INPUT.to_vec()]);
    let wide = Case::new(wide_program(), &[WIDE_INPUT.to_vec()]);
    let sigma_check = advice_ix(&narrow.program) + SIGMA_CHECK;
    let t1_check = advice_ix(&wide_root.program) + T1_CHECK;
    assert!(
        limbs_at(&wide_root.program, t1_check).is_some(),
        "t₁'s check is wide"
    );
    assert!(
        limbs_at(&wide.program, WIDE_DIV).is_some(),
        "the rescale is wide"
    );
    let max_width = 1i64 << 40;
    for (mut case, ix, least) in [
        (narrow, sigma_check, Some(0)),
        (wide_root, t1_check, Some(0)),
        (wide, WIDE_DIV, None),
    ] {
        let (lo, hi) = range_of(&case.program, ix);
        let width = hi - lo;
        for (what, range) in [
            ("reversed", (hi, lo)),
            ("reversed by one", (lo + 1, lo)),
            ("below its least end", (-1001, -1)),
            ("every i64", (i64::MIN, i64::MAX)),
            ("beyond any domain", (0, i64::MAX)),
            ("near i64::MAX", (i64::MAX - 1000, i64::MAX)),
            ("near i64::MAX, as wide", (i64::MAX - width, i64::MAX)),
            ("near i64::MIN, as wide", (i64::MIN, i64::MIN + width)),
            ("the widest limbs", (0, max_width)),
            ("one beyond the widest limbs", (0, max_width + 1)),
            ("one value", (0, 0)),
        ] {
            let mut q = case.program.clone();
            *q.instances[ix].block.range_mut().unwrap() = Some(range);
            let below = least.is_some_and(|m| range.0 < m);
            assert_eq!(q.check_dataflow().is_err(), below, "{what} on {ix}");
            case.refuses(&q, what);
        }
    }
}

/// The owner's own calibration cannot state a range check below its least end (the old
/// design's `AtLeast(0)` table reaching below 0): `check_dataflow`, the plan, the setup and
/// the key check refuse it. On the honest key, σ one above or below ⌊√(w/k)⌋ (everything after
/// it recomputed from the forged value) is refused, for a narrow template (k = 1) and one
/// whose checks of t₁ and t₂ are in two limbs (k = 4096); the honest witness is accepted.
#[test]
fn a_range_stated_below_zero_does_not_free_the_root() {
    let inputs = vec![ROOT_INPUT.to_vec()];
    for k in [1, 4096] {
        let p = root_program(0, k);
        let a = advice_ix(&p);
        if k > 1 {
            for c in [T1_CHECK, T2_CHECK] {
                assert!(limbs_at(&p, a + c).is_some(), "k = {k}, check {c}");
            }
        }
        let mut case = Case::new(p.clone(), &inputs);
        let mut lowered = p.clone();
        let (_, hi) = range_of(&p, a + T1_CHECK);
        *lowered.instances[a + T1_CHECK].block.range_mut().unwrap() = Some((-1000, hi));
        assert!(lowered.check_dataflow().is_err());
        assert!(api::plan_model(&lowered, &inputs).is_err());
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        assert!(model::setup(&case.srs, &lowered, &case.key.plan, &mut rng).is_err());
        case.refuses(&lowered, "lowered");

        let honest = witness::run_forcing(&p, &inputs, &mut |_, _| {}).unwrap();
        assert!(case.accepted(&honest), "k = {k}: honest");
        let sigma = p.outputs[0].1.tensor;
        for delta in [1i64, -1] {
            let forged = witness::run_forcing(&p, &inputs, &mut |ix, v| {
                if ix == a {
                    v[0] += delta;
                }
            })
            .unwrap();
            assert_ne!(forged.values[sigma], honest.values[sigma]);
            assert!(!case.accepted(&forged), "k = {k}: σ {delta:+}");
        }
    }
}

// ---- wide divisions (two limbs) --------------------------------------------------------------

/// The bundled wake-word head is the real model with wide divisions: its calibrated program
/// has quotient ranges of more than 2^16 values, checked in two limbs.
#[test]
fn the_wake_word_head_has_wide_divisions() {
    let path =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/real/hello_deepa.onnx");
    let graph = zktorch::onnx::load(&path).unwrap();
    let inputs =
        zktorch::onnx::read_input_json(&path.with_extension("input.json"), &graph.inputs).unwrap();
    let (_, p) = api::compile_model(
        &zktorch::onnx::ModelFile::new(&path),
        std::slice::from_ref(&inputs),
    )
    .unwrap();
    let wide = (0..p.instances.len())
        .filter(|&ix| {
            p.instances[ix]
                .block
                .division()
                .is_some_and(|(_, _, r)| r.is_some())
        })
        .filter(|&ix| limbs_at(&p, ix).is_some())
        .count();
    assert!(wide > 0, "no wide division in the wake-word head");
}

/// The wide program proves and verifies; quotients forced off by ±1, ±2^L or 2^L·(H+1) on one
/// entry (the rescale's, or the range check's copy of it), everything after recomputed from
/// the forged value, are refused; so is a proof whose high limb commitment is moved by one on
/// one row (the non-canonical split `h + 1`, `l − 2^L` with the honest lookup proofs), or whose
/// limbs are dropped; and the proof's encoding round-trips with its limbs.
#[test]
fn a_wide_division_refuses_forged_quotients_and_limbs() {
    let p = wide_program();
    let inputs = vec![WIDE_INPUT.to_vec()];
    let case = Case::new(p.clone(), &inputs);
    let (bits, h_max) = limbs_at(&p, WIDE_DIV).unwrap();
    let honest = witness::run_forcing(&p, &inputs, &mut |_, _| {}).unwrap();
    assert_eq!(honest.values[p.instances[WIDE_DIV].output][0], 102_400);
    assert!(case.accepted(&honest));
    let step = 1i64 << bits;
    for ix in [WIDE_DIV, WIDE_CHECK] {
        for delta in [1, -1, step, -step, step * (h_max + 1)] {
            let forged = witness::run_forcing(&p, &inputs, &mut |i, v| {
                if i == ix {
                    v[0] += delta;
                }
            })
            .unwrap();
            assert!(!case.accepted(&forged), "instance {ix}, quotient {delta:+}");
        }
    }

    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let (w, proof) = model::prove(&case.key, &inputs, &mut rng).unwrap();
    let public = case.public(&w);
    let checked = case.checked();
    model::verify(&checked, &public, &proof).unwrap();
    let (g1, fr) = model::proof_parts(&proof);
    assert_eq!(
        model::proof_from_parts(checked.vk(), &g1, &fr).unwrap(),
        proof
    );
    for ix in [WIDE_DIV, WIDE_CHECK] {
        let InstanceVerifierKey::Division(k) = &checked.vk().keys[ix] else {
            panic!("instance {ix} has a division key")
        };
        let log_m = k.quotient.log_m;
        let InstanceProof::Division(dp) = &proof.instances[ix] else {
            panic!("instance {ix} has a division proof")
        };
        let (h, _) = dp.high.clone().expect("a wide division has limbs");
        // C_h + [L_j(τ)]: h + 1 on row j, so the derived low limb is l − 2^L there.
        // (Rows beyond the 8 looked up are not tried: there h and l are unconstrained and read
        // by nothing — q is committed on its own — so a split there is harmless.)
        for row in [0, 3, 7] {
            let mut e = vec![0i64; 1 << log_m];
            e[row] = 1;
            let moved = linear::add_commitments(h, pcs::commit_values(&case.srs, &e).unwrap());
            let mut bad = proof.clone();
            let InstanceProof::Division(bp) = &mut bad.instances[ix] else {
                unreachable!()
            };
            bp.high.as_mut().unwrap().0 = moved;
            assert!(
                model::verify(&checked, &public, &bad).is_err(),
                "instance {ix}, high limb moved on row {row}"
            );
        }
        let mut bad = proof.clone();
        let InstanceProof::Division(bp) = &mut bad.instances[ix] else {
            unreachable!()
        };
        bp.high = None;
        assert!(model::verify(&checked, &public, &bad).is_err());
    }
}

/// Keys whose division or range check states a range on the other side of the narrow/wide
/// boundary (`division::limbs` changes, so the number of tables and key commitments changes),
/// or another limb split of the same width class, are refused by the key check — never a
/// panic. Covers both directions: the wide program made narrow and the narrow root made wide.
#[test]
fn a_key_cannot_flip_a_division_between_narrow_and_wide() {
    assert!(division::limbs(0, 0, division::WIDE_MIN_ROWS - 1).is_none());
    assert_eq!(
        division::limbs(0, 0, division::WIDE_MIN_ROWS),
        Some((7, 32))
    );
    assert!(
        division::limbs(5000, 0, 4999).is_none(),
        "narrower than the entries"
    );
    let mut wide = Case::new(wide_program(), &[WIDE_INPUT.to_vec()]);
    let mut narrow = Case::new(root_program(0, 1), &[ROOT_INPUT.to_vec()]);
    let sigma_check = advice_ix(&narrow.program) + SIGMA_CHECK;
    let mut tried = 0;
    for (is_wide, ix) in [(true, WIDE_DIV), (true, WIDE_CHECK), (false, sigma_check)] {
        let case = if is_wide { &mut wide } else { &mut narrow };
        let (lo, _) = range_of(&case.program, ix);
        let n = case.program.tensors[case.program.instances[ix].inputs[0]].len();
        let was_wide = limbs_at(&case.program, ix).is_some();
        let base = lo.max(0);
        for range in [
            (base, base + (1 << 16) - 1),
            (base, base + (1 << 16)),
            (base, base + 1000),
            (base, base + (1 << 20)),
            (base, base + (1 << 17) + 1),
        ] {
            let now_wide = division::limbs(n, range.0, range.1).is_some();
            let mut q = case.program.clone();
            *q.instances[ix].block.range_mut().unwrap() = Some(range);
            assert!(q.check_dataflow().is_ok());
            tried += usize::from(was_wide != now_wide);
            case.refuses(&q, &format!("instance {ix}: {range:?}"));
        }
    }
    assert!(tried >= 3);
}

// ---- the two-limb block, forged by hand ------------------------------------------------------

/// A division proof made as `division::prove_in` makes it, but with the high limb `h` given
/// (any split, canonical or not) and the low and high tables given: a prover that picks its own
/// limbs and proves each lookup honestly against the tables it names. Returns the proof and
/// the verifier key of those tables (the key an attacker would need the verifier to hold).
#[allow(clippy::too_many_arguments)]
fn forge_division(
    srs: &Srs,
    n: usize,
    d: i64,
    bits: u32,
    log_m: u32,
    a: &Committed,
    q: &Committed,
    h_values: &[i64],
    low_table: Table,
    high_table: Table,
    rng: &mut ChaCha20Rng,
) -> (DivisionProof, DivisionVerifierKey) {
    let mut t = Transcript::new(b"audit-advice");
    t.append_bytes(b"block", b"division");
    t.append_u64(b"division/divisor", d as u64);
    let remainder_key =
        LookupKey::on_domain(srs, n, Table::single((0..d).collect()), log_m).unwrap();
    let r = linear::sub(a, &linear::scale(q, d).unwrap()).unwrap();
    let remainder = lookup::prove(srs, &remainder_key, &r, None, &mut t, rng).unwrap();
    let mut hv = h_values.to_vec();
    hv.resize(1 << log_m, 0);
    let h = Committed::new(srs, &hv, division::QUOTIENT_MASK, rng).unwrap();
    t.append_g1s(b"division/high-limb", &[h.commitment.0]);
    let low = linear::sub(q, &linear::scale(&h, 1i64 << bits).unwrap()).unwrap();
    let low_key = LookupKey::on_domain(srs, n, low_table, log_m).unwrap();
    let quotient = lookup::prove(srs, &low_key, &low, None, &mut t, rng).unwrap();
    let high_key = LookupKey::on_domain(srs, n, high_table, log_m).unwrap();
    let high = lookup::prove(srs, &high_key, &h, None, &mut t, rng).unwrap();
    (
        DivisionProof {
            remainder,
            quotient,
            high: Some((h.commitment, high)),
        },
        DivisionVerifierKey {
            divisor: d,
            remainder: remainder_key.verifier_key(),
            quotient: low_key.verifier_key(),
            high: Some((bits, high_key.verifier_key())),
        },
    )
}

fn division_accepts(
    srs: &Srs,
    key: &DivisionVerifierKey,
    a: Commitment,
    q: Commitment,
    proof: &DivisionProof,
) -> bool {
    let mut t = Transcript::new(b"audit-advice");
    let mut batch = PairingBatch::new();
    division::verify(&srs.verifier_key(), key, a, q, proof, &mut t, &mut batch).is_ok()
        && batch.verify()
}

/// The soundness of the limbs rests on the two tables alone: a high limb that is not
/// `⌊(q − q_min)/2^L⌋` puts the low limb outside `[q_min, q_min + 2^L)`, and a quotient beyond
/// `q_min + 2^L·(H+1)` puts the high limb outside `[0, H]`. Forged proofs for each — every
/// lookup proved honestly, against a table widened just enough to hold the forged limb — are
/// accepted under the widened tables (the forgery is otherwise well-formed) and refused under
/// the honest key. Control: the same forging code with the canonical split and the honest
/// tables gives a proof the honest key accepts.
#[test]
fn forged_limbs_are_caught_by_the_limb_tables() {
    let srs = Srs::insecure_for_tests(12, 11);
    let mut rng = ChaCha20Rng::seed_from_u64(21);
    let (n, lo, hi) = (40usize, -100_000i64, 100_000i64);
    let (bits, h_max) = division::limbs(n, lo, hi).unwrap();
    assert_eq!((bits, h_max), (9, 390));
    let step = 1i64 << bits;
    let log_m = 11; // room for a low table of 2^(L+1) rows
    let low = |from: i64, rows: i64| Table::single((from..from + rows).collect());
    let high = |top: i64| Table::single((0..=top).collect());
    let canonical = |q: &[i64]| -> Vec<i64> { q.iter().map(|v| (v - lo) >> bits).collect() };
    let commit = |v: &[i64], rng: &mut ChaCha20Rng| {
        let mut v = v.to_vec();
        v.resize(1 << log_m, 0);
        Committed::new(&srs, &v, division::QUOTIENT_MASK, rng).unwrap()
    };

    for d in [7i64, 1] {
        let honest_key = DivisionKey::on_domain(&srs, n, d, lo, hi, log_m)
            .unwrap()
            .verifier_key();
        // Dividends whose floor quotients fill [lo, hi].
        let av: Vec<i64> = (0..n)
            .map(|_| rng.gen_range(lo * d..=hi * d + d - 1))
            .collect();
        let qv = division::quotients(&av, d);
        let (a, q) = (commit(&av, &mut rng), commit(&qv, &mut rng));
        let h = canonical(&qv);

        // Control.
        let (proof, _) = forge_division(
            &srs,
            n,
            d,
            bits,
            log_m,
            &a,
            &q,
            &h,
            low(lo, step),
            high(h_max),
            &mut rng,
        );
        assert!(
            division_accepts(&srs, &honest_key, a.commitment, q.commitment, &proof),
            "d = {d}"
        );

        // Non-canonical splits: h − 1 (l + 2^L above the low table) and h + 1 (l − 2^L below).
        let j = (0..n).find(|&i| (1..h_max).contains(&h[i])).unwrap();
        for (shift, widened) in [(-1, low(lo, 2 * step)), (1, low(lo - step, 2 * step))] {
            let mut forged = h.clone();
            forged[j] += shift;
            let (proof, their_key) = forge_division(
                &srs,
                n,
                d,
                bits,
                log_m,
                &a,
                &q,
                &forged,
                widened,
                high(h_max),
                &mut rng,
            );
            assert!(division_accepts(
                &srs,
                &their_key,
                a.commitment,
                q.commitment,
                &proof
            ));
            assert!(
                !division_accepts(&srs, &honest_key, a.commitment, q.commitment, &proof),
                "d = {d}: high limb {shift:+} on row {j}"
            );
        }
    }

    // A quotient beyond the limbs (a range check, d = 1: a = q): the canonical high limb is
    // H + 1. The honest prover refuses; the forged proof needs a high table to H + 1.
    let mut qv: Vec<i64> = (0..n as i64).map(|i| lo + 37 * i).collect();
    qv[5] = lo + step * (h_max + 1) + 5;
    let h = canonical(&qv);
    assert_eq!(h[5], h_max + 1);
    let (a, q) = (commit(&qv, &mut rng), commit(&qv, &mut rng));
    let key = DivisionKey::on_domain(&srs, n, 1, lo, hi, log_m).unwrap();
    let mut t = Transcript::new(b"audit-advice");
    assert!(division::prove(&srs, &key, &a, &q, &mut t, &mut rng).is_err());
    let (proof, their_key) = forge_division(
        &srs,
        n,
        1,
        bits,
        log_m,
        &a,
        &q,
        &h,
        low(lo, step),
        high(h_max + 1),
        &mut rng,
    );
    assert!(division_accepts(
        &srs,
        &their_key,
        a.commitment,
        q.commitment,
        &proof
    ));
    assert!(!division_accepts(
        &srs,
        &key.verifier_key(),
        a.commitment,
        q.commitment,
        &proof
    ));
    // The superset the limbs admit, by design (§4.7): just above q_max, below 2^L·(H+1).
    let mut qv2 = qv.clone();
    qv2[5] = lo + step * (h_max + 1) - 1;
    assert!(qv2[5] > hi);
    let (a2, q2) = (commit(&qv2, &mut rng), commit(&qv2, &mut rng));
    let mut t = Transcript::new(b"audit-advice");
    let proof = division::prove(&srs, &key, &a2, &q2, &mut t, &mut rng).unwrap();
    assert!(division_accepts(
        &srs,
        &key.verifier_key(),
        a2.commitment,
        q2.commitment,
        &proof
    ));
}
