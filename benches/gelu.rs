//! Device time of every kernel against a device-to-device copy of the same bytes,
//! timed with CUDA events around batches of launches (criterion reports medians).
//!
//! Inputs are random, never zeros. Each launch works on a different window of a
//! pool of at least 256 MiB, so consecutive launches do not hit the L2 (50 MB on
//! H100, 60 MB on H200). Throughput counts the bytes a kernel must move: 2n
//! elements for the forward and the copy, 3n for the backward.
//!
//! `GELU_BENCH_SIZES` (log2 of the element count, comma-separated; default
//! 12,16,20,24,26,28) picks the sizes. Without a GPU the bench says so and exits.
//!
//! Run: cargo bench --bench gelu

use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gelu_cuda::cudarc::driver::{sys::CUevent_flags, CudaContext, CudaSlice, CudaStream};
use gelu_cuda::{Approximation, GeluFloat};
use half::{bf16, f16};

const POOL_BYTES: usize = 256 << 20;

fn sizes() -> Vec<u32> {
    std::env::var("GELU_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|v| v.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![12, 16, 20, 24, 26, 28])
}

/// Random values in [-6, 6], uploaded once.
fn pool<T: GeluFloat>(stream: &Arc<CudaStream>, len: usize, seed: u64) -> CudaSlice<T> {
    let mut state = seed | 1;
    let host: Vec<T> = (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            T::from_f64_rounded((state >> 11) as f64 / (1u64 << 53) as f64 * 12.0 - 6.0)
        })
        .collect();
    stream.clone_htod(&host).expect("upload")
}

/// Times `iters` launches of `launch(window)` with CUDA events.
fn timed(
    ctx: &Arc<CudaContext>,
    stream: &Arc<CudaStream>,
    iters: u64,
    mut launch: impl FnMut(u64),
) -> Duration {
    let start = ctx
        .new_event(Some(CUevent_flags::CU_EVENT_DEFAULT))
        .expect("event");
    let end = ctx
        .new_event(Some(CUevent_flags::CU_EVENT_DEFAULT))
        .expect("event");
    start.record(stream).expect("record");
    for i in 0..iters {
        launch(i);
    }
    end.record(stream).expect("record");
    end.synchronize().expect("sync");
    Duration::from_secs_f64(start.elapsed_ms(&end).expect("elapsed") as f64 * 1e-3)
}

fn bench_dtype<T: GeluFloat>(c: &mut Criterion, ctx: &Arc<CudaContext>, stream: &Arc<CudaStream>) {
    let elem = std::mem::size_of::<T>();
    for log2 in sizes() {
        let n = 1usize << log2;
        // Windows start 256 elements apart at least, keeping every view 16-byte aligned.
        let stride = n.next_multiple_of(256);
        let windows = (POOL_BYTES / elem / stride).max(1);
        let len = stride * windows;
        let x = pool::<T>(stream, len, 1);
        let dy = pool::<T>(stream, len, 2);
        let mut out = pool::<T>(stream, len, 3);
        let mut group = c.benchmark_group(format!("{}/2^{log2}", T::DTYPE.name()));
        group
            .sample_size(20)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1));
        group.throughput(Throughput::Bytes((2 * n * elem) as u64));
        group.bench_function("copy", |b| {
            b.iter_custom(|iters| {
                timed(ctx, stream, iters, |i| {
                    let w = (i as usize % windows) * stride;
                    stream
                        .memcpy_dtod(&x.slice(w..w + n), &mut out.slice_mut(w..w + n))
                        .expect("copy");
                })
            })
        });
        for approx in Approximation::ALL {
            group.throughput(Throughput::Bytes((2 * n * elem) as u64));
            group.bench_function(BenchmarkId::new("forward", approx), |b| {
                b.iter_custom(|iters| {
                    timed(ctx, stream, iters, |i| {
                        let w = (i as usize % windows) * stride;
                        gelu_cuda::forward(
                            stream,
                            approx,
                            &x.slice(w..w + n),
                            &mut out.slice_mut(w..w + n),
                        )
                        .expect("launch");
                    })
                })
            });
            group.throughput(Throughput::Bytes((3 * n * elem) as u64));
            group.bench_function(BenchmarkId::new("backward", approx), |b| {
                b.iter_custom(|iters| {
                    timed(ctx, stream, iters, |i| {
                        let w = (i as usize % windows) * stride;
                        gelu_cuda::backward(
                            stream,
                            approx,
                            &x.slice(w..w + n),
                            &dy.slice(w..w + n),
                            &mut out.slice_mut(w..w + n),
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
    let ctx = match gelu_cuda::cuda_context(0) {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("gelu bench: skipped, no GPU ({e})");
            return;
        }
    };
    let stream = ctx.new_stream().expect("stream");
    eprintln!("gelu bench on {}", ctx.name().unwrap_or_default());
    bench_dtype::<f32>(c, &ctx, &stream);
    bench_dtype::<f16>(c, &ctx, &stream);
    bench_dtype::<bf16>(c, &ctx, &stream);
}

criterion_group!(gelu, benches);
criterion_main!(gelu);
