//! The pointwise engine on the host path: lengths, offsets, in-place forms, grid
//! shapes, and the typed errors of the host API.

mod common;

use common::host::Host;
use common::*;
use gelu_cuda::host::{self, HostRunner};
use gelu_cuda::{Approximation, GeluError, GeluFloat};
use half::{bf16, f16};

fn runners() -> Vec<Host> {
    vec![
        Host::default(),
        // One thread walks the whole grid-stride loop; three threads leave a
        // remainder after the unrolled loop; a large grid leaves threads idle.
        Host(
            HostRunner::new().grid_threads(1).workers(1),
            "host, 1 thread",
        ),
        Host(
            HostRunner::new().grid_threads(3).workers(2),
            "host, 3 threads",
        ),
        Host(
            HostRunner::new().grid_threads(4096).workers(2),
            "host, 4096 threads",
        ),
        // The engine of sm_100 and newer: 32-byte vectors where the operands allow.
        Host(
            HostRunner::new().wide_vectors(true),
            "host, 32-byte vectors",
        ),
        Host(
            HostRunner::new()
                .wide_vectors(true)
                .grid_threads(3)
                .workers(2),
            "host, 32-byte vectors, 3 threads",
        ),
        // The compilation that CPUs without FMA instructions run.
        Host(
            HostRunner::new().portable(true).grid_threads(5).workers(2),
            "host, generic build, 5 threads",
        ),
    ]
}

#[test]
fn every_length_and_offset_f32() {
    let s = seed("every_length_and_offset_f32");
    for r in runners() {
        check_lengths_and_offsets::<f32, _>(&r, s, &every_length());
    }
}

#[test]
fn every_length_and_offset_f16() {
    let s = seed("every_length_and_offset_f16");
    for r in runners() {
        check_lengths_and_offsets::<f16, _>(&r, s, &every_length());
    }
}

#[test]
fn every_length_and_offset_bf16() {
    let s = seed("every_length_and_offset_bf16");
    for r in runners() {
        check_lengths_and_offsets::<bf16, _>(&r, s, &every_length());
    }
}

/// Every other launch shape and vector width gives the default launch's bits, for
/// every (approximation, dtype, direction).
fn grid_independent<T: GeluFloat>(rng: &mut Rng) {
    let mut draw = |scale: f64| -> Vec<T> {
        (0..100_003)
            .map(|_| T::from_f64_rounded((rng.unit() - 0.5) * scale))
            .collect()
    };
    let (x, dy) = (draw(30.0), draw(4.0));
    let default = Host::default();
    for approx in Approximation::ALL {
        let y = forward(&default, approx, &x);
        let dx = backward(&default, approx, &x, &dy);
        // runners()[0] is the default launch itself.
        for r in runners().iter().skip(1) {
            let what = format!("{} {approx} {:?}", r.name(), T::DTYPE);
            assert!(same_bits(&forward(r, approx, &x), &y), "{what} forward");
            assert!(
                same_bits(&backward(r, approx, &x, &dy), &dx),
                "{what} backward"
            );
        }
    }
}

#[test]
fn results_do_not_depend_on_the_grid() {
    let mut rng = Rng::new(seed("results_do_not_depend_on_the_grid"));
    grid_independent::<f32>(&mut rng);
    grid_independent::<f16>(&mut rng);
    grid_independent::<bf16>(&mut rng);
}

#[test]
fn length_mismatches_are_typed_errors() {
    let x = [1.0f32; 8];
    let mut short = [0.0f32; 7];
    let err = host::forward(Approximation::Exact, &x, &mut short).unwrap_err();
    assert!(
        matches!(
            err,
            GeluError::LengthMismatch {
                operand: "y",
                expected: 8,
                actual: 7
            }
        ),
        "{err}"
    );
    let mut dx = [0.0f32; 8];
    let err = host::backward(Approximation::Tanh, &x, &short, &mut dx).unwrap_err();
    assert!(
        matches!(
            err,
            GeluError::LengthMismatch {
                operand: "dy",
                expected: 8,
                actual: 7
            }
        ),
        "{err}"
    );
    let err = host::backward(Approximation::Tanh, &x, &x, &mut short).unwrap_err();
    assert!(
        matches!(
            err,
            GeluError::LengthMismatch {
                operand: "dx",
                expected: 8,
                actual: 7
            }
        ),
        "{err}"
    );
    let err = host::backward_inplace(Approximation::Sigmoid, &x, &mut short).unwrap_err();
    assert!(
        matches!(err, GeluError::LengthMismatch { operand: "dy", .. }),
        "{err}"
    );
    // Empty inputs are a no-op, not an error.
    host::forward::<f32>(Approximation::Exact, &[], &mut []).unwrap();
    host::backward::<f32>(Approximation::Exact, &[], &[], &mut []).unwrap();
}

/// The host path computes under the GPU's floating-point rules whatever the calling
/// thread has set: with flush-to-zero, denormals-are-zero and rounding toward zero
/// on (a process linked with -ffast-math starts with the first two; fesetround sets
/// the last) and the invalid-operation trap enabled (feenableexcept; the infinite
/// dy among the inputs meet inf * 0), on the calling thread and the workers it
/// spawns, the same bits and no SIGFPE.
#[cfg(target_arch = "x86_64")]
#[test]
fn results_do_not_depend_on_the_callers_float_mode() {
    fn mxcsr() -> u32 {
        let mut v = 0u32;
        // SAFETY: stores the control register into a local.
        unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut v, options(nostack)) };
        v
    }
    fn set_mxcsr(v: u32) {
        // SAFETY: loads a valid control word (only mode bits changed).
        unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &v, options(nostack)) };
    }
    const FTZ_DAZ_TOWARD_ZERO: u32 = 0x8000 | 0x0040 | 0x6000;
    const INVALID_MASK: u32 = 0x0080;
    let mut rng = Rng::new(seed("results_do_not_depend_on_the_callers_float_mode"));
    // Subnormals, tiny normals and ordinary values, both signs.
    let x: Vec<f32> = (0..200_000)
        .map(|i| match i % 3 {
            0 => f32::from_bits(rng.next_u64() as u32 & 0x807f_ffff),
            1 => ((rng.unit() - 0.5) * 1e-36) as f32,
            _ => ((rng.unit() - 0.5) * 40.0) as f32,
        })
        .collect();
    let dy: Vec<f32> = (0..x.len())
        .map(|i| match i % 1000 {
            0 => f32::INFINITY,
            _ => ((rng.unit() - 0.5) * 4.0) as f32,
        })
        .collect();
    let xh: Vec<bf16> = x.iter().map(|&v| bf16::from_f32(v)).collect();
    let dyh: Vec<bf16> = dy.iter().map(|&v| bf16::from_f32(v)).collect();
    for runner in [
        Host(HostRunner::new().workers(1), "host, 1 worker"),
        Host(HostRunner::new().workers(2), "host, 2 workers"),
    ] {
        for approx in Approximation::ALL {
            let run = || {
                (
                    forward(&runner, approx, &x),
                    backward(&runner, approx, &x, &dy),
                    forward(&runner, approx, &xh),
                    backward(&runner, approx, &xh, &dyh),
                )
            };
            let want = run();
            let saved = mxcsr();
            set_mxcsr((saved | FTZ_DAZ_TOWARD_ZERO) & !INVALID_MASK);
            let got = run();
            set_mxcsr(saved);
            let what = format!("{} {approx}", runner.name());
            assert!(same_bits(&got.0, &want.0), "{what}: f32 forward");
            assert!(same_bits(&got.1, &want.1), "{what}: f32 backward");
            assert!(same_bits(&got.2, &want.2), "{what}: bf16 forward");
            assert!(same_bits(&got.3, &want.3), "{what}: bf16 backward");
        }
    }
}
