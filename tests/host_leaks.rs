//! Steady memory over a million host launches. In its own test binary: other tests
//! allocating at the same time would move the resident size.

mod common;

use common::{poison, resident_bytes};
use gelu_cuda::accuracy::check_result;
use gelu_cuda::host::HostRunner;
use gelu_cuda::{Approximation, DType};

/// Inputs over [-6, 6), never 0.
fn inputs(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i * 37 % n) as f32 + 0.5) * 12.0 / n as f32 - 6.0)
        .collect()
}

/// `dx` of a backward with `dy = x`, each element within the stated bound.
fn check_backward_of_x_by_x(approx: Approximation, x: &[f32], dx: &[f32], when: &str) {
    for (&xi, &d) in x.iter().zip(dx) {
        check_result(DType::F32, approx, xi.into(), Some(xi.into()), d.into())
            .unwrap_or_else(|e| panic!("{when}: {e}"));
    }
}

/// A million host launches: resident memory does not grow.
#[test]
fn million_launches_steady_memory() {
    let runner = HostRunner::new().workers(1);
    let x = inputs(64);
    let mut y = vec![poison::<f32>(); 64];
    for _ in 0..10_000 {
        runner.forward(Approximation::Tanh, &x, &mut y).unwrap();
    }
    let Some(before) = resident_bytes() else {
        // Past the test harness's capture, so that the skip shows.
        use std::io::Write;
        let _ = std::io::stderr()
            .write_all(b"million_launches_steady_memory: skipped, /proc/self/statm unavailable\n");
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
    // The last launch was a backward with dy = x: its results still right.
    check_backward_of_x_by_x(Approximation::Exact, &x, &y, "after a million launches");
    println!("resident memory: {before} bytes before, {after} after a million launches");
    assert!(
        after <= before + (1 << 20),
        "resident memory grew from {before} to {after} bytes"
    );

    // The paths that allocate or spawn: launches split among OS threads (past
    // 2^16 elements), and the bias backward, which allocates its workspace.
    let shared = HostRunner::new().workers(2);
    let (rows, cols) = (64, 1025);
    let x = inputs(rows * cols);
    let (mut y, mut db) = (
        vec![poison::<f32>(); rows * cols],
        vec![poison::<f32>(); cols],
    );
    let mut round = |k: usize| {
        for _ in 0..k {
            shared.forward(Approximation::Exact, &x, &mut y).unwrap();
            shared
                .bias_gelu_backward(Approximation::Tanh, &x, &x, &mut y, &mut db, cols)
                .unwrap();
        }
    };
    round(100);
    let before = resident_bytes().unwrap();
    round(5_000);
    let after = resident_bytes().unwrap();
    check_backward_of_x_by_x(Approximation::Tanh, &x, &y, "after 10 000 larger launches");
    // db: the column sums of dx (y), within f32 summation error (a NaN poison fails).
    for c in 0..cols {
        let (sum, abs) = (0..rows)
            .map(|r| y[r * cols + c] as f64)
            .fold((0.0, 0.0), |(s, a), t| (s + t, a + t.abs()));
        assert!(
            (db[c] as f64 - sum).abs() <= 1e-5 * abs,
            "db[{c}] = {} after 10 000 larger launches, column sum {sum}",
            db[c]
        );
    }
    println!("resident memory: {before} bytes before, {after} after 10 000 larger launches");
    assert!(
        after <= before + (1 << 20),
        "resident memory grew from {before} to {after} bytes (larger launches)"
    );
}
