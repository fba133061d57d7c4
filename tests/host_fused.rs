//! The fused ops on the host path: bias + GELU, dGELU + dbias, GeGLU; every
//! (op, approximation, dtype), odd shapes and offsets, typed shape errors.

mod common;

use common::fused::*;
use common::host::Host;
use common::{is_poison, poison, seed, Aligned, Rng};
use gelu_cuda::host::HostRunner;
use gelu_cuda::{Approximation, GeluError, GeluFloat};
use half::{bf16, f16};

fn other() -> Host {
    Host(
        HostRunner::new().grid_threads(77).workers(2),
        "host, 77 threads",
    )
}

/// The engine of sm_100 and newer: 32-byte vectors where the rows allow.
fn wide() -> Host {
    Host(
        HostRunner::new().wide_vectors(true),
        "host, 32-byte vectors",
    )
}

/// The engine of every architecture: both vector widths.
fn both_engines() -> [Host; 2] {
    [Host::default(), wide()]
}

#[test]
fn bias_forward_f32() {
    for r in both_engines() {
        check_bias_forward::<f32, _>(&r, seed("bias_forward_f32"));
    }
}

#[test]
fn bias_forward_half() {
    for r in both_engines() {
        check_bias_forward::<f16, _>(&r, seed("bias_forward_f16"));
        check_bias_forward::<bf16, _>(&r, seed("bias_forward_bf16"));
    }
}

#[test]
fn bias_backward_f32() {
    check_bias_backward::<f32, _, _>(&Host::default(), &other(), seed("bias_backward_f32"));
    check_bias_backward::<f32, _, _>(&wide(), &other(), seed("bias_backward_f32"));
}

#[test]
fn bias_backward_half() {
    check_bias_backward::<f16, _, _>(&Host::default(), &other(), seed("bias_backward_f16"));
    check_bias_backward::<bf16, _, _>(&wide(), &other(), seed("bias_backward_bf16"));
}

#[test]
fn geglu_f32() {
    for r in both_engines() {
        check_geglu::<f32, _>(&r, seed("geglu_f32"));
    }
}

#[test]
fn geglu_half() {
    for r in both_engines() {
        check_geglu::<f16, _>(&r, seed("geglu_f16"));
        check_geglu::<bf16, _>(&r, seed("geglu_bf16"));
    }
}

#[test]
fn shape_errors_are_typed() {
    let r = HostRunner::new();
    let a = Approximation::Exact;
    let x = vec![1.0f32; 12];
    let mut y = vec![0.0f32; 12];
    let err = r.bias_gelu_forward(a, &x, &[0.0; 5], &mut y).unwrap_err();
    assert!(
        matches!(
            err,
            GeluError::NotAMatrix {
                operand: "x",
                len: 12,
                cols: 5
            }
        ),
        "{err}"
    );
    let err = r.bias_gelu_forward::<f32>(a, &x, &[], &mut y).unwrap_err();
    assert!(
        matches!(err, GeluError::NotAMatrix { cols: 0, .. }),
        "{err}"
    );
    let err = r
        .bias_gelu_forward(a, &x, &[0.0; 4], &mut y[..8])
        .unwrap_err();
    assert!(
        matches!(err, GeluError::LengthMismatch { operand: "y", .. }),
        "{err}"
    );
    let err = r
        .bias_gelu_forward_aux(a, &x, &[0.0; 4], &mut y, &mut [0.0; 3])
        .unwrap_err();
    assert!(
        matches!(err, GeluError::LengthMismatch { operand: "pre", .. }),
        "{err}"
    );
    let mut dx = vec![0.0f32; 12];
    let err = r
        .bias_gelu_backward(a, &x, &x[..8], &mut dx, &mut [0.0; 4])
        .unwrap_err();
    assert!(
        matches!(err, GeluError::LengthMismatch { operand: "dy", .. }),
        "{err}"
    );
    let err = r.geglu_forward(a, &x, &mut y[..6], 3).unwrap_err();
    assert!(
        matches!(err, GeluError::OddLastDimension { cols: 3 }),
        "{err}"
    );
    let err = r.geglu_forward(a, &x, &mut y[..5], 4).unwrap_err();
    assert!(
        matches!(err, GeluError::LengthMismatch { operand: "out", .. }),
        "{err}"
    );
    let err = r.geglu_forward_split(a, &x, &x[..11], &mut y).unwrap_err();
    assert!(
        matches!(err, GeluError::LengthMismatch { operand: "g", .. }),
        "{err}"
    );
    let err = r.geglu_backward(a, &x, &x[..6], &mut dx, 5).unwrap_err();
    assert!(
        matches!(err, GeluError::OddLastDimension { cols: 5 }),
        "{err}"
    );
    // Zero rows: nothing to do, and the bias gradient of no rows is zero.
    let mut db = [7.0f32; 4];
    r.bias_gelu_backward::<f32>(a, &[], &[], &mut [], &mut db)
        .unwrap();
    assert_eq!(db, [0.0; 4]);
}

/// The bias gradient's summation order as the docs state it, replayed in Rust on the
/// fp32 dx (which is the kernel's unrounded value): chunk sums in row order, the
/// chunk sums by interleaved groups, the group sums in order. Bit for bit, for
/// shapes with one group and with several.
#[test]
fn bias_gradient_follows_the_stated_order() {
    let mut rng = common::Rng::new(seed("bias_gradient_follows_the_stated_order"));
    for (rows, cols) in [(19 * 16, 8), (4096, 64), (1000, 24), (3, 5)] {
        let pre: Vec<f32> = (0..rows * cols)
            .map(|_| (rng.unit() * 14.0 - 9.0) as f32)
            .collect();
        let dy: Vec<f32> = (0..rows * cols)
            .map(|_| (rng.unit() * 4.0 - 2.0) as f32)
            .collect();
        let (mut dx, mut db) = (vec![0.0f32; rows * cols], vec![0.0f32; cols]);
        HostRunner::new()
            .bias_gelu_backward(Approximation::Exact, &pre, &dy, &mut dx, &mut db)
            .unwrap();
        let chunk_rows = gelu_cuda::bias_gelu_backward_chunk_rows(rows, cols);
        let chunks = rows.div_ceil(chunk_rows);
        let groups = gelu_cuda::bias_gelu_backward_groups(rows, cols);
        assert!(
            chunks % groups == 0 && groups * groups <= chunks,
            "{groups} groups of {chunks} chunks"
        );
        for c in 0..cols {
            let chunk_sum = |k: usize| {
                (k * chunk_rows..rows.min((k + 1) * chunk_rows))
                    .fold(0.0f32, |s, r| s + dx[r * cols + c])
            };
            let group_sum = |g: usize| {
                (g..chunks)
                    .step_by(groups)
                    .fold(0.0f32, |s, k| s + chunk_sum(k))
            };
            let want = (0..groups).fold(0.0f32, |s, g| s + group_sum(g));
            assert_eq!(
                db[c].to_bits(),
                want.to_bits(),
                "{rows}x{cols} ({chunks} chunks, {groups} groups) column {c}: {} vs {want}",
                db[c]
            );
        }
    }
}

/// An operand `off` elements past a 64-byte boundary (as on a device), with poison
/// before and after it, so that a write outside it shows.
struct Placed<T> {
    buf: Aligned<T>,
    off: usize,
    len: usize,
}

const GUARD: usize = 9;

impl<T: GeluFloat> Placed<T> {
    fn input(v: &[T], off: usize) -> Self {
        let mut buf = vec![poison::<T>(); off];
        buf.extend_from_slice(v);
        buf.resize(off + v.len() + GUARD, poison::<T>());
        Self {
            buf: Aligned::new(&buf),
            off,
            len: v.len(),
        }
    }

    fn output(len: usize, off: usize) -> Self {
        Self {
            buf: Aligned::new(&vec![poison::<T>(); off + len + GUARD]),
            off,
            len,
        }
    }

    fn get(&self) -> &[T] {
        &self.buf[self.off..self.off + self.len]
    }

    fn get_mut(&mut self) -> &mut [T] {
        &mut self.buf[self.off..self.off + self.len]
    }

    /// The output's bits; every element written, nothing around it.
    fn written(&self, what: &str) -> Vec<u32> {
        let (before, rest) = self.buf.split_at(self.off);
        let (out, after) = rest.split_at(self.len);
        assert!(
            before.iter().chain(after).all(|v| is_poison(*v)),
            "{what}: wrote outside the output"
        );
        assert!(
            out.iter().all(|v| !is_poison(*v)),
            "{what}: an output element was not written"
        );
        out.iter().map(|v| v.to_bits_u32()).collect()
    }
}

/// Every fused pointwise op on `(rows, cols)` with each operand at its own offset:
/// the outputs' bits, in a fixed order.
fn fused_outputs<T: GeluFloat>(
    r: &HostRunner,
    approx: Approximation,
    (rows, cols): (usize, usize),
    inputs: &[Vec<T>; 3],
    off: &[usize],
) -> Vec<Vec<u32>> {
    let n = rows * cols;
    let (x, b, d) = (&inputs[0], &inputs[1], &inputs[2]);
    let mut out = Vec::new();
    // bias + GELU with the pre-activation: x, b -> y, pre.
    let (xp, bp) = (Placed::input(x, off[0]), Placed::input(&b[..cols], off[1]));
    let (mut y, mut pre) = (Placed::output(n, off[2]), Placed::output(n, off[3]));
    r.bias_gelu_forward_aux(approx, xp.get(), bp.get(), y.get_mut(), pre.get_mut())
        .unwrap();
    out.push(y.written("bias forward y"));
    out.push(pre.written("bias forward pre"));
    if cols % 2 == 1 {
        return out;
    }
    // GeGLU from one buffer: x (a | g) -> out; backward: x, dout -> dx (da | dg).
    let h = cols / 2;
    let mut o = Placed::output(rows * h, off[1]);
    r.geglu_forward(approx, xp.get(), o.get_mut(), cols)
        .unwrap();
    out.push(o.written("geglu forward"));
    let dp = Placed::input(&d[..rows * h], off[2]);
    let mut dx = Placed::output(n, off[3]);
    r.geglu_backward(approx, xp.get(), dp.get(), dx.get_mut(), cols)
        .unwrap();
    out.push(dx.written("geglu backward"));
    // GeGLU from separate buffers, the first and second half of x.
    let (a, g) = (
        Placed::input(&x[..n / 2], off[4]),
        Placed::input(&x[n / 2..], off[5]),
    );
    let mut o = Placed::output(n / 2, off[6]);
    r.geglu_forward_split(approx, a.get(), g.get(), o.get_mut())
        .unwrap();
    out.push(o.written("geglu forward, split"));
    let dp = Placed::input(&d[..n / 2], off[7]);
    let (mut da, mut dg) = (Placed::output(n / 2, off[0]), Placed::output(n / 2, off[8]));
    r.geglu_backward_split(
        approx,
        a.get(),
        g.get(),
        dp.get(),
        da.get_mut(),
        dg.get_mut(),
    )
    .unwrap();
    out.push(da.written("geglu backward, split da"));
    out.push(dg.written("geglu backward, split dg"));
    out
}

/// Each operand at its own offset, on any grid and either vector width: the fused
/// ops give the bits they give with every operand aligned. Whatever mix of row
/// kernel, flat kernel, vectors and single elements the offsets select (the accuracy
/// tests above judge those bits against the reference).
fn walks_agree<T: GeluFloat>(seed: u64) {
    let mut rng = Rng::new(seed);
    let shapes = [1, 2, 5, 17].into_iter().flat_map(|rows| {
        [1, 3, 6, 8, 13, 16, 22, 40, 100, 258]
            .into_iter()
            .map(move |cols| (rows, cols))
    });
    for (case, (rows, cols)) in shapes.enumerate() {
        let approx = Approximation::ALL[case % 3];
        let n = rows * cols;
        let draw = |rng: &mut Rng, lo: f64| -> Vec<T> {
            (0..n)
                .map(|_| T::from_f64_rounded(lo + 8.0 * rng.unit()))
                .collect()
        };
        let inputs = [
            draw(&mut rng, -6.0),
            draw(&mut rng, -4.0),
            draw(&mut rng, -4.0),
        ];
        let aligned = fused_outputs(&HostRunner::new(), approx, (rows, cols), &inputs, &[0; 9]);
        for _ in 0..4 {
            let off: Vec<usize> = (0..9).map(|_| (rng.next_u64() % 9) as usize).collect();
            let threads = 1 + rng.next_u64() % 700;
            let wide = rng.next_u64() % 2 == 1;
            let r = HostRunner::new().grid_threads(threads).wide_vectors(wide);
            let got = fused_outputs(&r, approx, (rows, cols), &inputs, &off);
            assert!(
                got == aligned,
                "{:?} {approx} {rows}x{cols}, offsets {off:?}, {threads} threads, wide {wide}: \
                 results differ from the aligned operands'",
                T::DTYPE
            );
        }
    }
}

#[test]
fn fused_results_do_not_depend_on_offsets_grid_or_vector_width() {
    walks_agree::<f32>(seed("walks_f32"));
    walks_agree::<f16>(seed("walks_f16"));
    walks_agree::<bf16>(seed("walks_bf16"));
}
