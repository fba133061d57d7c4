//! Host-side cost of one call of the safe API against a bare cuLaunchKernel of the
//! same kernel (loaded here from `gelu_cuda::fatbin()`), same grid, same stream.
//! Wall time of enqueueing 100 launches of a small tensor (few enough that the
//! launch queue never fills, so the device's pace does not enter); the device work
//! is drained outside the timed region. Without a GPU the bench says so and exits
//! (with an error where `GELU_REQUIRE_GPU=1`).
//!
//! Five rows: the safe API on buffers with cudarc's cross-stream event tracking
//! (its default once a context has a second stream: each buffer access waits on and
//! records a CUDA event), the safe API on buffers allocated with tracking off, and
//! the bare launch on raw pointers taken once; then the last two again with 32
//! threads launching at once, each on its own stream and buffers (the time is each
//! thread's own, averaged: what one thread pays while the others launch too). The
//! goal (safe ≤ 1.1× bare) compares the untracked and bare rows; the first shows
//! what the tracking costs, the threaded rows what contention adds to each.
//!
//! Run: cargo bench --bench launch

mod common;

use std::ffi::c_void;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use gelu_cuda::cudarc::driver::{
    result, CudaFunction, CudaSlice, CudaStream, DevicePtr, DevicePtrMut,
};
use gelu_cuda::cudarc::nvrtc::Ptx;
use gelu_cuda::timing::random_buffer;
use gelu_cuda::{Approximation, DType, Op};

const N: usize = 4096;
const CALLS: u64 = 100;
const THREADS: usize = 32;

/// A bare launch of the fp32 exact forward over `n` elements at `xp`, `yp`.
fn bare_launch(function: &CudaFunction, grid: u32, stream: &CudaStream, xp: u64, yp: u64) {
    let n = N as u64;
    let mut params = [
        &xp as *const _ as *mut c_void,
        &yp as *const _ as *mut c_void,
        &n as *const _ as *mut c_void,
    ];
    // SAFETY: the kernel's signature is (const float*, float*, uint64_t), and the
    // callers' buffers hold N elements and outlive the launch.
    unsafe {
        result::launch_kernel(
            function.cu_function(),
            (grid, 1, 1),
            (256, 1, 1),
            0,
            stream.cu_stream(),
            &mut params,
        )
    }
    .expect("launch");
}

/// Wall time of `iters` batches of CALLS calls of `f`, the stream drained between
/// batches, outside the timed region.
fn timed(stream: &CudaStream, iters: u64, f: &mut dyn FnMut()) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        for _ in 0..CALLS {
            f();
        }
        total += start.elapsed();
        stream.synchronize().expect("sync");
    }
    total
}

/// One thread's stream and untracked buffers, with their addresses for the bare
/// launch (taken once, as in the single-thread row).
struct Lane {
    stream: std::sync::Arc<CudaStream>,
    x: CudaSlice<f32>,
    y: CudaSlice<f32>,
    xp: u64,
    yp: u64,
}

/// The mean over THREADS threads of each one's `timed` wall time, all starting
/// together; `call(lane)` is one call on that thread's lane.
fn timed_threads(lanes: &mut [Lane], iters: u64, call: &(dyn Fn(&mut Lane) + Sync)) -> Duration {
    let start = Barrier::new(lanes.len());
    let total: Duration = std::thread::scope(|scope| {
        let handles: Vec<_> = lanes
            .iter_mut()
            .map(|lane| {
                let start = &start;
                scope.spawn(move || {
                    lane.stream.context().bind_to_thread().expect("bind");
                    start.wait();
                    let stream = lane.stream.clone();
                    timed(&stream, iters, &mut || call(lane))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread")).sum()
    });
    total / lanes.len() as u32
}

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
    group.bench_function("gelu_cuda::forward, event tracking", |b| {
        b.iter_custom(|iters| {
            timed(stream_ref, iters, &mut || {
                gelu_cuda::forward(stream_ref, Approximation::Exact, &x, &mut y).expect("launch")
            })
        })
    });
    group.bench_function("gelu_cuda::forward, no event tracking", |b| {
        b.iter_custom(|iters| {
            timed(stream_ref, iters, &mut || {
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
    {
        let (xp, _gx) = x_untracked.device_ptr(stream_ref);
        let (yp, _gy) = y_untracked.device_ptr_mut(stream_ref);
        group.bench_function("bare cuLaunchKernel", |b| {
            b.iter_custom(|iters| {
                timed(stream_ref, iters, &mut || {
                    bare_launch(&function, grid, stream_ref, xp, yp)
                })
            })
        });
    }

    // SAFETY: each lane's buffers are used on its own stream alone, which is
    // synchronised after every timed batch, before they are freed.
    unsafe { ctx.disable_event_tracking() };
    let mut lanes: Vec<Lane> = (0..THREADS)
        .map(|i| {
            let stream = ctx.new_stream().expect("stream");
            let x = random_buffer::<f32>(&stream, N, 10 + 2 * i as u64).expect("upload");
            let mut y = random_buffer::<f32>(&stream, N, 11 + 2 * i as u64).expect("upload");
            let xp = x.device_ptr(&stream).0;
            let yp = y.device_ptr_mut(&stream).0;
            Lane {
                stream,
                x,
                y,
                xp,
                yp,
            }
        })
        .collect();
    // SAFETY: as above; buffers created from here on track their uses again.
    unsafe { ctx.enable_event_tracking() };
    group.bench_function(
        format!("gelu_cuda::forward, no event tracking, {THREADS} threads"),
        |b| {
            b.iter_custom(|iters| {
                timed_threads(&mut lanes, iters, &|lane: &mut Lane| {
                    gelu_cuda::forward(&lane.stream, Approximation::Exact, &lane.x, &mut lane.y)
                        .expect("launch")
                })
            })
        },
    );
    group.bench_function(format!("bare cuLaunchKernel, {THREADS} threads"), |b| {
        b.iter_custom(|iters| {
            timed_threads(&mut lanes, iters, &|lane: &mut Lane| {
                bare_launch(&function, grid, &lane.stream, lane.xp, lane.yp)
            })
        })
    });
    group.finish();
}

criterion_group!(launch, launches);
criterion_main!(launch);
