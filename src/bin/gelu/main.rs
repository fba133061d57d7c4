//! `gelu`: accuracy tables, evaluation of .npy tensors, benchmarks and profiling
//! runs for the gelu-cuda kernels. Built with `--features cli`.
//!
//! Every failure prints one line on stderr (`gelu: ...`) and exits non-zero,
//! without leaving an output file behind.

/// `println!` that never panics: a reader that closed stdout (`gelu ... | head`)
/// ends the program quietly, any other write error with one line.
macro_rules! outln {
    () => { $crate::write_line(format_args!("")) };
    ($($arg:tt)*) => { $crate::write_line(format_args!($($arg)*)) };
}

fn write_line(args: std::fmt::Arguments) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("gelu: writing the output: {e}");
        std::process::exit(1);
    }
}

mod accuracy;
mod backend;
mod bench;
mod npy;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use gelu_cuda::{Approximation, DType, GeluFloat, Op};
use half::{bf16, f16};

use backend::{Backend, DeviceArg};

#[derive(Parser)]
#[command(
    name = "gelu",
    version,
    about = "GELU kernels: accuracy, evaluation, benchmarks, profiling"
)]
struct Cli {
    /// No progress bars.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// The elementwise directions `accuracy` and `eval` cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GradOp {
    Forward,
    Backward,
}

impl GradOp {
    pub fn name(self) -> &'static str {
        match self {
            Self::Forward => "forward",
            Self::Backward => "backward",
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Error statistics of every (dtype, approximation, op) against an f64 reference,
    /// beside the usual framework formula's: fp16/bf16 over all 65536 inputs, fp32
    /// over a dense sample (or all 2^32 inputs with --f32 all).
    Accuracy {
        /// Where the kernels run [default: the GPU if there is one, else the CPU].
        #[arg(long, value_enum)]
        device: Option<DeviceArg>,
        #[arg(long, value_enum, value_delimiter = ',', default_values_t = [DType::F32, DType::F16, DType::BF16])]
        dtype: Vec<DType>,
        #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Approximation::Exact, Approximation::Tanh, Approximation::Sigmoid])]
        approx: Vec<Approximation>,
        #[arg(long, value_enum, value_delimiter = ',', default_values_t = [GradOp::Forward, GradOp::Backward])]
        op: Vec<GradOp>,
        /// Which fp32 inputs.
        #[arg(long = "f32", value_enum, default_value_t = accuracy::F32Inputs::Sample)]
        f32_inputs: accuracy::F32Inputs,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Exit non-zero (after the table) where a row of ours exceeds the bound this
        /// crate states or returns results wrong in kind.
        #[arg(long)]
        check: bool,
    },
    /// Runs one kernel on a .npy tensor (float32 or float64, C order, any shape),
    /// rounded to the dtype; writes the result as float32 .npy.
    Eval {
        #[arg(long, value_enum)]
        op: GradOp,
        #[arg(long, value_enum)]
        approx: Approximation,
        #[arg(long, value_enum)]
        dtype: DType,
        /// Where the kernel runs [default: the GPU if there is one, else the CPU].
        #[arg(long, value_enum)]
        device: Option<DeviceArg>,
        #[arg(long)]
        input: PathBuf,
        /// The incoming gradient dy, required for the backward; same shape as the input.
        #[arg(long)]
        grad: Option<PathBuf>,
        #[arg(long)]
        output: PathBuf,
    },
    /// Median device time, GB/s and share of a same-run device copy, per kernel and size (GPU).
    Bench {
        /// log2 of the element counts.
        #[arg(long, value_delimiter = ',', default_values_t = [12, 16, 20, 24, 26, 28])]
        sizes: Vec<u32>,
        #[arg(long, value_enum, value_delimiter = ',', default_values_t = [DType::F32, DType::F16, DType::BF16])]
        dtype: Vec<DType>,
        #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Op::Forward, Op::Backward])]
        op: Vec<Op>,
        #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Approximation::Exact, Approximation::Tanh, Approximation::Sigmoid])]
        approx: Vec<Approximation>,
        /// Columns of the matrix ops (bias length, GeGLU half width); where it does
        /// not divide a size, as many whole rows as fit. A width that is not a
        /// multiple of 16 bytes runs the fused ops' flat kernels (the bias backward
        /// instead reads two, four or eight rows as one).
        #[arg(long, default_value_t = bench::COLS)]
        cols: usize,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Per kernel: warm-up, then launches each inside an NVTX range named after the
    /// kernel (build with --features cli,nvtx), for nsys and ncu --nvtx (GPU). Lists
    /// run every combination, one buffer set per dtype.
    Profile {
        #[arg(long, value_enum, value_delimiter = ',', required = true)]
        op: Vec<Op>,
        #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Approximation::Exact])]
        approx: Vec<Approximation>,
        #[arg(long, value_enum, value_delimiter = ',', required = true)]
        dtype: Vec<DType>,
        /// Elements per launch (outputs).
        #[arg(long, default_value_t = 1 << 26)]
        n: usize,
        #[arg(long, default_value_t = 20)]
        iters: u64,
        /// Launches before the ranges (0 under ncu, which profiles every launch).
        #[arg(long, default_value_t = 3)]
        warmup: u64,
    },
}

/// Progress bars on stderr, hidden with --quiet or when stderr is not a terminal.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    quiet: bool,
}

impl Progress {
    fn new(quiet: bool) -> Self {
        Self { bar: None, quiet }
    }

    /// A bar for `len` steps labelled `label`.
    pub fn bar(&self, len: u64, label: &str) -> Progress {
        if self.quiet {
            return Progress::new(true);
        }
        let bar = indicatif::ProgressBar::new(len);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg:>24} [{bar:40}] {percent:>3}% {elapsed_precise}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_message(label.to_string());
        Progress {
            bar: Some(bar),
            quiet: false,
        }
    }

    pub fn inc(&self, by: u64) {
        if let Some(b) = &self.bar {
            b.inc(by);
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

fn eval_typed<T: GeluFloat>(
    backend: &Backend,
    approx: Approximation,
    x: &[f64],
    dy: Option<&[f64]>,
) -> Result<Vec<f32>, String> {
    let round = |v: &[f64]| {
        v.iter()
            .map(|&e| T::from_f64_rounded(e))
            .collect::<Vec<T>>()
    };
    let xt = round(x);
    let dyt = dy.map(round);
    let out = backend.run(approx, &xt, dyt.as_deref())?;
    // Widening fp16/bf16 (and fp32) to f32 is exact.
    Ok(out.iter().map(|v| v.to_f64() as f32).collect())
}

fn eval(
    op: GradOp,
    approx: Approximation,
    dtype: DType,
    device: Option<DeviceArg>,
    input: PathBuf,
    grad: Option<PathBuf>,
    output: PathBuf,
) -> Result<(), String> {
    let x = npy::read(&input)?;
    let dy = match (op, grad) {
        (GradOp::Backward, None) => return Err("--grad is required for --op backward".to_string()),
        (GradOp::Forward, Some(_)) => return Err("--grad is only for --op backward".to_string()),
        (GradOp::Backward, Some(path)) => {
            let dy = npy::read(&path)?;
            if dy.shape != x.shape {
                return Err(format!(
                    "{} has shape {:?}, {} has shape {:?}: they must match",
                    path.display(),
                    dy.shape,
                    input.display(),
                    x.shape
                ));
            }
            Some(dy)
        }
        (GradOp::Forward, None) => None,
    };
    let backend = Backend::open(device)?;
    let dy = dy.as_ref().map(|d| d.data.as_slice());
    let out = match dtype {
        DType::F32 => eval_typed::<f32>(&backend, approx, &x.data, dy)?,
        DType::F16 => eval_typed::<f16>(&backend, approx, &x.data, dy)?,
        DType::BF16 => eval_typed::<bf16>(&backend, approx, &x.data, dy)?,
    };
    npy::write_f32(&output, &x.shape, &out)
}

fn run(cli: Cli) -> Result<(), String> {
    let progress = Progress::new(cli.quiet);
    match cli.command {
        Command::Accuracy {
            device,
            dtype,
            approx,
            op,
            f32_inputs,
            format,
            check,
        } => {
            let backend = Backend::open(device)?;
            let rows = accuracy::run(&backend, &dtype, &approx, &op, f32_inputs, &progress)?;
            accuracy::print(&rows, format, &backend.describe());
            if check {
                accuracy::check(&rows)?;
            }
            Ok(())
        }
        Command::Eval {
            op,
            approx,
            dtype,
            device,
            input,
            grad,
            output,
        } => eval(op, approx, dtype, device, input, grad, output),
        Command::Bench {
            sizes,
            dtype,
            op,
            approx,
            cols,
            format,
        } => {
            if let Some(s) = sizes.iter().find(|&&s| !(4..=31).contains(&s)) {
                return Err(format!(
                    "--sizes takes log2 element counts from 4 to 31, got {s}"
                ));
            }
            if cols == 0 {
                return Err("--cols must be at least 1".to_string());
            }
            let sel = bench::Selection {
                sizes: &sizes,
                cols,
                ops: &op,
                approxes: &approx,
            };
            bench::bench(&sel, &dtype, format, &progress)
        }
        Command::Profile {
            op,
            approx,
            dtype,
            n,
            iters,
            warmup,
        } => {
            if n < 16 || iters == 0 {
                return Err("--n must be at least 16 and --iters at least 1".to_string());
            }
            bench::profile(&op, &approx, &dtype, n, warmup, iters)
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // One line: clap's message up to its usage, without the "error: " prefix
            // (a missing argument's name is on the lines after the first).
            let text = e.render().to_string();
            let message = text
                .lines()
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let message = message.trim_start_matches("error: ");
            let message = if message.is_empty() {
                "invalid arguments"
            } else {
                message
            };
            eprintln!("gelu: {message} (see gelu --help)");
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("gelu: {msg}");
            ExitCode::FAILURE
        }
    }
}
