//! `gelu bench` and `gelu profile`: the kernels timed with CUDA events, beside a
//! device-to-device copy of the same bytes measured in the same run.

use std::sync::Arc;

use gelu_cuda::cudarc::driver::{CudaContext, CudaSlice, CudaStream};
use gelu_cuda::timing::{median, random_buffer, random_values, time_ms, Pool};
use gelu_cuda::{Approximation, DType, GeluError, GeluFloat, Op};
use half::{bf16, f16};

use crate::{Format, Progress};

/// The one stream the bench and the profile run on, with cudarc's cross-stream event
/// tracking off: with it, every launch also waits on and records an event per
/// buffer, host work that at small sizes takes longer than the kernel, so the
/// events around a batch would time the host. A program with one stream has it off
/// too; `benches/launch.rs` measures what it adds per call.
fn timing_stream(ctx: &Arc<CudaContext>) -> Result<Arc<CudaStream>, String> {
    let stream = ctx.new_stream().map_err(drv)?;
    // SAFETY: this process uses no other stream of `ctx`: every buffer is used on
    // `stream` alone, in order.
    unsafe { ctx.disable_event_tracking() };
    Ok(stream)
}

/// Columns of the matrix ops (bias, GeGLU half width) by default: a typical hidden
/// size.
pub const COLS: usize = 4096;

/// Every operand an op may need, over windows of a pool larger than the L2.
struct Buffers<T: GeluFloat> {
    pool: Pool,
    n: usize,
    /// The matrix ops' width and their elements: the whole rows of width `cols` that
    /// `n` holds.
    cols: usize,
    matrix: usize,
    x: CudaSlice<T>,
    dy: CudaSlice<T>,
    out: CudaSlice<T>,
    aux: CudaSlice<T>,
    bias: CudaSlice<T>,
    db: CudaSlice<T>,
    ws: CudaSlice<f32>,
}

fn drv(e: gelu_cuda::cudarc::driver::DriverError) -> String {
    e.to_string()
}

impl<T: GeluFloat> Buffers<T> {
    /// Operands for ops of `n` output elements, matrices `cols` wide; windows hold
    /// 2n (GeGLU's input).
    fn new(stream: &Arc<CudaStream>, n: usize, cols: usize) -> Result<Self, String> {
        let pool = Pool::new(2 * n, std::mem::size_of::<T>()).map_err(|e| e.to_string())?;
        let up = |seed| random_buffer::<T>(stream, pool.len(), seed).map_err(|e| e.to_string());
        let cols = cols.clamp(1, n);
        Ok(Self {
            n,
            cols,
            matrix: n / cols * cols,
            x: up(1)?,
            dy: up(2)?,
            out: up(3)?,
            aux: up(4)?,
            bias: stream
                .clone_htod(&random_values::<T>(cols, 5))
                .map_err(drv)?,
            db: stream
                .clone_htod(&random_values::<T>(cols, 6))
                .map_err(drv)?,
            ws: gelu_cuda::bias_gelu_backward_workspace(stream, n / cols, cols)
                .map_err(|e| e.to_string())?,
            pool,
        })
    }

    /// One launch of `op` on window `i`.
    fn launch(
        &mut self,
        stream: &CudaStream,
        op: Op,
        approx: Approximation,
        i: u64,
    ) -> Result<(), GeluError> {
        let s = self.pool.window(i).start;
        let (n, cols, m) = (self.n, self.cols, self.matrix);
        match op {
            Op::Forward => gelu_cuda::forward(
                stream,
                approx,
                &self.x.slice(s..s + n),
                &mut self.out.slice_mut(s..s + n),
            ),
            Op::Backward => gelu_cuda::backward(
                stream,
                approx,
                &self.x.slice(s..s + n),
                &self.dy.slice(s..s + n),
                &mut self.out.slice_mut(s..s + n),
            ),
            Op::BiasForward => gelu_cuda::bias_gelu_forward_aux(
                stream,
                approx,
                &self.x.slice(s..s + m),
                &self.bias,
                &mut self.out.slice_mut(s..s + m),
                &mut self.aux.slice_mut(s..s + m),
                cols,
            ),
            Op::BiasForwardNoPre => gelu_cuda::bias_gelu_forward(
                stream,
                approx,
                &self.x.slice(s..s + m),
                &self.bias,
                &mut self.out.slice_mut(s..s + m),
                cols,
            ),
            Op::BiasBackward => gelu_cuda::bias_gelu_backward(
                stream,
                approx,
                &self.x.slice(s..s + m),
                &self.dy.slice(s..s + m),
                &mut self.out.slice_mut(s..s + m),
                &mut self.db,
                &mut self.ws,
                cols,
            ),
            Op::BiasBackwardInput => gelu_cuda::bias_gelu_backward_from_input(
                stream,
                approx,
                &self.x.slice(s..s + m),
                &self.bias,
                &self.dy.slice(s..s + m),
                &mut self.out.slice_mut(s..s + m),
                &mut self.db,
                &mut self.ws,
                cols,
            ),
            Op::GegluForward => gelu_cuda::geglu_forward(
                stream,
                approx,
                &self.x.slice(s..s + 2 * m),
                &mut self.out.slice_mut(s..s + m),
                2 * cols,
            ),
            Op::GegluBackward => gelu_cuda::geglu_backward(
                stream,
                approx,
                &self.x.slice(s..s + 2 * m),
                &self.dy.slice(s..s + m),
                &mut self.out.slice_mut(s..s + 2 * m),
                2 * cols,
            ),
        }
    }

    /// Output elements of one launch of `op`.
    fn elements(&self, op: Op) -> usize {
        match op {
            Op::Forward | Op::Backward => self.n,
            _ => self.matrix,
        }
    }

    fn copy(&mut self, stream: &Arc<CudaStream>, i: u64) -> Result<(), GeluError> {
        let s = self.pool.window(i).start;
        stream.memcpy_dtod(
            &self.x.slice(s..s + self.n),
            &mut self.out.slice_mut(s..s + self.n),
        )?;
        Ok(())
    }
}

/// Median microseconds per call of `f`, over 7 batches of at least about 2 ms.
fn measure(
    stream: &Arc<CudaStream>,
    f: &mut dyn FnMut(u64) -> Result<(), GeluError>,
) -> Result<f64, String> {
    let mut failure = None;
    let mut timed = |iters: u64, f: &mut dyn FnMut(u64) -> Result<(), GeluError>| {
        time_ms(stream, iters, |i| {
            if let Err(e) = f(i) {
                failure.get_or_insert(e);
            }
        })
    };
    let probe = timed(3, f).map_err(|e| e.to_string())? / 3.0;
    let iters = ((2.0 / probe.max(1e-4)).ceil() as u64).clamp(5, 10_000);
    let mut samples = Vec::new();
    for _ in 0..7 {
        samples.push(timed(iters, f).map_err(|e| e.to_string())? * 1e3 / iters as f64);
    }
    if let Some(e) = failure {
        return Err(e.to_string());
    }
    Ok(median(&mut samples))
}

pub struct BenchRow {
    pub dtype: DType,
    pub log2: u32,
    /// The matrix ops' width.
    pub cols: usize,
    pub op: Op,
    pub approx: Approximation,
    pub micros: f64,
    pub gbps: f64,
    pub copy_gbps: f64,
}

impl BenchRow {
    /// The machine-readable columns (JSON keys, CSV header), in order.
    const FIELDS: [&'static str; 9] = [
        "dtype",
        "n",
        "cols",
        "op",
        "approximation",
        "median_us",
        "gbps",
        "copy_gbps",
        "of_copy",
    ];

    /// (name, value, whether JSON quotes it) for each of [`Self::FIELDS`].
    fn fields(&self) -> Vec<(&'static str, String, bool)> {
        let values = [
            (self.dtype.to_string(), true),
            ((1u64 << self.log2).to_string(), false),
            (self.cols.to_string(), false),
            (self.op.to_string(), true),
            (self.approx.to_string(), true),
            (format!("{:.3}", self.micros), false),
            (format!("{:.1}", self.gbps), false),
            (format!("{:.1}", self.copy_gbps), false),
            (format!("{:.4}", self.gbps / self.copy_gbps), false),
        ];
        Self::FIELDS
            .into_iter()
            .zip(values)
            .map(|(name, (value, quoted))| (name, value, quoted))
            .collect()
    }
}

/// What `gelu bench` times: sizes (log2 of the element counts), the matrix ops'
/// width, ops and approximations.
pub struct Selection<'a> {
    pub sizes: &'a [u32],
    pub cols: usize,
    pub ops: &'a [Op],
    pub approxes: &'a [Approximation],
}

fn bench_dtype<T: GeluFloat>(
    stream: &Arc<CudaStream>,
    sel: &Selection<'_>,
    progress: &Progress,
    emit: &mut dyn FnMut(BenchRow),
) -> Result<(), String> {
    let elem = std::mem::size_of::<T>() as f64;
    for &log2 in sel.sizes {
        let n = 1usize << log2;
        let mut b = Buffers::<T>::new(stream, n, sel.cols)?;
        let copy = measure(stream, &mut |i| b.copy(stream, i))?;
        let copy_gbps = 2.0 * n as f64 * elem / copy / 1e3;
        for &op in sel.ops {
            for &approx in sel.approxes {
                let micros = measure(stream, &mut |i| b.launch(stream, op, approx, i))?;
                let moved = op.elements_moved() * b.elements(op);
                let gbps = moved as f64 * elem / micros / 1e3;
                emit(BenchRow {
                    dtype: T::DTYPE,
                    log2,
                    cols: b.cols,
                    op,
                    approx,
                    micros,
                    gbps,
                    copy_gbps,
                });
                progress.inc(1);
            }
        }
    }
    Ok(())
}

/// Times every (dtype, size, op, approximation) and prints each row as it is
/// measured, so that a run stopped early keeps what it measured.
pub fn bench(
    sel: &Selection<'_>,
    dtypes: &[DType],
    format: Format,
    progress: &Progress,
) -> Result<(), String> {
    let ctx = gelu_cuda::cuda_context(0).map_err(|e| format!("bench needs a GPU: {e}"))?;
    let stream = timing_stream(&ctx)?;
    let mut printer = Printer::new(&ctx.name().unwrap_or_default(), format, sel.cols);
    let bar = progress.bar(
        (sel.sizes.len() * dtypes.len() * sel.ops.len() * sel.approxes.len()) as u64,
        "bench",
    );
    let emit = &mut |r: BenchRow| printer.row(&r);
    for &dtype in dtypes {
        match dtype {
            DType::F32 => bench_dtype::<f32>(&stream, sel, &bar, emit)?,
            DType::F16 => bench_dtype::<f16>(&stream, sel, &bar, emit)?,
            DType::BF16 => bench_dtype::<bf16>(&stream, sel, &bar, emit)?,
        }
    }
    progress.finish();
    printer.finish();
    Ok(())
}

/// Prints rows one at a time: the header before the first, the JSON closing after
/// the last (a JSON document cut short ends after a complete row).
struct Printer {
    card: String,
    format: Format,
    cols: usize,
    rows: usize,
}

impl Printer {
    fn new(card: &str, format: Format, cols: usize) -> Self {
        let card = card.to_string();
        Self {
            card,
            format,
            cols,
            rows: 0,
        }
    }

    fn header(&self) {
        match self.format {
            Format::Json => outln!(
                "{{\"card\": \"{}\", \"rows\": [",
                self.card.replace('"', "'")
            ),
            Format::Csv => outln!("{}", BenchRow::FIELDS.join(",")),
            Format::Table => {
                outln!("{}: median device time (CUDA events), GB/s counting the bytes each op must move,", self.card);
                outln!("and the share of a device-to-device copy's GB/s measured in the same run;");
                outln!(
                    "matrix ops {} columns wide (bias length, GeGLU half width)",
                    self.cols
                );
                outln!(
                    "{:<5} {:>6} {:<15} {:<8} {:>11} {:>9} {:>9} {:>8}",
                    "dtype",
                    "n",
                    "op",
                    "approx",
                    "median us",
                    "GB/s",
                    "copy",
                    "of copy"
                );
            }
        }
    }

    fn row(&mut self, r: &BenchRow) {
        if self.rows == 0 {
            self.header();
        }
        let share = r.gbps / r.copy_gbps;
        match self.format {
            Format::Json => {
                let fields: Vec<String> = r
                    .fields()
                    .iter()
                    .map(|(name, value, quoted)| {
                        if *quoted {
                            format!("\"{name}\": \"{value}\"")
                        } else {
                            format!("\"{name}\": {value}")
                        }
                    })
                    .collect();
                outln!(
                    "{}  {{{}}}",
                    if self.rows == 0 { "" } else { "," },
                    fields.join(", ")
                )
            }
            Format::Csv => {
                let values: Vec<String> = r.fields().into_iter().map(|f| f.1).collect();
                outln!("{}", values.join(","))
            }
            Format::Table => outln!(
                "{:<5} {:>6} {:<15} {:<8} {:>11.2} {:>9.1} {:>9.1} {:>7.1}%",
                r.dtype.name(),
                format!("2^{}", r.log2),
                r.op.name(),
                r.approx.name(),
                r.micros,
                r.gbps,
                r.copy_gbps,
                100.0 * share
            ),
        }
        self.rows += 1;
    }

    fn finish(&self) {
        if self.rows == 0 {
            self.header();
        }
        if let Format::Json = self.format {
            outln!("]}}");
        }
    }
}

fn profile_dtype<T: GeluFloat>(
    ops: &[Op],
    approxes: &[Approximation],
    n: usize,
    warmup: u64,
    iters: u64,
) -> Result<(), String> {
    let ctx = gelu_cuda::cuda_context(0).map_err(|e| format!("profile needs a GPU: {e}"))?;
    let stream = timing_stream(&ctx)?;
    let mut b = Buffers::<T>::new(&stream, n, COLS)?;
    let ranges = if gelu_cuda::nvtx::ENABLED {
        "NVTX range per launch"
    } else {
        "no NVTX ranges: build with --features cli,nvtx"
    };
    for &op in ops {
        for &approx in approxes {
            for i in 0..warmup {
                b.launch(&stream, op, approx, i)
                    .map_err(|e| e.to_string())?;
            }
            let kernel = op.kernel_name(approx, T::DTYPE);
            let name = std::ffi::CString::new(kernel).expect("no NUL in kernel names");
            let mut failure = None;
            let ms = time_ms(&stream, iters, |i| {
                let _range = gelu_cuda::nvtx::Range::new(&name);
                if let Err(e) = b.launch(&stream, op, approx, i) {
                    failure.get_or_insert(e);
                }
            })
            .map_err(|e| e.to_string())?;
            if let Some(e) = failure {
                return Err(e.to_string());
            }
            let micros = ms * 1e3 / iters as f64;
            outln!(
                "{kernel}: {iters} launches of n = {n}, {micros:.2} us each on average ({ranges})"
            );
        }
    }
    Ok(())
}

/// Per (op, approximation, dtype): `warmup` launches, then `iters` launches each
/// inside an NVTX range named after its kernel.
pub fn profile(
    ops: &[Op],
    approxes: &[Approximation],
    dtypes: &[DType],
    n: usize,
    warmup: u64,
    iters: u64,
) -> Result<(), String> {
    for &dtype in dtypes {
        match dtype {
            DType::F32 => profile_dtype::<f32>(ops, approxes, n, warmup, iters)?,
            DType::F16 => profile_dtype::<f16>(ops, approxes, n, warmup, iters)?,
            DType::BF16 => profile_dtype::<bf16>(ops, approxes, n, warmup, iters)?,
        }
    }
    Ok(())
}
