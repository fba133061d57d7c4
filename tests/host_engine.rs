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
