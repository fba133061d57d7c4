//! The per-context kernel cache is filled exactly once when 32 threads ask for it at
//! the same time (a test binary of its own, so no other test loads meanwhile).

mod common;

use std::sync::Barrier;

use common::device::device;
use common::{poison, same_bits};
use gelu_cuda::cudarc::driver::CudaContext;
use gelu_cuda::{host, Approximation};

#[test]
fn gpu_kernels_load_once_per_context_under_contention() {
    let Some(_d) = device("gpu_kernels_load_once_per_context_under_contention") else {
        return;
    };
    let ctx = CudaContext::new_non_primary(0, 0).expect("a fresh context");
    let before = gelu_cuda::kernel_loads();
    let barrier = Barrier::new(32);
    std::thread::scope(|s| {
        for t in 0..32 {
            let (ctx, barrier) = (&ctx, &barrier);
            s.spawn(move || {
                let stream = ctx.new_stream().expect("stream");
                let xs: Vec<f32> = (0..1000)
                    .map(|i| (t * 1000 + i) as f32 / 4000.0 - 4.0 + 1e-4)
                    .collect();
                let x = stream.clone_htod(&xs).expect("upload");
                let mut y = stream.clone_htod(&[poison::<f32>(); 1000]).expect("upload");
                barrier.wait();
                gelu_cuda::forward(&stream, Approximation::Exact, &x, &mut y).expect("launch");
                let mut want = vec![poison::<f32>(); 1000];
                host::forward(Approximation::Exact, &xs, &mut want).expect("host path");
                assert!(
                    same_bits(&stream.clone_dtoh(&y).expect("download"), &want),
                    "thread {t}: results differ from the host path's"
                );
            });
        }
    });
    assert_eq!(
        gelu_cuda::kernel_loads(),
        before + 1,
        "the kernels were loaded more than once"
    );
}
