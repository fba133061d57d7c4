//! The main job: GELU forward and backward for every dtype and approximation, on
//! the GPU when there is one and on the host path otherwise, judged against the
//! f64 reference, beside the usual framework formula replayed in f32.
//!
//! fp16/bf16 rows cover every input; fp32 rows a sample (2^21 random bit patterns,
//! 2^21 uniform draws in [-20, 20], and every 4099th float of [-15, 0]).
//!
//! Run: cargo run --release --example accuracy

use std::error::Error;
use std::sync::Arc;

use gelu_cuda::accuracy::{judging_scale, usual_formula, ErrorStats};
use gelu_cuda::cudarc::driver::CudaStream;
use gelu_cuda::{host, reference, Approximation, DType, GeluFloat};
use half::{bf16, f16};

enum Backend {
    Host,
    Gpu(Arc<CudaStream>, String),
}

impl Backend {
    fn detect() -> Self {
        match gelu_cuda::cuda_context(0) {
            Ok(ctx) => Backend::Gpu(ctx.default_stream(), ctx.name().unwrap_or_default()),
            Err(e) => {
                println!("no GPU ({e}): running the kernels on the host path");
                Backend::Host
            }
        }
    }

    fn run<T: GeluFloat>(
        &self,
        approx: Approximation,
        x: &[T],
        dy: Option<&[T]>,
    ) -> Result<Vec<T>, Box<dyn Error>> {
        match self {
            Backend::Host => {
                let mut out = x.to_vec();
                match dy {
                    None => host::forward_inplace(approx, &mut out),
                    Some(dy) => {
                        out.copy_from_slice(dy);
                        host::backward_inplace(approx, x, &mut out)?;
                    }
                }
                Ok(out)
            }
            Backend::Gpu(s, _) => {
                let xd = s.clone_htod(x)?;
                let mut out = s.clone_htod(dy.unwrap_or(x))?;
                match dy {
                    None => gelu_cuda::forward_inplace(s, approx, &mut out)?,
                    Some(_) => gelu_cuda::backward_inplace(s, approx, &xd, &mut out)?,
                }
                Ok(s.clone_dtoh(&out)?)
            }
        }
    }
}

fn f32_sample() -> Vec<f32> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut x: Vec<f32> = (0..1 << 21)
        .map(|_| f32::from_bits(next() as u32))
        .filter(|v| !v.is_nan())
        .collect();
    x.extend(
        (0..1 << 21).map(|_| ((next() >> 11) as f64 / (1u64 << 53) as f64 * 40.0 - 20.0) as f32),
    );
    x.extend(
        (0..=0x4170_0000u32)
            .step_by(4099)
            .map(|b| -f32::from_bits(b)),
    );
    x.extend([f32::INFINITY, f32::NEG_INFINITY, f32::MAX, -f32::MAX]);
    x
}

fn cell(s: &ErrorStats) -> String {
    let max = if s.max_ulp < 1e4 {
        format!("{:.2}", s.max_ulp)
    } else {
        format!("{:.1e}", s.max_ulp)
    };
    let cr =
        100.0 * (1.0 - s.not_correctly_rounded as f64 / (s.count - s.undecidable).max(1) as f64);
    format!(
        "{max:>8} {:>12.4e} {cr:>8.3}% {:>6}",
        s.worst_input, s.wrong_kind
    )
}

fn rows<T: GeluFloat>(backend: &Backend, x: &[T]) -> Result<(), Box<dyn Error>> {
    let ones = vec![T::from_f64_rounded(1.0); x.len()];
    for approx in Approximation::ALL {
        for backward in [false, true] {
            let got = backend.run(approx, x, backward.then_some(&ones[..]))?;
            let mut ours = ErrorStats::new(T::DTYPE);
            let mut usual = ErrorStats::new(T::DTYPE);
            for (&xi, &gi) in x.iter().zip(&got) {
                let xv = xi.to_f64();
                let (exact, common) = if backward {
                    (
                        reference::backward(approx, xv, 1.0),
                        usual_formula::backward(approx, xv as f32, 1.0),
                    )
                } else {
                    (
                        reference::forward(approx, xv),
                        usual_formula::forward(approx, xv as f32),
                    )
                };
                // fp32 backward results near the derivative's root are judged against
                // the size of its summands; fp16/bf16 results against their own value.
                let scale = if backward && T::DTYPE == DType::F32 {
                    judging_scale(approx, xv, 1.0)
                } else {
                    exact
                };
                ours.record(xv, gi.to_f64(), exact, scale);
                let common = reference::round_to(T::DTYPE, common as f64);
                usual.record(xv, common, exact, scale);
            }
            let op = if backward { "backward" } else { "forward" };
            println!(
                "{:<5} {:<8} {:<9}| {} | {}",
                T::DTYPE.name(),
                approx.name(),
                op,
                cell(&ours),
                cell(&usual)
            );
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let backend = Backend::detect();
    if let Backend::Gpu(_, name) = &backend {
        println!("running the kernels on {name}");
    }
    println!(
        "max error in ulp (at x), share of correctly rounded results, and results wrong in kind"
    );
    println!(
        "(NaN or infinite where the exact value is finite, or the reverse); backward with dy = 1"
    );
    println!(
        "{:25}| {:^38} | {:^38}",
        "", "gelu-cuda", "usual formula, in f32"
    );
    let head = format!("{:>8} {:>12} {:>9} {:>6}", "max ulp", "at x", "CR", "wrong");
    println!(
        "{:<5} {:<8} {:<9}| {head} | {head}",
        "dtype", "approx", "op"
    );
    rows::<f32>(&backend, &f32_sample())?;
    let all16 = |f: fn(u16) -> f64| {
        (0..=u16::MAX)
            .map(f)
            .filter(|v| !v.is_nan())
            .collect::<Vec<f64>>()
    };
    let f16s: Vec<f16> = all16(|b| f16::from_bits(b).to_f64())
        .into_iter()
        .map(f16::from_f64)
        .collect();
    let bf16s: Vec<bf16> = all16(|b| bf16::from_bits(b).to_f64())
        .into_iter()
        .map(bf16::from_f64)
        .collect();
    rows::<f16>(&backend, &f16s)?;
    rows::<bf16>(&backend, &bf16s)?;
    Ok(())
}
