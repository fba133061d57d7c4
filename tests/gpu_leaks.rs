//! A million launches with steady device and host memory. In its own test binary,
//! and to be run with no other process on the GPU: free device memory is
//! device-wide, and any other allocation meanwhile would move it.

mod common;

use common::device::device;
use common::resident_bytes;
use gelu_cuda::Approximation;

/// A million launches: device and host memory stay where they were.
#[test]
fn gpu_million_launches_steady_memory() {
    let Some(d) = device("gpu_million_launches_steady_memory") else {
        return;
    };
    let s = &d.stream;
    let x = s.clone_htod(&[0.25f32; 4096]).unwrap();
    let dy = s.clone_htod(&[1.0f32; 4096]).unwrap();
    let mut y = s.alloc_zeros::<f32>(4096).unwrap();
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
