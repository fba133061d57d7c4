//! Steady memory over a million host launches. In its own test binary: other tests
//! allocating at the same time would move the resident size.

mod common;

use common::resident_bytes;
use gelu_cuda::host::HostRunner;
use gelu_cuda::Approximation;

/// A million host launches: resident memory does not grow.
#[test]
fn million_launches_steady_memory() {
    let runner = HostRunner::new().workers(1);
    let x = vec![0.5f32; 64];
    let mut y = vec![0.0f32; 64];
    for _ in 0..10_000 {
        runner.forward(Approximation::Tanh, &x, &mut y).unwrap();
    }
    let Some(before) = resident_bytes() else {
        println!(
            "million_launches_steady_memory: /proc/self/statm unavailable, memory not measured"
        );
        return;
    };
    for i in 0..1_000_000 {
        if i % 2 == 0 {
            runner.forward(Approximation::Tanh, &x, &mut y).unwrap();
        } else {
            runner
                .backward(Approximation::Exact, &x, &x, &mut y)
                .unwrap();
        }
    }
    let after = resident_bytes().unwrap();
    println!("resident memory: {before} bytes before, {after} after a million launches");
    assert!(
        after <= before + (1 << 20),
        "resident memory grew from {before} to {after} bytes"
    );

    // The paths that allocate or spawn: launches split among OS threads (past
    // 2^16 elements), and the bias backward, which allocates its workspace.
    let shared = HostRunner::new().workers(2);
    let (rows, cols) = (64, 1025);
    let x = vec![0.5f32; rows * cols];
    let (mut y, mut db) = (vec![0.0f32; rows * cols], vec![0.0f32; cols]);
    let mut round = |k: usize| {
        for _ in 0..k {
            shared.forward(Approximation::Exact, &x, &mut y).unwrap();
            shared
                .bias_gelu_backward(Approximation::Tanh, &x, &x, &mut y, &mut db)
                .unwrap();
        }
    };
    round(100);
    let before = resident_bytes().unwrap();
    round(5_000);
    let after = resident_bytes().unwrap();
    println!("resident memory: {before} bytes before, {after} after 10 000 larger launches");
    assert!(
        after <= before + (1 << 20),
        "resident memory grew from {before} to {after} bytes (larger launches)"
    );
}
