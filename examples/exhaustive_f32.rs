//! Every one of the 2^32 fp32 inputs through the host path, forward and backward
//! (dy = 1), for every approximation, against the f64 reference: the fp32 error
//! bounds this crate states come from this run. Takes a while on a small machine.
//!
//! Run: cargo run --release --example exhaustive_f32 [exact|tanh|sigmoid ...]

use gelu_cuda::accuracy::{judging_scale, ErrorStats};
use gelu_cuda::host::HostRunner;
use gelu_cuda::{reference, Approximation, DType};

const CHUNK: u64 = 1 << 22;

fn main() {
    let wanted: Vec<String> = std::env::args().skip(1).collect();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    for approx in Approximation::ALL {
        if !wanted.is_empty() && !wanted.iter().any(|w| w == approx.name()) {
            continue;
        }
        let start = std::time::Instant::now();
        let results: Vec<(ErrorStats, ErrorStats)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|w| {
                    scope.spawn(move || {
                        let runner = HostRunner::new().workers(1);
                        let mut fwd = ErrorStats::new(DType::F32);
                        let mut bwd = ErrorStats::new(DType::F32);
                        let mut x = vec![0f32; CHUNK as usize];
                        let mut y = vec![0f32; CHUNK as usize];
                        let mut dx = vec![0f32; CHUNK as usize];
                        let ones = vec![1f32; CHUNK as usize];
                        let mut chunk = w;
                        while chunk * CHUNK < 1 << 32 {
                            for (i, v) in x.iter_mut().enumerate() {
                                *v = f32::from_bits((chunk * CHUNK + i as u64) as u32);
                            }
                            runner.forward(approx, &x, &mut y).expect("lengths");
                            runner
                                .backward(approx, &x, &ones, &mut dx)
                                .expect("lengths");
                            for i in 0..x.len() {
                                let xv = x[i] as f64;
                                if xv.is_nan() {
                                    assert!(y[i].is_nan() && dx[i].is_nan(), "NaN in, NaN out");
                                    continue;
                                }
                                let e = reference::forward(approx, xv);
                                fwd.record(xv, y[i] as f64, e, e);
                                let g = reference::backward(approx, xv, 1.0);
                                bwd.record(xv, dx[i] as f64, g, judging_scale(approx, xv, 1.0));
                            }
                            chunk += workers;
                        }
                        (fwd, bwd)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("worker"))
                .collect()
        });
        let (mut fwd, mut bwd) = (ErrorStats::new(DType::F32), ErrorStats::new(DType::F32));
        for (f, b) in &results {
            fwd.merge(f);
            bwd.merge(b);
        }
        for (op, s) in [("forward", &fwd), ("backward", &bwd)] {
            println!(
                "{approx:8} {op:9} max {:.3} ulp at x = {:e} ({:?}); not correctly rounded {} of {}; undecidable {}; wrong in kind {}",
                s.max_ulp,
                s.worst_input,
                s.worst_input as f32,
                s.not_correctly_rounded,
                s.count,
                s.undecidable,
                s.wrong_kind
            );
        }
        println!("({approx}: {:.0} s)", start.elapsed().as_secs_f64());
    }
}
