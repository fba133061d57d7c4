//! Host-side cost of one call of the safe API against a bare cuLaunchKernel of the
//! same kernel (loaded here from `gelu_cuda::fatbin()`), same grid, same stream.
//! Wall time of enqueueing 100 launches of a small tensor (few enough that the
//! launch queue never fills, so the device's pace does not enter); the device work
//! is drained outside the timed region. Without a GPU the bench says so and exits
//! (with an error where `GELU_REQUIRE_GPU=1`).
//!
//! Three rows: the safe API on buffers with cudarc's cross-stream event tracking
//! (its default once a context has a second stream: each buffer access waits on and
//! records a CUDA event), the safe API on buffers allocated with tracking off, and
//! the bare launch on raw pointers taken once. The goal (safe ≤ 1.1× bare) compares
//! the last two; the first shows what the tracking costs.
//!
//! Run: cargo bench --bench launch

mod common;

use std::ffi::c_void;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use gelu_cuda::cudarc::driver::{result, DevicePtr, DevicePtrMut};
use gelu_cuda::cudarc::nvrtc::Ptx;
use gelu_cuda::timing::random_buffer;
use gelu_cuda::{Approximation, DType, Op};

const N: usize = 4096;
const CALLS: u64 = 100;

fn launches(c: &mut Criterion) {
    let Some(ctx) = common::gpu_or_skip("launch bench") else {
        return;
    };
    let stream = ctx.new_stream().expect("stream");
    let buffer = |seed| random_buffer::<f32>(&stream, N, seed).expect("upload");
    let (x, mut y) = (buffer(1), buffer(2));
    // SAFETY: the untracked buffers are used on `stream` alone, and freed after it
    // is synchronised at the end of each timed batch.
    unsafe { ctx.disable_event_tracking() };
    let (x_untracked, mut y_untracked) = (buffer(3), buffer(4));
    // SAFETY: as above; buffers created from here on track their uses again.
    unsafe { ctx.enable_event_tracking() };
    let module = ctx
        .load_module(Ptx::from_binary(gelu_cuda::fatbin().to_vec()))
        .expect("module");
    let function = module
        .load_function(Op::Forward.kernel_name(Approximation::Exact, DType::F32))
        .expect("kernel");
    // The grid the safe API picks for N fp32 elements: 4 per vector, 2 vectors per
    // thread, 256 threads per block.
    let grid = N.div_ceil(4 * 2 * 256) as u32;
    let mut group = c.benchmark_group(format!("host cost of {CALLS} launches"));
    let stream_ref = &stream;
    let timed = |iters: u64, f: &mut dyn FnMut()| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let start = Instant::now();
            for _ in 0..CALLS {
                f();
            }
            total += start.elapsed();
            stream_ref.synchronize().expect("sync");
        }
        total
    };
    group.bench_function("gelu_cuda::forward, event tracking", |b| {
        b.iter_custom(|iters| {
            timed(iters, &mut || {
                gelu_cuda::forward(stream_ref, Approximation::Exact, &x, &mut y).expect("launch")
            })
        })
    });
    group.bench_function("gelu_cuda::forward, no event tracking", |b| {
        b.iter_custom(|iters| {
            timed(iters, &mut || {
                gelu_cuda::forward(
                    stream_ref,
                    Approximation::Exact,
                    &x_untracked,
                    &mut y_untracked,
                )
                .expect("launch")
            })
        })
    });
    let (xp, _gx) = x_untracked.device_ptr(stream_ref);
    let (yp, _gy) = y_untracked.device_ptr_mut(stream_ref);
    let n = N as u64;
    group.bench_function("bare cuLaunchKernel", |b| {
        b.iter_custom(|iters| {
            timed(iters, &mut || {
                let mut params = [
                    &xp as *const _ as *mut c_void,
                    &yp as *const _ as *mut c_void,
                    &n as *const _ as *mut c_void,
                ];
                // SAFETY: the kernel's signature is (const float*, float*, uint64_t), and
                // the buffers hold N elements and outlive the launch.
                unsafe {
                    result::launch_kernel(
                        function.cu_function(),
                        (grid, 1, 1),
                        (256, 1, 1),
                        0,
                        stream_ref.cu_stream(),
                        &mut params,
                    )
                }
                .expect("launch");
            })
        })
    });
    group.finish();
}

criterion_group!(launch, launches);
criterion_main!(launch);
