//! The fused ops on the host path: bias + GELU, dGELU + dbias, GeGLU; every
//! (op, approximation, dtype), odd shapes and offsets, typed shape errors.

mod common;

use common::fused::*;
use common::host::Host;
use common::seed;
use gelu_cuda::host::HostRunner;
use gelu_cuda::{Approximation, GeluError};
use half::{bf16, f16};

fn other() -> Host {
    Host(
        HostRunner::new().grid_threads(77).workers(2),
        "host, 77 threads",
    )
}

#[test]
fn bias_forward_f32() {
    check_bias_forward::<f32, _>(&Host::default(), seed("bias_forward_f32"));
}

#[test]
fn bias_forward_half() {
    check_bias_forward::<f16, _>(&Host::default(), seed("bias_forward_f16"));
    check_bias_forward::<bf16, _>(&Host::default(), seed("bias_forward_bf16"));
}

#[test]
fn bias_backward_f32() {
    check_bias_backward::<f32, _, _>(&Host::default(), &other(), seed("bias_backward_f32"));
}

#[test]
fn bias_backward_half() {
    check_bias_backward::<f16, _, _>(&Host::default(), &other(), seed("bias_backward_f16"));
    check_bias_backward::<bf16, _, _>(&Host::default(), &other(), seed("bias_backward_bf16"));
}

#[test]
fn geglu_f32() {
    check_geglu::<f32, _>(&Host::default(), seed("geglu_f32"));
}

#[test]
fn geglu_half() {
    check_geglu::<f16, _>(&Host::default(), seed("geglu_f16"));
    check_geglu::<bf16, _>(&Host::default(), seed("geglu_bf16"));
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
