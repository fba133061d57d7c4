//! A million launches with steady device and host memory. In its own test binary,
//! and to be run with no other process on the GPU: free device memory is
//! device-wide, and any other allocation meanwhile would move it.

mod common;

use common::device::device;
use common::{poison, resident_bytes, same_bits};
use gelu_cuda::{host, Approximation};

/// A million launches: device and host memory stay where they were.
#[test]
fn gpu_million_launches_steady_memory() {
    let Some(d) = device("gpu_million_launches_steady_memory") else {
        return;
    };
    let s = &d.stream;
    let xs: Vec<f32> = (0..4096).map(|i| (i as f32 + 0.5) / 256.0 - 8.0).collect();
    let dys: Vec<f32> = xs.iter().map(|v| 1.5 - v / 8.0).collect();
    let x = s.clone_htod(&xs).unwrap();
    let dy = s.clone_htod(&dys).unwrap();
    let mut y = s.clone_htod(&[poison::<f32>(); 4096]).unwrap();
    for _ in 0..10_000 {
        gelu_cuda::forward(s, Approximation::Exact, &x, &mut y).unwrap();
    }
    s.synchronize().unwrap();
    let (free_before, _) = d.ctx.mem_get_info().unwrap();
    let host_before = resident_bytes().expect("/proc/self/statm");
    for i in 0..1_000_000 {
        if i % 2 == 0 {
            gelu_cuda::forward(s, Approximation::Exact, &x, &mut y).unwrap();
        } else {
            gelu_cuda::backward(s, Approximation::Sigmoid, &x, &dy, &mut y).unwrap();
        }
        if i % 100_000 == 0 {
            s.synchronize().unwrap();
        }
    }
    s.synchronize().unwrap();
    let (free_after, _) = d.ctx.mem_get_info().unwrap();
    let host_after = resident_bytes().expect("/proc/self/statm");
    // The last launch was the backward: its results are still the host path's bits.
    let mut want = vec![poison::<f32>(); 4096];
    host::backward(Approximation::Sigmoid, &xs, &dys, &mut want).unwrap();
    assert!(
        same_bits(&s.clone_dtoh(&y).unwrap(), &want),
        "results after a million launches differ from the host path's"
    );
    println!(
        "device free {free_before} -> {free_after}; host resident {host_before} -> {host_after}"
    );
    assert!(
        free_after + (1 << 20) >= free_before,
        "device memory shrank by {}",
        free_before - free_after
    );
    assert!(
        host_after <= host_before + (4 << 20),
        "host memory grew by {}",
        host_after - host_before
    );
}
