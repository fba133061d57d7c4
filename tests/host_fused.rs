//! The fused ops on the host path: bias + GELU, dGELU + dbias, GeGLU; every
//! (op, approximation, dtype), odd shapes and offsets, typed shape errors.

mod common;

use common::fused::*;
use common::host::Host;
use common::{is_poison, poison, seed, Rng, SFU_ERROR};
use gelu_cuda::host::HostRunner;
use gelu_cuda::{Approximation, GeluError};
use half::{bf16, f16};

fn other() -> Host {
    Host(
        HostRunner::new().grid_threads(77).workers(2),
        "host, 77 threads",
    )
}

/// [`other`]'s launch with [`sfu_modelled`]'s arithmetic.
fn other_sfu_modelled() -> Host {
    Host(
        other().0.sfu_error(SFU_ERROR),
        "host, 77 threads, SFU error modelled",
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

/// The GPU's approximate 2^x and 1/x (about 2^-22 relative), which the fp16/bf16
/// kernels use: their results, as the GPU tests judge them, with that error too.
fn sfu_modelled() -> Host {
    Host(
        HostRunner::new().sfu_error(SFU_ERROR),
        "host, SFU error modelled",
    )
}

/// The fp16/bf16 kernels' engines and arithmetic: both vector widths, and the GPU's
/// approximate units.
fn half_engines() -> [Host; 3] {
    let [aligned, wide] = both_engines();
    [aligned, wide, sfu_modelled()]
}

#[test]
fn bias_forward_f32() {
    for r in both_engines() {
        check_bias_forward::<f32, _>(&r, seed("bias_forward_f32"));
    }
}

#[test]
fn bias_forward_half() {
    for r in half_engines() {
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
    let (sfu, other_sfu) = (sfu_modelled(), other_sfu_modelled());
    check_bias_backward::<f16, _, _>(&sfu, &other_sfu, seed("bias_backward_f16_sfu"));
    check_bias_backward::<bf16, _, _>(&sfu, &other_sfu, seed("bias_backward_bf16_sfu"));
}

#[test]
fn bias_gradient_of_every_half_input() {
    for r in half_engines() {
        check_bias_gradient_every_input::<f16, _>(&r, seed("bias_gradient_every_f16"));
        check_bias_gradient_every_input::<bf16, _>(&r, seed("bias_gradient_every_bf16"));
    }
}

#[test]
fn geglu_f32() {
    for r in both_engines() {
        check_geglu::<f32, _>(&r, seed("geglu_f32"));
    }
}

#[test]
fn geglu_half() {
    for r in half_engines() {
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
    let err = r
        .bias_gelu_forward(a, &x, &[0.0; 5], &mut y, 5)
        .unwrap_err();
    assert!(
        matches!(
            err,
            GeluError::NotAMatrix {
                operand: "x",
                len: 12,
                cols: 5,
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "`x` has 12 elements, not a whole number of rows of 5"
    );
    let err = r
        .bias_gelu_forward::<f32>(a, &x, &[], &mut y, 0)
        .unwrap_err();
    assert!(
        matches!(err, GeluError::NotAMatrix { cols: 0, .. }),
        "{err}"
    );
    // A bias of another width than the one given, even one that divides x; the
    // backward from the input the same.
    let mut dx = vec![0.0f32; 12];
    for err in [
        r.bias_gelu_forward(a, &x, &[0.0; 3], &mut y, 4)
            .unwrap_err(),
        r.bias_gelu_backward_from_input(a, &x, &x[..3], &x, &mut dx, &mut [0.0; 4], 4)
            .unwrap_err(),
    ] {
        assert!(
            matches!(
                err,
                GeluError::LengthMismatch {
                    operand: "bias",
                    expected: 4,
                    actual: 3
                }
            ),
            "{err}"
        );
    }
    let err = r
        .bias_gelu_forward(a, &x, &[0.0; 4], &mut y[..8], 4)
        .unwrap_err();
    assert!(
        matches!(err, GeluError::LengthMismatch { operand: "y", .. }),
        "{err}"
    );
    let err = r
        .bias_gelu_forward_aux(a, &x, &[0.0; 4], &mut y, &mut [0.0; 3], 4)
        .unwrap_err();
    assert!(
        matches!(err, GeluError::LengthMismatch { operand: "pre", .. }),
        "{err}"
    );
    let err = r
        .bias_gelu_backward(a, &x, &x[..8], &mut dx, &mut [0.0; 4], 4)
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
    let err = r.geglu_forward(a, &x, &mut y[..4], 8).unwrap_err();
    assert_eq!(
        err.to_string(),
        "`x` has 12 elements, not a whole number of rows of 8"
    );
    let err = r
        .bias_gelu_backward(a, &x, &x, &mut dx, &mut [0.0; 5], 5)
        .unwrap_err();
    assert!(
        matches!(err, GeluError::NotAMatrix { operand: "pre", .. }),
        "{err}"
    );
    let err = r
        .bias_gelu_backward(a, &x, &x, &mut dx, &mut [0.0; 6], 4)
        .unwrap_err();
    assert!(
        matches!(
            err,
            GeluError::LengthMismatch {
                operand: "dbias",
                ..
            }
        ),
        "{err}"
    );
    // From the input, the matrix is `x`.
    let err = r
        .bias_gelu_backward_from_input(a, &x, &x[..5], &x, &mut dx, &mut [0.0; 5], 5)
        .unwrap_err();
    assert!(
        matches!(err, GeluError::NotAMatrix { operand: "x", .. }),
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
    // The in-place forms name the operand a caller passed: the one written over
    // keeps its input's name.
    let mut v = x.clone();
    let mut g = vec![1.0f32; 11];
    for (err, operand) in [
        (r.bias_gelu_forward_inplace(a, &mut v, &[0.0; 3], 4), "bias"),
        (
            r.bias_gelu_backward_inplace(a, &x, &mut v[..8], &mut [0.0f32; 4], 4),
            "dy",
        ),
        (
            r.bias_gelu_backward_from_input_inplace(a, &x, &[0.0; 4], &mut v, &mut [0.0f32; 3], 4),
            "dbias",
        ),
        (r.geglu_backward_inplace(a, &mut v, &x[..5], 4), "dout"),
        (r.geglu_backward_split_inplace(a, &mut v, &mut g, &x), "g"),
    ] {
        let err = err.unwrap_err();
        assert!(
            matches!(err, GeluError::LengthMismatch { operand: o, .. } if o == operand),
            "{err}"
        );
    }
    let err = r.geglu_backward_inplace(a, &mut v, &x[..6], 3).unwrap_err();
    assert!(
        matches!(err, GeluError::OddLastDimension { cols: 3 }),
        "{err}"
    );
    assert_eq!(v, x, "a refused call wrote its operand");
    // Zero rows: nothing to do, and the bias gradient of no rows is zero.
    let mut db = [7.0f32; 4];
    r.bias_gelu_backward::<f32, f32>(a, &[], &[], &mut [], &mut db, 4)
        .unwrap();
    assert_eq!(db, [0.0; 4]);
    let mut db = [7.0f32; 4];
    r.bias_gelu_backward_from_input::<f32, f32>(a, &[], &[1.0; 4], &[], &mut [], &mut db, 4)
        .unwrap();
    assert_eq!(db, [0.0; 4]);
    // Zero rows of any even width, the widest too: nothing to do (the plan's own
    // test, in src/fused.rs, checks that no overflowing address is formed).
    for cols in [2, 1 << 40, usize::MAX - 1] {
        r.geglu_forward::<f32>(a, &[], &mut [], cols).unwrap();
        r.geglu_backward::<f32>(a, &[], &[], &mut [], cols).unwrap();
    }
}

/// The bias gradient's summation order as the docs state it
/// (`BiasGradientOrder`), replayed in Rust on the fp32 dx (which is the kernel's
/// unrounded value): partial sums in row order (every row of a chunk, or every
/// second, fourth or eighth where that many rows are read as one), the partial sums
/// by interleaved groups, the group sums in order, then the leftover rows' sum. Bit
/// for bit, for shapes with one group and with several, with and without folded
/// rows, with and without leftover rows.
#[test]
fn bias_gradient_follows_the_stated_order() {
    let mut rng = common::Rng::new(seed("bias_gradient_follows_the_stated_order"));
    let shapes = [
        (19 * 16, 8),
        (4096, 64),
        (1000, 24),
        (3, 5),
        (8, 3),
        (64, 5),
        (2400, 13),
        (1024, 1026),
        (13, 5),
        (30, 6),
        (33, 12),
        (7, 3),
        (1023, 1026),
    ];
    for (rows, cols) in shapes {
        let pre: Vec<f32> = (0..rows * cols)
            .map(|_| (rng.unit() * 14.0 - 9.0) as f32)
            .collect();
        let dy: Vec<f32> = (0..rows * cols)
            .map(|_| (rng.unit() * 4.0 - 2.0) as f32)
            .collect();
        // Poisoned, and every element must be written (the inputs are finite).
        let (mut dx, mut db) = (
            vec![poison::<f32>(); rows * cols],
            vec![poison::<f32>(); cols],
        );
        HostRunner::new()
            .bias_gelu_backward(Approximation::Exact, &pre, &dy, &mut dx, &mut db, cols)
            .unwrap();
        let unwritten = dx.iter().chain(&db).position(|&v| is_poison(v));
        assert_eq!(
            unwritten, None,
            "{rows}x{cols}: dx then db, element left unwritten"
        );
        let o = gelu_cuda::bias_gelu_backward_order(rows, cols);
        let first_rows = rows / o.fold;
        let folded = rows - o.tail_rows;
        // The fewest rows end to end that make whole vectors, where there are that many.
        let fewest = (1..=8).find(|f| cols * f % 8 == 0).unwrap();
        assert!(
            o.fold == if rows >= fewest { fewest } else { 1 }
                && o.tail_rows == rows % o.fold
                && o.partials.is_multiple_of(o.fold)
                && (o.partials / o.fold) * o.chunk_rows >= first_rows
                && (o.partials / o.fold - 1) * o.chunk_rows < first_rows
                && o.partials.is_multiple_of(o.groups)
                && o.groups * o.groups <= o.partials,
            "{rows}x{cols}: {o:?}"
        );
        for c in 0..cols {
            let partial_sum = |p: usize| {
                let (k, f) = (p / o.fold, p % o.fold);
                (k * o.chunk_rows..first_rows.min((k + 1) * o.chunk_rows))
                    .fold(0.0f32, |s, j| s + dx[(j * o.fold + f) * cols + c])
            };
            let group_sum = |g: usize| {
                (g..o.partials)
                    .step_by(o.groups)
                    .fold(0.0f32, |s, p| s + partial_sum(p))
            };
            let want = (0..o.groups).fold(0.0f32, |s, g| s + group_sum(g));
            let want = if o.tail_rows > 0 {
                want + (folded..rows).fold(0.0f32, |s, r| s + dx[r * cols + c])
            } else {
                want
            };
            assert_eq!(
                db[c].to_bits(),
                want.to_bits(),
                "{rows}x{cols} ({o:?}) column {c}: {} vs {want}",
                db[c]
            );
        }
    }
}

/// Each operand at its own offset, on any grid, either vector width and either
/// compilation of the host kernels: the same bits as with every operand aligned.
#[test]
fn fused_results_do_not_depend_on_offsets_grid_or_vector_width() {
    let random_launch = |rng: &mut Rng| {
        HostRunner::new()
            .grid_threads(1 + rng.next_u64() % 700)
            .wide_vectors(rng.next_u64() % 2 == 1)
            .portable(rng.next_u64() % 2 == 1)
    };
    let host = HostRunner::new();
    offsets_agree::<f32, _, _>(&host, random_launch, seed("offsets_f32"));
    offsets_agree::<f16, _, _>(&host, random_launch, seed("offsets_f16"));
    offsets_agree::<bf16, _, _>(&host, random_launch, seed("offsets_bf16"));
}
