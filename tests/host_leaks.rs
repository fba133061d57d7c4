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
}
