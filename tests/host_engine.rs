//! The pointwise engine on the host path: lengths, offsets, in-place forms, grid
//! shapes, and the typed errors of the host API.

mod common;

use common::host::Host;
use common::*;
use gelu_cuda::host::{self, HostRunner};
use gelu_cuda::{Approximation, GeluError};
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

#[test]
fn results_do_not_depend_on_the_grid() {
    let mut rng = Rng::new(seed("results_do_not_depend_on_the_grid"));
    let x: Vec<bf16> = (0..100_003)
        .map(|_| bf16::from_f64((rng.unit() - 0.5) * 30.0))
        .collect();
    let reference = forward(&Host::default(), Approximation::Exact, &x);
    for r in runners() {
        assert_eq!(
            forward(&r, Approximation::Exact, &x),
            reference,
            "{}",
            r.name()
        );
    }
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
