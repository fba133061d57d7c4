//! Device time of every plain forward and backward kernel (every dtype and
//! approximation) against a device-to-device copy of the same bytes, timed with CUDA
//! events around batches of launches (criterion reports medians). The fused ops are
//! timed by `gelu bench --op bias-forward,...`, with the same pools and events.
//!
//! Inputs are random, never zeros. Each launch works on a different window of a
//! pool of at least 256 MiB (`gelu_cuda::timing`), so consecutive launches do not
//! hit the L2. Throughput counts the bytes an op must move (`Op::elements_moved`).
//!
//! `GELU_BENCH_SIZES` (log2 of the element count, comma-separated; default
//! 12,16,20,24,26,28) picks the sizes. Without a GPU the bench says so and exits
//! (with an error where `GELU_REQUIRE_GPU=1`).
//!
//! Run: cargo bench --bench gelu

mod common;

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gelu_cuda::cudarc::driver::CudaStream;
use gelu_cuda::timing::{random_buffer, time_ms, Pool};
use gelu_cuda::{Approximation, GeluFloat, Op};
use half::{bf16, f16};

fn sizes() -> Vec<u32> {
    std::env::var("GELU_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|v| v.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![12, 16, 20, 24, 26, 28])
}

fn bench_dtype<T: GeluFloat>(c: &mut Criterion, stream: &Arc<CudaStream>) {
    let elem = std::mem::size_of::<T>();
    for log2 in sizes() {
        let n = 1usize << log2;
        let pool = Pool::new(n, elem).expect("pool");
        let x = random_buffer::<T>(stream, pool.len(), 1).expect("upload");
        let dy = random_buffer::<T>(stream, pool.len(), 2).expect("upload");
        let mut out = random_buffer::<T>(stream, pool.len(), 3).expect("upload");
        let mut group = c.benchmark_group(format!("{}/2^{log2}", T::DTYPE.name()));
        group
            .sample_size(20)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1));
        let time = |iters, f: &mut dyn FnMut(u64)| {
            Duration::from_secs_f64(time_ms(stream, iters, f).expect("timing") * 1e-3)
        };
        group.throughput(Throughput::Bytes((2 * n * elem) as u64));
        group.bench_function("copy", |b| {
            b.iter_custom(|iters| {
                time(iters, &mut |i| {
                    let w = pool.window(i);
                    stream
                        .memcpy_dtod(&x.slice(w.clone()), &mut out.slice_mut(w))
                        .expect("copy");
                })
            })
        });
        for approx in Approximation::ALL {
            group.throughput(Throughput::Bytes(
                (Op::Forward.elements_moved() * n * elem) as u64,
            ));
            group.bench_function(BenchmarkId::new("forward", approx), |b| {
                b.iter_custom(|iters| {
                    time(iters, &mut |i| {
                        let w = pool.window(i);
                        gelu_cuda::forward(
                            stream,
                            approx,
                            &x.slice(w.clone()),
                            &mut out.slice_mut(w),
                        )
                        .expect("launch");
                    })
                })
            });
            group.throughput(Throughput::Bytes(
                (Op::Backward.elements_moved() * n * elem) as u64,
            ));
            group.bench_function(BenchmarkId::new("backward", approx), |b| {
                b.iter_custom(|iters| {
                    time(iters, &mut |i| {
                        let w = pool.window(i);
                        gelu_cuda::backward(
                            stream,
                            approx,
                            &x.slice(w.clone()),
                            &dy.slice(w.clone()),
                            &mut out.slice_mut(w),
                        )
                        .expect("launch");
                    })
                })
            });
        }
        group.finish();
    }
}

fn benches(c: &mut Criterion) {
    let Some(ctx) = common::gpu_or_skip("gelu bench") else {
        return;
    };
    let stream = ctx.new_stream().expect("stream");
    // Device time, not the host's: cudarc's per-buffer events off, as in `gelu
    // bench` (`benches/launch.rs` measures them).
    // SAFETY: every buffer here is used on `stream` alone, in order.
    unsafe { ctx.disable_event_tracking() };
    eprintln!("gelu bench on {}", ctx.name().unwrap_or_default());
    bench_dtype::<f32>(c, &stream);
    bench_dtype::<f16>(c, &stream);
    bench_dtype::<bf16>(c, &stream);
}

criterion_group!(gelu, benches);
criterion_main!(gelu);
