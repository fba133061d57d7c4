//! The assertions of the host tests, on the real kernels. Each test prints that it
//! skipped when there is no GPU, and fails then if `GELU_REQUIRE_GPU=1`.

mod common;

use common::device::device;
use common::host::Host;
use common::*;
use gelu_cuda::cudarc::driver::{CudaContext, CudaSlice};
use gelu_cuda::{Approximation, GeluError};
use half::{bf16, f16};

#[test]
fn gpu_f16_every_input_within_the_stated_bound() {
    if let Some(d) = device("gpu_f16_every_input_within_the_stated_bound") {
        check_half_exhaustive::<f16, _>(&d, seed("gpu_f16"));
    }
}

#[test]
fn gpu_bf16_every_input_within_the_stated_bound() {
    if let Some(d) = device("gpu_bf16_every_input_within_the_stated_bound") {
        check_half_exhaustive::<bf16, _>(&d, seed("gpu_bf16"));
    }
}

#[test]
fn gpu_f32_sampled_within_stated_bounds() {
    if let Some(d) = device("gpu_f32_sampled_within_stated_bounds") {
        check_f32_sample(&d, seed("gpu_f32"), 10_000_000, 61);
    }
}

#[test]
fn gpu_f32_backward_within_stated_bound_for_adversarial_dy() {
    if let Some(d) = device("gpu_f32_backward_within_stated_bound_for_adversarial_dy") {
        check_f32_backward_adversarial_dy(&d, seed("gpu_adversarial_dy"));
    }
}

#[test]
fn gpu_backward_with_dy_past_2_to_the_24() {
    if let Some(d) = device("gpu_backward_with_dy_past_2_to_the_24") {
        let s = seed("gpu_backward_with_dy_past_2_to_the_24");
        check_backward_huge_dy::<f32, _>(&d, s, 1 << 20);
        check_backward_huge_dy::<bf16, _>(&d, s ^ 1, 1 << 20);
    }
}

#[test]
fn gpu_special_values() {
    if let Some(d) = device("gpu_special_values") {
        check_special_values::<f32, _>(&d);
        check_special_values::<f16, _>(&d);
        check_special_values::<bf16, _>(&d);
    }
}

#[test]
fn gpu_subnormal_halfway_ties() {
    if let Some(d) = device("gpu_subnormal_halfway_ties") {
        check_subnormal_halfway_ties::<f32, _>(&d);
        check_subnormal_halfway_ties::<f16, _>(&d);
        check_subnormal_halfway_ties::<bf16, _>(&d);
    }
}

#[test]
fn gpu_every_length_and_offset() {
    if let Some(d) = device("gpu_every_length_and_offset") {
        let s = seed("gpu_every_length_and_offset");
        check_lengths_and_offsets::<f32, _>(&d, s, &every_length());
        check_lengths_and_offsets::<f16, _>(&d, s, &every_length());
        check_lengths_and_offsets::<bf16, _>(&d, s, &every_length());
    }
}

/// Every kernel of the flat ops at the lengths that split differently into head,
/// vectors and tail: the short form of the test above, for the sanitizer runs.
#[test]
fn gpu_every_kernel_at_edge_lengths() {
    if let Some(d) = device("gpu_every_kernel_at_edge_lengths") {
        let s = seed("gpu_every_kernel_at_edge_lengths");
        check_lengths_and_offsets::<f32, _>(&d, s, &EDGE_LENGTHS);
        check_lengths_and_offsets::<f16, _>(&d, s, &EDGE_LENGTHS);
        check_lengths_and_offsets::<bf16, _>(&d, s, &EDGE_LENGTHS);
    }
}

/// The fp32 kernels use only IEEE operations: the GPU must reproduce the host path
/// bit for bit. The fp16/bf16 kernels use the GPU's ex2/rcp approximations; their
/// differences from the host path are counted and must stay rare and within 1 ulp.
#[test]
fn gpu_matches_host_path() {
    let Some(d) = device("gpu_matches_host_path") else {
        return;
    };
    let mut rng = Rng::new(seed("gpu_matches_host_path"));
    let host = Host::default();
    // Any bit pattern (subnormals, NaN, infinities, |x| past the clamps), the usual
    // range, every 1021st float of the negative tail [-15, -0], and the special values;
    // dy as the other tests draw it, and every fourth past 2^24 (the scaled path).
    // (Not the poison pattern, a NaN that the forward passes through unchanged.)
    let mut x32: Vec<f32> = (0..1_500_000)
        .map(|_| loop {
            let x = f32::from_bits(rng.next_u64() as u32);
            if !is_poison(x) {
                break x;
            }
        })
        .collect();
    x32.extend((0..1_500_000).map(|_| (rng.unit() * 40.0 - 20.0) as f32));
    x32.extend(
        (0..=0x4170_0000u32)
            .step_by(1021)
            .map(|b| -f32::from_bits(b)),
    );
    for sat in Approximation::ALL.map(gelu_cuda::accuracy::saturation) {
        let sat = sat as f32;
        let up = f32::from_bits(sat.to_bits() + 1);
        let down = f32::from_bits(sat.to_bits() - 1);
        x32.extend([sat, up, down, -sat, -up, -down]);
    }
    x32.extend([
        0.0,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        f32::MAX,
        -f32::MAX,
    ]);
    x32.extend([
        f32::from_bits(1),
        -f32::from_bits(1),
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
    ]);
    let usual = random_dy::<f32>(&mut rng, x32.len());
    let huge = log_uniform::<f32>(&mut rng, x32.len(), 24.0, 127.9);
    let dy32: Vec<f32> = (0..x32.len())
        .map(|i| if i % 4 == 3 { huge[i] } else { usual[i] })
        .collect();
    for approx in Approximation::ALL {
        let pairs = [
            (
                forward(&d, approx, &x32),
                forward(&host, approx, &x32),
                "forward",
            ),
            (
                backward(&d, approx, &x32, &dy32),
                backward(&host, approx, &x32, &dy32),
                "backward",
            ),
        ];
        for (gpu, cpu, what) in pairs {
            let unwritten = gpu.iter().chain(&cpu).filter(|v| is_poison(**v)).count();
            assert_eq!(unwritten, 0, "{approx} f32 {what}: results left unwritten");
            // NaN for NaN: which NaN comes out is the platform's (a GPU's arithmetic
            // gives 0x7fffffff, x86's 0xffc00000 or an operand's payload).
            let differ = (0..x32.len())
                .filter(|&i| {
                    let (a, b) = (gpu[i], cpu[i]);
                    a.to_bits() != b.to_bits() && !(a.is_nan() && b.is_nan())
                })
                .count();
            assert_eq!(
                differ, 0,
                "{approx} f32 {what}: {differ} results differ from the host path"
            );
        }
    }
    half_agreement::<f16>(&d, &host);
    half_agreement::<bf16>(&d, &host);
}

fn half_agreement<T: gelu_cuda::GeluFloat>(d: &common::device::Device, host: &Host) {
    let x = all_values::<T>();
    let ones = vec![T::from_f64_rounded(1.0); x.len()];
    for approx in Approximation::ALL {
        for (gpu, cpu, what) in [
            (forward(d, approx, &x), forward(host, approx, &x), "forward"),
            (
                backward(d, approx, &x, &ones),
                backward(host, approx, &x, &ones),
                "backward",
            ),
        ] {
            let mut differ = 0;
            for (a, b) in gpu.iter().zip(&cpu) {
                if a.to_bits_u32() != b.to_bits_u32()
                    && !(a.to_f64().is_nan() && b.to_f64().is_nan())
                {
                    differ += 1;
                    let (a, b) = (a.to_f64(), b.to_f64());
                    let gap = gelu_cuda::reference::ulp_error(T::DTYPE, a, b);
                    assert!(
                        gap <= 1.0,
                        "{approx} {:?} {what}: gpu {a:e} vs host {b:e}",
                        T::DTYPE
                    );
                }
            }
            println!(
                "{approx} {:?} {what}: {differ} of {} results differ from the host path",
                T::DTYPE,
                x.len()
            );
            // Rare: the functors' stated share of results not correctly rounded is
            // 0.1%, and the GPU's approximate 2^x and 1/x move about that many.
            assert!(
                differ <= x.len() / 400,
                "{approx} {:?} {what}: {differ} differences",
                T::DTYPE
            );
        }
    }
}

/// `err` refuses `operand` as starting between elements of `align` bytes.
fn assert_misaligned(err: &GeluError, operand: &str, align: usize) {
    assert!(
        matches!(err, GeluError::Misaligned { operand: o, align: a, .. } if *o == operand && *a == align),
        "{err}"
    );
}

#[test]
fn gpu_bad_input_is_a_typed_error() {
    let Some(d) = device("gpu_bad_input_is_a_typed_error") else {
        return;
    };
    let s = &d.stream;
    let x = s.clone_htod(&[1.0f32; 16]).unwrap();
    let mut short = s.alloc_zeros::<f32>(15).unwrap();
    let err = gelu_cuda::forward(s, Approximation::Exact, &x, &mut short).unwrap_err();
    assert!(
        matches!(
            err,
            GeluError::LengthMismatch {
                operand: "y",
                expected: 16,
                actual: 15
            }
        ),
        "{err}"
    );
    let mut dx = s.alloc_zeros::<f32>(16).unwrap();
    let err = gelu_cuda::backward(s, Approximation::Tanh, &x, &short, &mut dx).unwrap_err();
    assert!(
        matches!(err, GeluError::LengthMismatch { operand: "dy", .. }),
        "{err}"
    );

    // A buffer of another context.
    let other = CudaContext::new_non_primary(0, 0).expect("second context");
    let foreign = other.default_stream().clone_htod(&[1.0f32; 16]).unwrap();
    let mut y = s.alloc_zeros::<f32>(16).unwrap();
    let err = gelu_cuda::forward(s, Approximation::Exact, &foreign, &mut y).unwrap_err();
    assert!(
        matches!(err, GeluError::ContextMismatch { operand: "x" }),
        "{err}"
    );
    let err = gelu_cuda::backward(s, Approximation::Exact, &x, &foreign, &mut y).unwrap_err();
    assert!(
        matches!(err, GeluError::ContextMismatch { operand: "dy" }),
        "{err}"
    );

    // Views that start between elements (only an unsafe transmute makes them) are
    // refused before any launch: a kernel would fault on them and leave the context
    // unusable. It still works afterwards.
    let bytes = s.clone_htod(&[0x3fu8; 4 * 17]).unwrap();
    let mut bytes_out = s.alloc_zeros::<u8>(4 * 17).unwrap();
    // SAFETY: each view lies within its allocation (16 f32 from byte 1 or 2 of 68),
    // and is only passed to calls that must refuse it.
    let odd = unsafe { bytes.slice(1..).transmute::<f32>(16) }.unwrap();
    let err = gelu_cuda::forward(s, Approximation::Exact, &odd, &mut y).unwrap_err();
    assert_misaligned(&err, "x", 4);
    let mut out_view = bytes_out.slice_mut(2..);
    // SAFETY: as above.
    let mut odd_out = unsafe { out_view.transmute_mut::<f32>(16) }.unwrap();
    let err = gelu_cuda::backward(s, Approximation::Tanh, &x, &x, &mut odd_out).unwrap_err();
    assert_misaligned(&err, "dx", 4);
    // SAFETY: as above; 33 bf16 from byte 1.
    let odd_half = unsafe { bytes.slice(1..).transmute::<bf16>(33) }.unwrap();
    let mut half_y = s.alloc_zeros::<bf16>(33).unwrap();
    let err = gelu_cuda::forward(s, Approximation::Sigmoid, &odd_half, &mut half_y).unwrap_err();
    assert_misaligned(&err, "x", 2);
    gelu_cuda::forward(s, Approximation::Exact, &x, &mut y).unwrap();
    let y_host = s.clone_dtoh(&y).unwrap();
    assert!(
        y_host.iter().all(|&v| (v - 0.841_344_7).abs() < 1e-6),
        "{y_host:?}"
    );

    // Empty buffers: a no-op.
    let empty_x = x.slice(0..0);
    let mut empty_y = y.slice_mut(0..0);
    gelu_cuda::forward(s, Approximation::Exact, &empty_x, &mut empty_y).unwrap();
    s.synchronize().unwrap();
}

/// The fp32 survey on the device (kernels and f64 reference both there, as `gelu
/// accuracy --device cuda --f32 all` runs them) agrees with the host's: same counts
/// and maximum errors; and inputs outside the 2^32 patterns are a typed error.
#[test]
fn gpu_survey_matches_the_host() {
    use gelu_cuda::accuracy::{survey_f32, SurveyOn};
    let Some(d) = device("gpu_survey_matches_the_host") else {
        return;
    };
    for approx in Approximation::ALL {
        for backward in [false, true] {
            for usual in [false, true] {
                for r in SURVEY_RANGES {
                    let on_device = SurveyOn::Device(&d.stream);
                    let got = survey_f32(on_device, approx, backward, usual, r.clone()).unwrap();
                    let want =
                        survey_f32(SurveyOn::Host, approx, backward, usual, r.clone()).unwrap();
                    let what = format!("{approx} backward={backward} usual={usual} {r:x?}");
                    survey_agrees(&what, &got, &want, usual);
                }
            }
        }
    }
    let err = survey_f32(
        SurveyOn::Device(&d.stream),
        Approximation::Exact,
        false,
        false,
        0..(1 << 32) + 1,
    )
    .unwrap_err();
    assert!(matches!(err, GeluError::SurveyRange { .. }), "{err}");
}

#[test]
fn gpu_fused_ops() {
    use common::fused::*;
    let Some(d) = device("gpu_fused_ops") else {
        return;
    };
    // A second stream on the same device: the bias gradient must not depend on it.
    let other = common::device::Device {
        ctx: d.ctx.clone(),
        stream: d.ctx.new_stream().unwrap(),
    };
    let s = seed("gpu_fused_ops");
    check_bias_forward::<f32, _>(&d, s);
    check_bias_forward::<f16, _>(&d, s);
    check_bias_forward::<bf16, _>(&d, s);
    check_bias_backward::<f32, _, _>(&d, &other, s);
    // fp32's bias gradient is the host path's, bit for bit, on every shape.
    check_bias_backward::<f32, _, _>(&d, &Host::default(), s);
    check_bias_backward::<f16, _, _>(&d, &other, s);
    check_bias_backward::<bf16, _, _>(&d, &other, s);
    check_bias_gradient_every_input::<f16, _>(&d, s);
    check_bias_gradient_every_input::<bf16, _>(&d, s);
    check_geglu::<f32, _>(&d, s);
    check_geglu::<f16, _>(&d, s);
    check_geglu::<bf16, _>(&d, s);
}

/// Each operand at its own offset: the same bits as with every operand aligned, on
/// the device (the flat kernels' mixes of vector and single-element accesses).
#[test]
fn gpu_fused_results_do_not_depend_on_offsets() {
    use common::fused::offsets_agree;
    let Some(d) = device("gpu_fused_results_do_not_depend_on_offsets") else {
        return;
    };
    let s = seed("gpu_fused_offsets");
    let same = |_: &mut Rng| common::device::Device {
        ctx: d.ctx.clone(),
        stream: d.stream.clone(),
    };
    offsets_agree::<f32, _, _>(&d, same, s);
    offsets_agree::<f16, _, _>(&d, same, s);
    offsets_agree::<bf16, _, _>(&d, same, s);
    // fp32 uses IEEE operations only, so the host path's aligned results, the bias
    // gradient included, are the device's at any offset, bit for bit.
    offsets_agree::<f32, _, _>(&gelu_cuda::host::HostRunner::new(), same, s);
}

#[test]
fn gpu_fused_bad_input() {
    let Some(d) = device("gpu_fused_bad_input") else {
        return;
    };
    let s = &d.stream;
    let x = s.clone_htod(&[1.0f32; 12]).unwrap();
    let b = s.clone_htod(&[0.0f32; 5]).unwrap();
    let mut y = s.alloc_zeros::<f32>(12).unwrap();
    let err = gelu_cuda::bias_gelu_forward(s, Approximation::Exact, &x, &b, &mut y, 5).unwrap_err();
    assert!(
        matches!(err, GeluError::NotAMatrix { operand: "x", .. }),
        "{err}"
    );
    let err = gelu_cuda::bias_gelu_forward(s, Approximation::Exact, &x, &b, &mut y, 4).unwrap_err();
    assert!(
        matches!(
            err,
            GeluError::LengthMismatch {
                operand: "bias",
                ..
            }
        ),
        "{err}"
    );
    let mut out = s.alloc_zeros::<f32>(6).unwrap();
    let err = gelu_cuda::geglu_forward(s, Approximation::Exact, &x, &mut out, 3).unwrap_err();
    assert!(
        matches!(err, GeluError::OddLastDimension { cols: 3 }),
        "{err}"
    );
    let mut dx = s.alloc_zeros::<f32>(12).unwrap();
    let mut db = s.alloc_zeros::<f32>(4).unwrap();
    let mut small = s.alloc_zeros::<f32>(1).unwrap();
    // The bias gradient of x as 3 rows of 4: its error.
    let bias_backward_err = |dx: &mut CudaSlice<f32>,
                             db: &mut CudaSlice<f32>,
                             ws: &mut CudaSlice<f32>| {
        gelu_cuda::bias_gelu_backward(s, Approximation::Exact, &x, &x, dx, db, ws, 4).unwrap_err()
    };
    // Two rows read as one (4 columns are half a vector in fp16): two partial sums
    // of the one folded row, and the leftover row's sum, each of 4 floats.
    assert_eq!(gelu_cuda::bias_gelu_backward_workspace_len(3, 4), 12);
    let err = bias_backward_err(&mut dx, &mut db, &mut small);
    assert!(
        matches!(
            err,
            GeluError::WorkspaceTooSmall {
                required: 12,
                actual: 1
            }
        ),
        "{err}"
    );
    // A bias gradient of another width than the rows.
    let mut ws = gelu_cuda::bias_gelu_backward_workspace(s, 3, 4).unwrap();
    let mut db5 = s.alloc_zeros::<f32>(5).unwrap();
    let err = bias_backward_err(&mut dx, &mut db5, &mut ws);
    assert!(
        matches!(
            err,
            GeluError::LengthMismatch {
                operand: "dbias",
                expected: 4,
                actual: 5
            }
        ),
        "{err}"
    );
    // From the input: a bias of another width.
    let b3 = s.clone_htod(&[0.0f32; 3]).unwrap();
    let err = gelu_cuda::bias_gelu_backward_from_input(
        s,
        Approximation::Exact,
        &x,
        &b3,
        &x,
        &mut dx,
        &mut db,
        &mut ws,
        4,
    )
    .unwrap_err();
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
    // A workspace that starts between floats (an unsafe transmute) is refused.
    let mut ws_bytes = s.alloc_zeros::<u8>(4 * 13).unwrap();
    let mut ws_view = ws_bytes.slice_mut(3..);
    // SAFETY: 12 floats from byte 3 of 52 lie within the allocation; the call must
    // refuse them.
    let mut odd_ws = unsafe { ws_view.transmute_mut::<f32>(12) }.unwrap();
    let err = gelu_cuda::bias_gelu_backward(
        s,
        Approximation::Exact,
        &x,
        &x,
        &mut dx,
        &mut db,
        &mut odd_ws,
        4,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            GeluError::Misaligned {
                operand: "workspace",
                ..
            }
        ),
        "{err}"
    );
    // A workspace no device can hold is an error, not an allocation attempt.
    let err = gelu_cuda::bias_gelu_backward_workspace(s, usize::MAX, 2).unwrap_err();
    assert!(matches!(err, GeluError::TooLarge { .. }), "{err}");
    // Zero rows: only the last of the four launches has work, and it writes db = 0.
    let mut db = s.clone_htod(&[7.0f32; 4]).unwrap();
    let mut ws0 = gelu_cuda::bias_gelu_backward_workspace(s, 0, 4).unwrap();
    let none = x.slice(0..0);
    gelu_cuda::bias_gelu_backward(
        s,
        Approximation::Exact,
        &none,
        &none,
        &mut dx.slice_mut(0..0),
        &mut db,
        &mut ws0,
        4,
    )
    .unwrap();
    assert_eq!(s.clone_dtoh(&db).unwrap(), [0.0; 4]);
    // Fused operands of another context, inputs and outputs.
    let other = CudaContext::new_non_primary(0, 0).expect("second context");
    let foreign = other.default_stream().clone_htod(&[0.0f32; 12]).unwrap();
    let err =
        gelu_cuda::bias_gelu_forward(s, Approximation::Exact, &x, &foreign.slice(0..4), &mut y, 4)
            .unwrap_err();
    assert!(
        matches!(err, GeluError::ContextMismatch { operand: "bias" }),
        "{err}"
    );
    let mut foreign_out = other.default_stream().clone_htod(&[0.0f32; 6]).unwrap();
    let err =
        gelu_cuda::geglu_forward(s, Approximation::Exact, &x, &mut foreign_out, 4).unwrap_err();
    assert!(
        matches!(err, GeluError::ContextMismatch { operand: "out" }),
        "{err}"
    );
    // An in-place form: the operand written over is checked as an output.
    let err = gelu_cuda::geglu_backward_inplace(
        s,
        Approximation::Exact,
        &mut foreign_out,
        &x.slice(0..3),
        2,
    )
    .unwrap_err();
    assert!(
        matches!(err, GeluError::ContextMismatch { operand: "x" }),
        "{err}"
    );
    let mut foreign_ws = other.default_stream().clone_htod(&[0.0f32; 12]).unwrap();
    let err = bias_backward_err(&mut dx, &mut db, &mut foreign_ws);
    assert!(
        matches!(
            err,
            GeluError::ContextMismatch {
                operand: "workspace"
            }
        ),
        "{err}"
    );
    s.synchronize().unwrap();
}
