//! Checks shared by the host tests and the GPU tests: the same assertions, run
//! through a [`Runner`] that executes the kernels on the host or on a device.
#![allow(dead_code)]

pub mod device;
pub mod fused;
pub mod host;

use gelu_cuda::accuracy::{judging_scale, stated_bound, ErrorStats};
use gelu_cuda::{reference, Approximation, DType, GeluFloat};

/// Whether two results are the same bit for bit (NaN payloads and signs of zero
/// included).
pub fn same_bits<T: GeluFloat>(a: &[T], b: &[T]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(p, q)| p.to_bits_u32() == q.to_bits_u32())
}

/// splitmix64: small, fast, and good enough to draw test inputs.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// 1 or -1.
    pub fn sign(&mut self) -> f64 {
        if self.next_u64() & 1 == 1 {
            1.0
        } else {
            -1.0
        }
    }
}

/// A fresh seed per run (so every run draws new inputs), or `GELU_TEST_SEED`.
/// Printed, so a failure can be replayed.
pub fn seed(test: &str) -> u64 {
    let seed = std::env::var("GELU_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            t ^ (std::process::id() as u64).rotate_left(32)
        });
    println!("{test}: GELU_TEST_SEED={seed}");
    seed
}

/// A copy of a slice whose first element sits on a 64-byte boundary, as it would
/// in a device allocation, so that an offset in elements fixes the alignment the
/// kernels see on the host too (16- and 32-byte vectors).
pub struct Aligned<T> {
    buf: Vec<T>,
    start: usize,
}

impl<T: Copy> Aligned<T> {
    pub fn new(v: &[T]) -> Self {
        let Some(&fill) = v.first() else {
            return Self {
                buf: Vec::new(),
                start: 0,
            };
        };
        let (mut buf, start) = Self::room(v.len());
        buf.resize(start, fill);
        buf.extend_from_slice(v);
        Self { buf, start }
    }

    /// `len` copies of `fill`.
    pub fn filled(len: usize, fill: T) -> Self {
        let (mut buf, start) = Self::room(len);
        buf.resize(start + len, fill);
        Self { buf, start }
    }

    /// An empty buffer with room for `len` elements from a 64-byte boundary on, and
    /// where that boundary is. Filling it within its capacity never moves it.
    fn room(len: usize) -> (Vec<T>, usize) {
        let size = std::mem::size_of::<T>();
        let buf: Vec<T> = Vec::with_capacity(len + 64 / size);
        let start = (64 - buf.as_ptr() as usize % 64) % 64 / size;
        assert_eq!((buf.as_ptr() as usize + start * size) % 64, 0);
        (buf, start)
    }
}

impl<T> std::ops::Deref for Aligned<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.buf[self.start..]
    }
}

impl<T> std::ops::DerefMut for Aligned<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.buf[self.start..]
    }
}

/// This process's resident memory in bytes, where /proc/self/statm exists.
pub fn resident_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// The value unwritten outputs keep: a NaN with a payload no kernel produces.
pub use gelu_cuda::accuracy::poison;

pub fn is_poison<T: GeluFloat>(v: T) -> bool {
    v.to_bits_u32() == poison::<T>().to_bits_u32()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    Forward,
    ForwardInplace,
    Backward,
    BackwardInplace,
}

impl Call {
    pub const ALL: [Call; 4] = [
        Self::Forward,
        Self::ForwardInplace,
        Self::Backward,
        Self::BackwardInplace,
    ];
    pub fn is_backward(self) -> bool {
        matches!(self, Self::Backward | Self::BackwardInplace)
    }
}

/// One kernel call on `n` elements: `x` from `x[xo..]`, `dy` from `dy[dyo..]`, the
/// result written into a copy of `out` at `out[oo..]`; returns that copy. The
/// in-place calls read their input from `out` (the forward's x, the backward's dy).
pub struct Job<'a, T> {
    pub call: Call,
    pub approx: Approximation,
    pub x: &'a [T],
    pub xo: usize,
    pub dy: &'a [T],
    pub dyo: usize,
    pub out: &'a [T],
    pub oo: usize,
    pub n: usize,
}

pub trait Runner {
    fn name(&self) -> String;
    fn run<T: GeluFloat>(&self, job: &Job<'_, T>) -> Vec<T>;
}

/// Every bit pattern of a 16-bit type.
pub fn all_values<T: GeluFloat>() -> Vec<T> {
    (0..=u16::MAX as u32).map(T::from_bits_u32).collect()
}

/// Random gradients: magnitude log-uniform in [2^-8, 2^8], random sign.
pub fn random_dy<T: GeluFloat>(rng: &mut Rng, n: usize) -> Vec<T> {
    log_uniform::<T>(rng, n, -8.0, 8.0)
}

/// Magnitudes log-uniform in [2^lo, 2^hi], random sign.
pub fn log_uniform<T: GeluFloat>(rng: &mut Rng, n: usize, lo: f64, hi: f64) -> Vec<T> {
    (0..n)
        .map(|_| {
            let m = 2f64.powf(lo + rng.unit() * (hi - lo));
            T::from_f64_rounded(m * rng.sign())
        })
        .collect()
}

pub fn forward<T: GeluFloat, R: Runner>(r: &R, approx: Approximation, x: &[T]) -> Vec<T> {
    let out = vec![poison::<T>(); x.len()];
    r.run(&Job {
        call: Call::Forward,
        approx,
        x,
        xo: 0,
        dy: &[],
        dyo: 0,
        out: &out,
        oo: 0,
        n: x.len(),
    })
}

pub fn backward<T: GeluFloat, R: Runner>(
    r: &R,
    approx: Approximation,
    x: &[T],
    dy: &[T],
) -> Vec<T> {
    let out = vec![poison::<T>(); x.len()];
    r.run(&Job {
        call: Call::Backward,
        approx,
        x,
        xo: 0,
        dy,
        dyo: 0,
        out: &out,
        oo: 0,
        n: x.len(),
    })
}

/// Error statistics of forward (dy = None) or backward results against the reference.
pub fn stats<T: GeluFloat>(
    approx: Approximation,
    x: &[T],
    dy: Option<&[T]>,
    got: &[T],
    strict: bool,
) -> ErrorStats {
    let mut s = ErrorStats::new(T::DTYPE);
    for i in 0..x.len() {
        assert!(
            !is_poison(got[i]),
            "{approx} {:?}: element {i} was not written",
            T::DTYPE
        );
        let xi = x[i].to_f64();
        let (exact, scale) = match dy {
            None => {
                let e = reference::forward(approx, xi);
                (e, e)
            }
            Some(dy) => {
                let d = dy[i].to_f64();
                let e = reference::backward(approx, xi, d);
                (
                    e,
                    if strict {
                        e
                    } else {
                        judging_scale(approx, xi, d)
                    },
                )
            }
        };
        s.record(xi, got[i].to_f64(), exact, scale);
    }
    s
}

pub fn report(label: &str, s: &ErrorStats) {
    assert_eq!(
        s.wrong_kind, 0,
        "{label}: {} results NaN or infinite where they should not be (or the reverse)",
        s.wrong_kind
    );
    println!(
        "{label:40} max {:6.3} ulp at x = {:<14e} not correctly rounded {:>8} of {:>9} ({:.3}%), undecidable {}",
        s.max_ulp,
        s.worst_input,
        s.not_correctly_rounded,
        s.count,
        100.0 * s.not_correctly_rounded as f64 / s.count.max(1) as f64,
        s.undecidable
    );
}

/// The GPU's error in 2^x and 1/x (the special function unit), relative, as the
/// host path models it (`HostRunner::sfu_error`).
pub const SFU_ERROR: f32 = 2.3841858e-7; // 2^-22

/// The share of fp16/bf16 results not correctly rounded that the tests accept: 0.1%
/// (measured at most 0.074% on the host with the GPU's approximate units modelled,
/// 0.056% on an H200). The stated bound alone lets a result round the wrong way
/// where the exact value lies within an eighth of an ulp of a midpoint; this keeps
/// that rare.
pub const HALF_NOT_CORRECTLY_ROUNDED_SHARE: f64 = 0.001;

fn assert_nearly_all_correctly_rounded(label: &str, s: &ErrorStats) {
    assert_share_correctly_rounded(label, s, HALF_NOT_CORRECTLY_ROUNDED_SHARE);
}

/// At most `limit` of the results not correctly rounded.
fn assert_share_correctly_rounded(label: &str, s: &ErrorStats, limit: f64) {
    let share = s.not_correctly_rounded as f64 / s.count.max(1) as f64;
    assert!(
        share <= limit,
        "{label}: {} of {} results not correctly rounded ({:.3}%)",
        s.not_correctly_rounded,
        s.count,
        100.0 * share
    );
}

/// fp16/bf16: every input, forward and backward (dy = 1 and random dy), every
/// approximation, within the stated bound (0.625 ulp) of the exact value, and at
/// most [`HALF_NOT_CORRECTLY_ROUNDED_SHARE`] of the results not correctly rounded.
pub fn check_half_exhaustive<T: GeluFloat, R: Runner>(r: &R, seed: u64) {
    let mut rng = Rng::new(seed);
    let all = all_values::<T>();
    let finite: Vec<T> = all
        .iter()
        .copied()
        .filter(|v| !v.to_f64().is_nan())
        .collect();
    let ones = vec![T::from_f64_rounded(1.0); finite.len()];
    let dys = random_dy::<T>(&mut rng, finite.len());
    for approx in Approximation::ALL {
        let y_all = forward(r, approx, &all);
        for (x, y) in all.iter().zip(&y_all) {
            if x.to_f64().is_nan() {
                assert!(
                    y.to_f64().is_nan() && !is_poison(*y),
                    "{approx}: NaN input must give NaN"
                );
            }
        }
        let y = forward(r, approx, &finite);
        let s = stats(approx, &finite, None, &y, true);
        let label = format!("{} {approx} {:?} forward", r.name(), T::DTYPE);
        report(&label, &s);
        assert_nearly_all_correctly_rounded(&label, &s);
        let nan_x: Vec<T> = all
            .iter()
            .copied()
            .filter(|v| v.to_f64().is_nan())
            .collect();
        let nan_dx = backward(r, approx, &nan_x, &ones[..nan_x.len()]);
        assert!(
            nan_dx.iter().all(|v| v.to_f64().is_nan() && !is_poison(*v)),
            "{approx}: NaN input must give NaN (backward)"
        );
        let bound = |backward| stated_bound(T::DTYPE, approx, backward);
        assert!(
            s.max_ulp <= bound(false),
            "{approx} {:?} forward: {} ulp at {}",
            T::DTYPE,
            s.max_ulp,
            s.worst_input
        );
        for (label, dy) in [("dy = 1", &ones), ("random dy", &dys)] {
            let dx = backward(r, approx, &finite, dy);
            let s = stats(approx, &finite, Some(dy), &dx, true);
            let label = format!("{} {approx} {:?} backward, {label}", r.name(), T::DTYPE);
            report(&label, &s);
            assert_nearly_all_correctly_rounded(&label, &s);
            assert!(
                s.max_ulp <= bound(true),
                "{approx} {:?} backward ({label}): {} ulp at {}",
                T::DTYPE,
                s.max_ulp,
                s.worst_input
            );
        }
    }
}

/// fp32: random bit patterns over the whole range, uniform draws in [-20, 20], and
/// a dense sweep of [-15, 0]; forward and backward (dy = 1 and random dy).
pub fn check_f32_sample<R: Runner>(r: &R, seed: u64, random: usize, sweep_step: u32) {
    let mut rng = Rng::new(seed);
    let mut x: Vec<f32> = Vec::with_capacity(random + (0x4170_0000 / sweep_step as usize) + 1);
    while x.len() < random / 2 {
        let v = f32::from_bits(rng.next_u64() as u32);
        if !v.is_nan() {
            x.push(v);
        }
    }
    while x.len() < random {
        x.push((rng.unit() * 40.0 - 20.0) as f32);
    }
    // Every sweep_step-th float from -0 down to -15 (0x41700000 is 15.0).
    x.extend(
        (0..=0x4170_0000u32)
            .step_by(sweep_step as usize)
            .map(|b| -f32::from_bits(b)),
    );
    let ones = vec![1.0f32; x.len()];
    let dys = random_dy::<f32>(&mut rng, x.len());
    for approx in Approximation::ALL {
        let y = forward(r, approx, &x);
        let s = stats(approx, &x, None, &y, false);
        report(&format!("{} {approx} forward f32", r.name()), &s);
        assert!(
            s.max_ulp <= stated_bound(DType::F32, approx, false),
            "{approx} f32 forward: {} ulp at {:e}",
            s.max_ulp,
            s.worst_input
        );
        for (label, dy) in [("dy = 1", &ones), ("random dy", &dys)] {
            let dx = backward(r, approx, &x, dy);
            let s = stats(approx, &x, Some(dy), &dx, false);
            report(&format!("{} {approx} backward f32, {label}", r.name()), &s);
            assert!(
                s.max_ulp <= stated_bound(DType::F32, approx, true),
                "{approx} f32 backward ({label}): {} ulp at {:e}",
                s.max_ulp,
                s.worst_input
            );
        }
    }
}

/// fp32 backward with adversarial dy. A result's error in ulps depends on where it
/// sits in its binade: the same relative error reads as twice as many ulps just
/// under a power of two as just above one. So for floats x of every binade from
/// 2^-12 to 2^7, both signs (the range up to the saturation), dy in [1, 2) is
/// chosen to put |dy GELU'(x)| at several points of its binade, up to just under
/// its top: every 64th float, and in [0.5, 2] and [-2, -0.5], where the errors
/// peak, every 8th, from a random first one. (Every float of those four binades,
/// searched once: at most 2.64 ulp, tanh at x = 0.7756; every 16th of the others:
/// at most 2.44.) The stated backward bound holds for any |dy| <= 2^24, so for
/// these too.
pub fn check_f32_backward_adversarial_dy<R: Runner>(r: &R, seed: u64) {
    // Where in its binade |dy GELU'(x)| lands, as a multiple of the binade's start.
    const PLACES: [f64; 8] = [1.999, 1.99, 1.95, 1.9, 1.75, 1.5, 1.25, 1.01];
    let mut rng = Rng::new(seed);
    let windows = (-12..=6).flat_map(|e| {
        let stride = if e == -1 || e == 0 { 8 } else { 64 };
        let (lo, hi) = (2f32.powi(e), 2f32.powi(e + 1));
        [(lo, hi, stride), (-lo, -hi, stride)]
    });
    for approx in Approximation::ALL {
        let mut worst = ErrorStats::new(DType::F32);
        for (lo, hi, stride) in windows.clone() {
            // Bit patterns of one sign are ordered like the magnitudes.
            let (a, b) = (lo.to_bits(), hi.to_bits());
            let first = a + (rng.next_u64() % stride as u64) as u32;
            let floats: Vec<f32> = (first..b).step_by(stride).map(f32::from_bits).collect();
            let mut x = Vec::with_capacity(floats.len() * PLACES.len());
            let mut dy = Vec::with_capacity(x.capacity());
            for place in PLACES {
                for &v in &floats {
                    let g = reference::derivative(approx, v as f64).abs();
                    let ratio = place / g;
                    x.push(v);
                    dy.push(if ratio.is_finite() && g > 0.0 {
                        (ratio / 2f64.powf(ratio.log2().floor())) as f32
                    } else {
                        1.0
                    });
                }
            }
            let dx = backward(r, approx, &x, &dy);
            worst.merge(&stats(approx, &x, Some(&dy), &dx, false));
        }
        report(
            &format!("{} {approx} backward f32, adversarial dy", r.name()),
            &worst,
        );
        assert!(
            worst.max_ulp <= stated_bound(DType::F32, approx, true),
            "{approx} f32 backward, adversarial dy: {} ulp at {:e}",
            worst.max_ulp,
            worst.worst_input
        );
    }
}

/// The backward with |dy| from 2^24 to the largest finite value (both signs; bf16
/// and fp32, whose range holds them), at x drawn over the range where the kernels
/// do not saturate, near its ends, and beyond: each result checked with
/// `check_result` (the stated bound short of the saturation; dy or a zero beyond).
pub fn check_backward_huge_dy<T: GeluFloat, R: Runner>(r: &R, seed: u64, n: usize) {
    let mut rng = Rng::new(seed);
    for approx in Approximation::ALL {
        let sat = gelu_cuda::accuracy::saturation(approx);
        let x: Vec<T> = (0..n)
            .map(|i| {
                let v = match i % 4 {
                    0 | 1 => (rng.unit() * 2.0 - 1.0) * sat,
                    2 => (sat - rng.unit()) * rng.sign(),
                    _ => (sat + rng.unit() * 4.0) * rng.sign(),
                };
                T::from_f64_rounded(v)
            })
            .collect();
        let dy = log_uniform::<T>(&mut rng, n, 24.0, T::DTYPE.max_finite().log2());
        let dx = backward(r, approx, &x, &dy);
        for i in 0..n {
            assert!(!is_poison(dx[i]), "{approx}: element {i} not written");
            if let Err(e) = gelu_cuda::accuracy::check_result(
                T::DTYPE,
                approx,
                x[i].to_f64(),
                Some(dy[i].to_f64()),
                dx[i].to_f64(),
            ) {
                panic!("{} {approx}, dy = {:e}: {e}", r.name(), dy[i].to_f64());
            }
        }
    }
}

/// The bit pattern of element `i` of a large-tensor test: a hash of `i`, so that
/// no period divides 2^31 or 2^32 and an index cut to 31 or 32 bits reads another
/// pattern (with probability 1 - 2^-16 per element).
pub fn scrambled_bits(i: usize) -> u16 {
    let h = (i as u64 ^ 0x5851_f42d_4c95_7f2d).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    ((h ^ h >> 29) >> 48) as u16
}

/// The special values (README, Accuracy), for every approximation: forward values
/// exactly (sign of zero included), and the gradient with dy = 1.
pub fn check_special_values<T: GeluFloat, R: Runner>(r: &R) {
    let max = T::DTYPE.max_finite();
    let min_sub = reference::ulp_of(T::DTYPE, 0.0);
    // (x, forward, gradient); None: either sign of zero.
    let table: [(f64, f64, Option<f64>); 9] = [
        (0.0, 0.0, Some(0.5)),
        (-0.0, -0.0, Some(0.5)),
        (f64::INFINITY, f64::INFINITY, Some(1.0)),
        (f64::NEG_INFINITY, -0.0, None),
        (f64::NAN, f64::NAN, Some(f64::NAN)),
        (max, max, Some(1.0)),
        (-max, -0.0, None),
        (min_sub, min_sub, Some(0.5)),
        (-min_sub, -0.0, Some(0.5)),
    ];
    let x: Vec<T> = table.iter().map(|t| T::from_f64_rounded(t.0)).collect();
    let ones = vec![T::from_f64_rounded(1.0); x.len()];
    for approx in Approximation::ALL {
        let y = forward(r, approx, &x);
        let g = backward(r, approx, &x, &ones);
        for (i, &(xi, fwd, grad)) in table.iter().enumerate() {
            let (yv, gv) = (y[i].to_f64(), g[i].to_f64());
            let what = format!("{approx} {:?} at x = {xi:e}", T::DTYPE);
            // The poison is a NaN too: a NaN row must not keep it.
            if fwd.is_nan() {
                assert!(
                    yv.is_nan() && !is_poison(y[i]),
                    "{what}: forward {yv}, expected a written NaN"
                );
            } else {
                assert!(
                    yv == fwd && yv.is_sign_negative() == fwd.is_sign_negative(),
                    "{what}: forward {yv:e}, expected {fwd:e}"
                );
            }
            match grad {
                None => assert!(gv == 0.0, "{what}: gradient {gv:e}, expected a zero"),
                Some(e) if e.is_nan() => assert!(
                    gv.is_nan() && !is_poison(g[i]),
                    "{what}: gradient {gv}, expected a written NaN"
                ),
                Some(e) => assert!(gv == e, "{what}: gradient {gv:e}, expected {e:e}"),
            }
        }
    }
}

/// Every input whose x/2 lies exactly halfway between two results: the odd bit
/// patterns below twice the smallest normal, both signs. GELU(x) = x/2 + c x^2 +
/// O(x^4) with c > 0 in every approximation, so the correctly rounded result is the
/// neighbour above x/2 (towards +inf; -0 for x = -min_sub), though f64 cannot hold
/// the x^2 term, and the exhaustive tests count these inputs as undecidable. Each
/// result must be that neighbour, the sign of a zero included.
pub fn check_subnormal_halfway_ties<T: GeluFloat, R: Runner>(r: &R) {
    let min_sub = reference::ulp_of(T::DTYPE, 0.0);
    let halfway = |b: &u32| {
        let h = T::from_bits_u32(*b).to_f64() / 2.0;
        T::from_f64_rounded(h).to_f64() != h
    };
    let positive: Vec<u32> = (1u32..).step_by(2).take_while(halfway).collect();
    let sign = T::from_f64_rounded(-0.0).to_bits_u32();
    let x: Vec<T> = positive
        .iter()
        .flat_map(|&b| [b, b | sign])
        .map(T::from_bits_u32)
        .collect();
    for approx in Approximation::ALL {
        let y = forward(r, approx, &x);
        let wrong: Vec<String> = x
            .iter()
            .zip(&y)
            .filter_map(|(&xi, &yi)| {
                let want = T::from_f64_rounded(xi.to_f64() / 2.0 + min_sub / 1024.0);
                (yi.to_bits_u32() != want.to_bits_u32()).then(|| {
                    format!(
                        "x = {:e}: {:e}, expected {:e}",
                        xi.to_f64(),
                        yi.to_f64(),
                        want.to_f64()
                    )
                })
            })
            .collect();
        assert!(
            wrong.is_empty(),
            "{approx} {:?}: {} of {} halfway ties rounded the wrong way, e.g. {:?}",
            T::DTYPE,
            wrong.len(),
            x.len(),
            &wrong[..wrong.len().min(3)]
        );
    }
    eprintln!(
        "{:?}: {} halfway ties at the subnormals, each approximation",
        T::DTYPE,
        x.len()
    );
}

/// Every length from 0 to 300: each head, body and tail split of both vector widths.
pub fn every_length() -> Vec<usize> {
    (0..=300).collect()
}

/// Lengths around the vector widths (4 and 8 elements) and the two-vector unroll:
/// the splits of [`every_length`] in a few launches, for slow runs (the sanitizers).
pub const EDGE_LENGTHS: [usize; 19] = [
    0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 257,
];

/// Each of `lengths` at every start offset 0..=8 (x, dy and the output each at its
/// own offset: equal offsets take the vector path with its scalar head and tail,
/// unequal ones the all-scalar path), outputs poisoned, every call form and
/// approximation. Each element must equal the all-scalar path's result for its
/// inputs, bit for bit, and nothing outside the range may change.
pub fn check_lengths_and_offsets<T: GeluFloat, R: Runner>(r: &R, seed: u64, lengths: &[usize]) {
    let mut rng = Rng::new(seed);
    // Room for start offsets up to 16 elements, and the reference's shifted output.
    let cap = lengths.iter().max().map_or(0, |m| m + 17);
    let draw = |rng: &mut Rng| T::from_f64_rounded(rng.unit() * 12.0 - 8.0);
    for (call, approx) in Call::ALL
        .into_iter()
        .flat_map(|c| Approximation::ALL.map(|a| (c, a)))
    {
        let x: Vec<T> = (0..cap).map(|_| draw(&mut rng)).collect();
        let dy: Vec<T> = (0..cap).map(|_| draw(&mut rng)).collect();
        // expected(d)[j]: the result for x[j] (and dy[j + d]), from a call whose
        // output sits one element off its inputs, which forces the scalar path.
        let base = if call.is_backward() {
            Call::Backward
        } else {
            Call::Forward
        };
        let expected = |d: usize| -> Vec<T> {
            let n = cap - d - 1;
            let out = vec![poison::<T>(); cap];
            let got = r.run(&Job {
                call: base,
                approx,
                x: &x,
                xo: 0,
                dy: &dy,
                dyo: d,
                out: &out,
                oo: 1,
                n,
            });
            assert!(
                got[1..=n].iter().all(|v| !is_poison(*v)),
                "{} {approx}: the scalar path left an element unwritten",
                r.name()
            );
            got[1..=n].to_vec()
        };
        let expected: Vec<Vec<T>> = (0..=8).map(expected).collect();
        for &n in lengths {
            for off in 0..=8usize {
                // Buffers start 64-byte aligned, so equal offsets keep the operands
                // aligned alike; dy one 16-byte vector further on shares their
                // offset within 16 bytes but not within 32 (wide vectors fall back
                // to 16-byte ones); other mixes take the scalar path.
                let (xo, dyo, oo) = match rng.next_u64() % 4 {
                    0 => (
                        off,
                        off + (rng.next_u64() % (9 - off as u64)) as usize,
                        (off + 3) % 9,
                    ),
                    1 => (off, off + 16 / std::mem::size_of::<T>(), off),
                    _ => (off, off, off),
                };
                let mut out = vec![poison::<T>(); cap];
                match call {
                    Call::ForwardInplace => out[oo..oo + n].copy_from_slice(&x[xo..xo + n]),
                    Call::BackwardInplace => out[oo..oo + n].copy_from_slice(&dy[dyo..dyo + n]),
                    _ => {}
                }
                let got = r.run(&Job {
                    call,
                    approx,
                    x: &x,
                    xo,
                    dy: &dy,
                    dyo,
                    out: &out,
                    oo,
                    n,
                });
                let want = &expected[if call.is_backward() { dyo - xo } else { 0 }];
                for (i, v) in got.iter().enumerate() {
                    let what = format!(
                        "{} {call:?} {approx} {:?} n={n} offsets x {xo} dy {dyo} out {oo}: element {i}",
                        r.name(),
                        T::DTYPE
                    );
                    if i < oo || i >= oo + n {
                        assert!(is_poison(*v), "{what} written outside the range");
                    } else {
                        assert!(!is_poison(*v), "{what} not written");
                        let w = want[xo + i - oo];
                        assert!(
                            v.to_bits_u32() == w.to_bits_u32(),
                            "{what} is {:e}, the scalar path gives {:e}",
                            v.to_f64(),
                            w.to_f64()
                        );
                    }
                }
            }
        }
    }
}

/// Input ranges (fp32 bit patterns) for comparing fp32 surveys: 2^20 inputs each from
/// [0.5, 0.5625), [-0.5625, -0.5), [-2.25, -2) and [-0.8125, -0.75] (the
/// derivative's root, judged against its summands, and the exact forward's switch
/// from series to tail); 2^16 around -13 (results near the subnormals); the largest
/// negative values, -inf and the first NaNs.
pub const SURVEY_RANGES: [std::ops::Range<u64>; 6] = [
    0x3f00_0000..0x3f10_0000,
    0xbf00_0000..0xbf10_0000,
    0xc000_0000..0xc010_0000,
    0xbf40_0000..0xbf50_0001,
    0xc150_0000..0xc151_0000,
    0xff7f_fff0..0xff80_0010,
];

/// Two fp32 surveys of the same inputs agree: the same counts, and where the
/// results are our kernels' (not `usual`), the same maximum error and almost the same
/// count of results not correctly rounded (the references, each within 2^-40
/// relative, may judge a result at a rounding boundary differently). The usual
/// formula goes through the platform's erff/expf/tanhf on a GPU and the libm crate's
/// here: for it only the kinds must agree.
pub fn survey_agrees(what: &str, got: &ErrorStats, want: &ErrorStats, usual: bool) {
    assert_eq!(got.count, want.count, "{what}");
    assert_eq!(got.wrong_kind, want.wrong_kind, "{what}");
    if usual {
        return;
    }
    assert!(
        got.not_correctly_rounded
            .abs_diff(want.not_correctly_rounded)
            <= 2,
        "{what}"
    );
    assert!(
        (got.max_ulp - want.max_ulp).abs() <= 1e-6 * want.max_ulp.max(1.0),
        "{what}: {} vs {}",
        got.max_ulp,
        want.max_ulp
    );
}
