//! `gelu accuracy`: error statistics of every selected (dtype, approximation, op)
//! against the f64 reference, beside the usual framework formula's.

use gelu_cuda::accuracy::{
    judging_scale, stated_bound, survey_f32, usual_formula, ErrorStats, SurveyOn,
};
use gelu_cuda::{reference, Approximation, DType, GeluFloat};
use half::{bf16, f16};

use crate::backend::Backend;
use crate::{Format, GradOp, Progress};

/// fp32 inputs: by default every 1021st bit pattern of the whole range (4.2 million)
/// and 4 million uniform draws in [-16, 16]; or all 2^32, through the survey kernels
/// (the f64 reference evaluated beside each result, on the GPU when there is one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum F32Inputs {
    /// About 8 million inputs over the whole range, dense where GELU bends.
    Sample,
    /// All 2^32 bit patterns (seconds on a GPU; on two CPU cores about 4 minutes
    /// per approximation and direction, 26 for the table).
    All,
}

pub struct Row {
    pub dtype: DType,
    pub approx: Approximation,
    pub op: GradOp,
    pub ours: ErrorStats,
    pub usual: ErrorStats,
}

/// Runs the kernels on `x` in chunks and records ours and the usual formula's
/// errors, comparing on all cores.
fn survey<T: GeluFloat>(
    backend: &Backend,
    approx: Approximation,
    op: GradOp,
    inputs: &mut dyn Iterator<Item = Vec<T>>,
    progress: &Progress,
) -> Result<(ErrorStats, ErrorStats), String> {
    let (mut ours, mut usual) = (ErrorStats::new(T::DTYPE), ErrorStats::new(T::DTYPE));
    for x in inputs {
        let ones = vec![T::from_f64_rounded(1.0); x.len()];
        let got = backend.run(approx, &x, (op == GradOp::Backward).then_some(&ones[..]))?;
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        let part = x.len().div_ceil(workers).max(1);
        let parts: Vec<(ErrorStats, ErrorStats)> = std::thread::scope(|s| {
            let handles: Vec<_> = x
                .chunks(part)
                .zip(got.chunks(part))
                .map(|(xs, gs)| s.spawn(move || compare(approx, op, xs, gs)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("worker"))
                .collect()
        });
        for (o, u) in &parts {
            ours.merge(o);
            usual.merge(u);
        }
        progress.inc(x.len() as u64);
    }
    Ok((ours, usual))
}

fn compare<T: GeluFloat>(
    approx: Approximation,
    op: GradOp,
    x: &[T],
    got: &[T],
) -> (ErrorStats, ErrorStats) {
    let (mut ours, mut usual) = (ErrorStats::new(T::DTYPE), ErrorStats::new(T::DTYPE));
    for (&xi, &gi) in x.iter().zip(got) {
        let xv = xi.to_f64();
        let (exact, common, scale) = match op {
            GradOp::Forward => {
                let e = reference::forward(approx, xv);
                (e, usual_formula::forward(approx, xv as f32), e)
            }
            GradOp::Backward => {
                let e = reference::backward(approx, xv, 1.0);
                // fp32 near the derivative's root: judged against its summands.
                let s = if T::DTYPE == DType::F32 {
                    judging_scale(approx, xv, 1.0)
                } else {
                    e
                };
                (e, usual_formula::backward(approx, xv as f32, 1.0), s)
            }
        };
        ours.record(xv, gi.to_f64(), exact, scale);
        usual.record(
            xv,
            reference::round_to(T::DTYPE, common as f64),
            exact,
            scale,
        );
    }
    (ours, usual)
}

/// Every fp32 input, through the survey kernels: the f64 reference is evaluated
/// beside each result, on the GPU when that is the backend.
fn survey_all(
    backend: &Backend,
    approx: Approximation,
    op: GradOp,
    progress: &Progress,
) -> Result<(ErrorStats, ErrorStats), String> {
    let on = match backend {
        Backend::Host => SurveyOn::Host,
        Backend::Gpu { stream, .. } => SurveyOn::Device(stream),
    };
    let (mut ours, mut usual) = (ErrorStats::new(DType::F32), ErrorStats::new(DType::F32));
    const STEP: u64 = 1 << 28;
    for start in (0..1u64 << 32).step_by(STEP as usize) {
        for (stats, is_usual) in [(&mut ours, false), (&mut usual, true)] {
            let part = survey_f32(
                on,
                approx,
                op == GradOp::Backward,
                is_usual,
                start..start + STEP,
            )
            .map_err(|e| e.to_string())?;
            stats.merge(&part);
            progress.inc(STEP);
        }
    }
    Ok((ours, usual))
}

/// The default fp32 inputs (see [`F32Inputs::Sample`]).
fn f32_sample() -> (u64, Box<dyn Iterator<Item = Vec<f32>>>) {
    let strided: Vec<f32> = (0..=u32::MAX).step_by(1021).map(f32::from_bits).collect();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let uniform: Vec<f32> = (0..4_000_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 11) as f64 / (1u64 << 53) as f64 * 32.0 - 16.0) as f32
        })
        .collect();
    let n = (strided.len() + uniform.len()) as u64;
    (n, Box::new([strided, uniform].into_iter()))
}

fn half_inputs<T: GeluFloat>() -> (u64, Box<dyn Iterator<Item = Vec<T>>>) {
    let all: Vec<T> = (0..=u16::MAX as u32).map(T::from_bits_u32).collect();
    (all.len() as u64, Box::new(std::iter::once(all)))
}

pub fn run(
    backend: &Backend,
    dtypes: &[DType],
    approxes: &[Approximation],
    ops: &[GradOp],
    f32_which: F32Inputs,
    progress: &Progress,
) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for &dtype in dtypes {
        for &approx in approxes {
            for &op in ops {
                let label = format!("{dtype} {approx} {}", op.name());
                let (ours, usual) = match dtype {
                    DType::F32 if f32_which == F32Inputs::All => {
                        survey_all(backend, approx, op, &progress.bar(1 << 33, &label))?
                    }
                    DType::F32 => {
                        let (n, mut it) = f32_sample();
                        let bar = progress.bar(n, &label);
                        survey::<f32>(backend, approx, op, &mut it, &bar)?
                    }
                    DType::F16 => {
                        let (n, mut it) = half_inputs::<f16>();
                        survey::<f16>(backend, approx, op, &mut it, &progress.bar(n, &label))?
                    }
                    DType::BF16 => {
                        let (n, mut it) = half_inputs::<bf16>();
                        survey::<bf16>(backend, approx, op, &mut it, &progress.bar(n, &label))?
                    }
                };
                rows.push(Row {
                    dtype,
                    approx,
                    op,
                    ours,
                    usual,
                });
            }
        }
    }
    progress.finish();
    Ok(rows)
}

/// Every row of ours within [`stated_bound`] and none wrong in kind, or the first
/// that is not, in one line.
pub fn check(rows: &[Row]) -> Result<(), String> {
    for r in rows {
        let bound = stated_bound(r.dtype, r.approx, r.op == GradOp::Backward);
        if r.ours.max_ulp > bound || r.ours.wrong_kind > 0 {
            return Err(format!(
                "accuracy check failed: {} {} {}: {} ulp at x = {:e} (stated {bound}), {} wrong in kind",
                r.dtype,
                r.approx,
                r.op.name(),
                r.ours.max_ulp,
                r.ours.worst_input,
                r.ours.wrong_kind
            ));
        }
    }
    Ok(())
}

fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:e}")
    } else {
        "null".to_string()
    }
}

fn stats_json(s: &ErrorStats) -> String {
    format!(
        "{{\"max_ulp\": {}, \"worst_input\": {}, \"count\": {}, \"not_correctly_rounded\": {}, \"undecidable\": {}, \"wrong_kind\": {}, \"mean_abs_error\": {}, \"mean_rel_error\": {}}}",
        num(s.max_ulp),
        num(s.worst_input),
        s.count,
        s.not_correctly_rounded,
        s.undecidable,
        s.wrong_kind,
        num(s.mean_abs_error()),
        num(s.mean_rel_error())
    )
}

fn share_cr(s: &ErrorStats) -> f64 {
    100.0 * (1.0 - s.not_correctly_rounded as f64 / (s.count - s.undecidable).max(1) as f64)
}

pub fn print(rows: &[Row], format: Format, device: &str) {
    match format {
        Format::Json => {
            let items: Vec<String> = rows
                .iter()
                .map(|r| {
                    format!(
                        "  {{\"dtype\": \"{}\", \"approximation\": \"{}\", \"op\": \"{}\", \"gelu_cuda\": {}, \"usual_formula\": {}}}",
                        r.dtype,
                        r.approx,
                        r.op.name(),
                        stats_json(&r.ours),
                        stats_json(&r.usual)
                    )
                })
                .collect();
            outln!(
                "{{\"device\": \"{}\", \"rows\": [\n{}\n]}}",
                device.replace('"', "'"),
                items.join(",\n")
            );
        }
        Format::Csv => {
            outln!("dtype,approximation,op,impl,max_ulp,worst_input,count,not_correctly_rounded,undecidable,wrong_kind,mean_abs_error,mean_rel_error");
            for r in rows {
                for (name, s) in [("gelu-cuda", &r.ours), ("usual-formula", &r.usual)] {
                    outln!(
                        "{},{},{},{name},{},{},{},{},{},{},{},{}",
                        r.dtype,
                        r.approx,
                        r.op.name(),
                        s.max_ulp,
                        s.worst_input,
                        s.count,
                        s.not_correctly_rounded,
                        s.undecidable,
                        s.wrong_kind,
                        s.mean_abs_error(),
                        s.mean_rel_error()
                    );
                }
            }
        }
        Format::Table => {
            outln!("GELU accuracy on {device}: maximum error in ulp (and where), share of correctly rounded");
            outln!("results, and results wrong in kind (NaN or infinite where the exact value is finite, or");
            outln!("the reverse); backward with dy = 1. The usual formula is 0.5 x (1 + erf(x/sqrt 2)) and");
            outln!("its tanh and sigmoid kin as PyTorch writes them, evaluated in f32 and rounded to the dtype.");
            outln!();
            let cell = |s: &ErrorStats| {
                let max = if s.max_ulp < 1e4 {
                    format!("{:.2}", s.max_ulp)
                } else {
                    format!("{:.1e}", s.max_ulp)
                };
                format!(
                    "{max:>8} {:>12.4e} {:>8.3}% {:>6}",
                    s.worst_input,
                    share_cr(s),
                    s.wrong_kind
                )
            };
            let head = format!("{:>8} {:>12} {:>9} {:>6}", "max ulp", "at x", "CR", "wrong");
            outln!("{:25}| {:^38} | {:^38}", "", "gelu-cuda", "usual formula");
            outln!(
                "{:<5} {:<8} {:<9}| {head} | {head}",
                "dtype",
                "approx",
                "op"
            );
            for r in rows {
                outln!(
                    "{:<5} {:<8} {:<9}| {} | {}",
                    r.dtype.name(),
                    r.approx.name(),
                    r.op.name(),
                    cell(&r.ours),
                    cell(&r.usual)
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(max_ulp: f64, wrong_kind: u64) -> Row {
        let mut ours = ErrorStats::new(DType::BF16);
        ours.max_ulp = max_ulp;
        ours.worst_input = -0.75;
        ours.wrong_kind = wrong_kind;
        Row {
            dtype: DType::BF16,
            approx: Approximation::Tanh,
            op: GradOp::Backward,
            ours,
            usual: ErrorStats::new(DType::BF16),
        }
    }

    #[test]
    fn check_fails_past_the_stated_bound_or_on_a_wrong_kind() {
        let bound = stated_bound(DType::BF16, Approximation::Tanh, true);
        assert!(check(&[row(bound, 0)]).is_ok());
        let past = check(&[row(bound, 0), row(bound + 0.01, 0)]).unwrap_err();
        assert!(past.contains("bf16 tanh backward"), "{past}");
        assert!(check(&[row(0.5, 1)]).is_err());
    }
}
