//! The host path: the same kernel sources, compiled for the CPU, run as a loop
//! over the threads of an emulated launch grid. The fp32 kernels use only IEEE
//! basic operations and fused multiply-adds (one rounded upwards, which the host
//! emulates exactly), so their host results are bit for bit those of the GPU (NaN
//! payloads aside: which NaN an operation returns is the platform's); the
//! fp16/bf16 kernels differ only where the GPU's ex2/rcp approximations land an
//! f32 intermediate on the other side of a rounding boundary. Each launch runs under
//! the GPU's floating-point rules (round to nearest even, subnormals kept), whatever
//! the calling thread has set, -ffast-math's flush-to-zero included. The tests judge
//! the kernels here, on every commit, without a GPU.
//!
//! ```
//! use gelu_cuda::{host, Approximation};
//! let x = [-3.0f32, -1.0, 0.0, 1.0, 3.0];
//! let mut y = [f32::NAN; 5];
//! host::forward(Approximation::Exact, &x, &mut y)?;
//! assert_eq!(y[2].to_bits(), 0);
//! assert!((y[3] - 0.841_344_7).abs() < 1e-6);
//! assert!((y[0] + 0.004_049_7).abs() < 1e-7);
//! # Ok::<(), gelu_cuda::GeluError>(())
//! ```

use crate::error::check_len;
use crate::fused::{self, Operand, RowsCall};
use crate::{ffi, Approximation, GeluError, GeluFloat};

/// The operands of one host launch, read by every worker thread.
struct SharedArgs(ffi::gelu_rows_args);

// SAFETY: the pointers are only dereferenced by the kernel code, whose writes from
// different emulated threads go to disjoint elements (see run_rows).
unsafe impl Sync for SharedArgs {}

impl SharedArgs {
    /// Through a method, so that closures capture the wrapper, not the field.
    fn get(&self) -> &ffi::gelu_rows_args {
        &self.0
    }
}

/// The survey's arguments, shared by the worker threads the same way.
struct SurveyArgs(ffi::gelu_survey_args);

// SAFETY: as for SharedArgs: each emulated thread writes its own stats entry.
unsafe impl Sync for SurveyArgs {}

impl SurveyArgs {
    fn get(&self) -> &ffi::gelu_survey_args {
        &self.0
    }
}

fn operand<T>(s: &[T]) -> Operand {
    (s.as_ptr() as u64, s.len())
}

fn operand_mut<T>(s: &mut [T]) -> Operand {
    (s.as_mut_ptr() as u64, s.len())
}

/// The bias backward's point from the input: `x` and the bias.
fn input_point<T>(x: &[T], bias: &[T]) -> fused::BiasPoint {
    fused::BiasPoint::Input {
        x: operand(x),
        bias: operand(bias),
    }
}

/// How the host path emulates a launch: the grid's size in threads and how many
/// OS threads share them. Results never depend on either; the tests vary both to
/// exercise every path of the kernels' grid-stride loops.
///
/// ```
/// use gelu_cuda::{host::HostRunner, Approximation};
/// let x = vec![half::f16::from_f32(1.0); 100];
/// let (mut a, mut b) = (x.clone(), x.clone());
/// HostRunner::new().grid_threads(3).workers(1).forward_inplace(Approximation::Sigmoid, &mut a)?;
/// HostRunner::new().forward_inplace(Approximation::Sigmoid, &mut b)?;
/// assert_eq!(a, b); // the same results on any grid
/// assert_eq!(a[99], half::f16::from_f32(0.8457)); // 1 sigma(1.702), rounded
/// # Ok::<(), gelu_cuda::GeluError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct HostRunner {
    grid_threads: Option<u64>,
    workers: usize,
    sfu_error: f32,
    wide_vectors: bool,
    portable: bool,
}

impl Default for HostRunner {
    fn default() -> Self {
        Self::new()
    }
}

/// The largest grid the host emulates.
const MAX_GRID_THREADS: u64 = 1 << 32;

/// Below this many elements one OS thread does the whole launch.
const PARALLEL_THRESHOLD: usize = 1 << 16;

/// The most OS threads a launch uses.
const MAX_WORKERS: usize = 1024;

impl HostRunner {
    /// A grid sized as the GPU path would size it, run on every available core.
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, Approximation::Exact};
    /// let x = [-1.0f32, 0.5, 3.0];
    /// let mut y = [0.0f32; 3];
    /// HostRunner::new().forward(Exact, &x, &mut y)?;
    /// assert!(y[0] < 0.0 && y[1] > 0.0 && y[2] < 3.0);
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn new() -> Self {
        Self {
            grid_threads: None,
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            sfu_error: 0.0,
            wide_vectors: false,
            portable: false,
        }
    }

    /// Emulate a grid of exactly `threads` threads (at least 1, at most 2^32: a
    /// GPU's grid holds no more).
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, Approximation::Tanh};
    /// let x: Vec<f32> = (0..1000).map(|i| i as f32 / 100.0 - 5.0).collect();
    /// let (mut a, mut b) = (vec![0.0f32; 1000], vec![0.0f32; 1000]);
    /// HostRunner::new().grid_threads(7).forward(Tanh, &x, &mut a)?; // 143 elements a thread
    /// HostRunner::new().forward(Tanh, &x, &mut b)?;
    /// assert_eq!(a, b);
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn grid_threads(mut self, threads: u64) -> Self {
        self.grid_threads = Some(threads.clamp(1, MAX_GRID_THREADS));
        self
    }

    /// Share the grid among `workers` OS threads (at least 1, at most 1024; where the
    /// OS refuses a thread, its share runs on the calling thread).
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, Approximation::Sigmoid};
    /// let x = vec![half::bf16::from_f32(-2.0); 1 << 17];
    /// let (mut one, mut four) = (x.clone(), x.clone());
    /// HostRunner::new().workers(1).forward_inplace(Sigmoid, &mut one)?;
    /// HostRunner::new().workers(4).forward_inplace(Sigmoid, &mut four)?;
    /// assert_eq!(one, four);
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers.clamp(1, MAX_WORKERS);
        self
    }

    /// Model the error of the GPU's approximate 2^x and 1/x, which the fp16/bf16
    /// kernels use (the fp32 kernels do not): each result is moved by `relative`
    /// (their error is about 2^-22) up or down, as a hash of its argument decides.
    /// By default (0) the host computes them exactly, so its fp16/bf16 results can
    /// differ from the GPU's where an intermediate lands near a rounding boundary;
    /// with the model the accuracy tests bound what the GPU can return.
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, Approximation};
    /// use gelu_cuda::accuracy::check_result;
    /// use gelu_cuda::DType;
    /// let x = vec![half::bf16::from_f32(-0.75); 8];
    /// let mut dx = vec![half::bf16::from_f32(1.0); 8];
    /// HostRunner::new().sfu_error(2f32.powi(-22)).backward_inplace(Approximation::Tanh, &x, &mut dx)?;
    /// assert!(check_result(DType::BF16, Approximation::Tanh, -0.75, Some(1.0), dx[0].to_f64()).is_ok());
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn sfu_error(mut self, relative: f32) -> Self {
        self.sfu_error = relative;
        self
    }

    /// Run the engine as devices of compute capability 10.0 and newer run it: fp32
    /// in 32-byte vector accesses (`LDG.256`) where every operand's alignment allows
    /// them, 16-byte ones otherwise (fp16/bf16, and the bias gradient, keep 16
    /// everywhere). By default the host runs the engine of older devices. The
    /// results are the same bits either way, which the tests check for both.
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, Approximation};
    /// let x: Vec<f32> = (0..40).map(|i| i as f32 / 8.0 - 2.5).collect();
    /// let (mut wide, mut narrow) = (vec![f32::NAN; 40], vec![f32::NAN; 40]);
    /// HostRunner::new().wide_vectors(true).forward(Approximation::Exact, &x, &mut wide)?;
    /// HostRunner::new().forward(Approximation::Exact, &x, &mut narrow)?;
    /// assert!(wide.iter().zip(&narrow).all(|(a, b)| a.to_bits() == b.to_bits()));
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn wide_vectors(mut self, wide: bool) -> Self {
        self.wide_vectors = wide;
        self
    }

    /// Run the kernels' generic compilation, the one CPUs without fused multiply-add
    /// instructions run (x86-64 before Haswell), where each `fmaf` is a libm call
    /// (glibc picks a hardware or a software one by the CPU). By default an x86-64
    /// CPU with FMA and AVX2 runs a compilation that uses them; elsewhere the
    /// generic one is all there is. The results are the same bits either way, which
    /// the tests check, in CI also with glibc's own FMA use turned off
    /// (`GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA`: the software `fmaf`).
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, Approximation};
    /// let x: Vec<f32> = (0..40).map(|i| i as f32 / 8.0 - 2.5).collect();
    /// let (mut generic, mut fma) = (vec![f32::NAN; 40], vec![f32::NAN; 40]);
    /// HostRunner::new().portable(true).forward(Approximation::Tanh, &x, &mut generic)?;
    /// HostRunner::new().forward(Approximation::Tanh, &x, &mut fma)?;
    /// assert!(generic.iter().zip(&fma).all(|(a, b)| a.to_bits() == b.to_bits()));
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn portable(mut self, portable: bool) -> Self {
        self.portable = portable;
        self
    }

    fn threads_for<T>(&self, n: usize) -> u64 {
        self.grid_threads.unwrap_or_else(|| {
            let per_thread = ffi::GELU_VECTOR_BYTES as usize / std::mem::size_of::<T>()
                * ffi::GELU_UNROLL as usize;
            let blocks = n
                .div_ceil(per_thread * ffi::GELU_BLOCK_THREADS as usize)
                .clamp(1, 1024);
            (blocks * ffi::GELU_BLOCK_THREADS as usize) as u64
        })
    }

    /// Runs `kernel` over the emulated grid, splitting it among the workers.
    fn run<F>(&self, n: usize, threads: u64, kernel: F)
    where
        F: Fn(ffi::gelu_host_launch) -> ffi::gelu_status + Sync,
    {
        let workers = if n < PARALLEL_THRESHOLD {
            1
        } else {
            (self.workers as u64).min(threads)
        };
        // The plans validated every argument: another status is a bug in this crate,
        // and outputs left unwritten must not pass for results.
        let check = |status: ffi::gelu_status| {
            assert_eq!(
                status,
                ffi::gelu_status::GELU_STATUS_OK,
                "host kernel refused a planned launch"
            )
        };
        // Worker w of `workers` runs its share of the grid's threads.
        let share = |w: u64, workers: u64| ffi::gelu_host_launch {
            threads,
            first: (threads as u128 * w as u128 / workers as u128) as u64,
            last: (threads as u128 * (w + 1) as u128 / workers as u128) as u64,
            sfu_error: self.sfu_error,
            wide_vectors: self.wide_vectors as u32,
            portable: self.portable as u32,
        };
        if workers <= 1 {
            check(kernel(share(0, 1)));
            return;
        }
        std::thread::scope(|scope| {
            for w in 0..workers {
                let launch = share(w, workers);
                let kernel = &kernel;
                // The OS may refuse a thread (a limit on their number): that share
                // then runs here, rather than panicking as `scope.spawn` would.
                let spawned =
                    std::thread::Builder::new().spawn_scoped(scope, move || check(kernel(launch)));
                if spawned.is_err() {
                    check(kernel(launch));
                }
            }
        });
    }

    fn forward_raw<T: GeluFloat>(&self, approx: Approximation, x: *const T, y: *mut T, n: usize) {
        let (x, y) = (x as usize, y as usize);
        self.run(n, self.threads_for::<T>(n), |launch| {
            // SAFETY: x and y hold n elements (checked by the callers) and stay
            // borrowed for the whole run; the kernel writes each y[i] from exactly
            // one emulated thread, so the workers' writes are disjoint.
            unsafe {
                ffi::gelu_host_forward(
                    approx.abi(),
                    T::DTYPE.abi(),
                    x as *const _,
                    y as *mut _,
                    n as u64,
                    launch,
                )
            }
        });
    }

    fn backward_raw<T: GeluFloat>(
        &self,
        approx: Approximation,
        x: *const T,
        dy: *const T,
        dx: *mut T,
        n: usize,
    ) {
        let (x, dy, dx) = (x as usize, dy as usize, dx as usize);
        self.run(n, self.threads_for::<T>(n), |launch| {
            // SAFETY: as in forward_raw; dx may alias dy, which each thread reads
            // before it writes the same element.
            unsafe {
                ffi::gelu_host_backward(
                    approx.abi(),
                    T::DTYPE.abi(),
                    x as *const _,
                    dy as *const _,
                    dx as *mut _,
                    n as u64,
                    launch,
                )
            }
        });
    }

    fn run_rows<T: GeluFloat>(&self, approx: Approximation, call: &RowsCall) {
        if call.items == 0 {
            return;
        }
        let threads = self.grid_threads.unwrap_or_else(|| {
            call.items
                .div_ceil(ffi::GELU_BLOCK_THREADS as u64)
                .min(1024)
                * ffi::GELU_BLOCK_THREADS as u64
        });
        let args = &SharedArgs(call.args);
        let (op, dtype) = call.kernel::<T>();
        let dtype = dtype.abi();
        let items = call.items.min(usize::MAX as u64) as usize;
        self.run(items, threads, |launch| {
            let args = args.get();
            // SAFETY: the plan checked every operand's length against the shape; the
            // kernel writes each output element (and each partial sum) from exactly
            // one emulated thread, so the workers' writes are disjoint.
            unsafe { ffi::gelu_host_rows(op, approx.abi(), dtype, args, launch) }
        });
    }

    /// The fp32 accuracy survey over the bit patterns `begin .. begin + count`: one
    /// statistics entry per emulated thread.
    pub(crate) fn survey_f32(
        &self,
        op: ffi::gelu_op,
        approx: Approximation,
        begin: u64,
        count: u64,
        usual: bool,
    ) -> Vec<ffi::gelu_survey_stats> {
        // One statistics entry per emulated thread: more than 2^16 only costs memory.
        let threads = self
            .grid_threads
            .unwrap_or(self.workers as u64 * 16)
            .clamp(1, 1 << 16);
        let zero = ffi::gelu_survey_stats {
            max_ulp: 0.0,
            worst_input: f64::NAN,
            sum_abs_error: 0.0,
            sum_rel_error: 0.0,
            count: 0,
            not_correctly_rounded: 0,
            undecidable: 0,
            wrong_kind: 0,
            rel_count: 0,
        };
        let mut stats = vec![zero; threads as usize];
        let args = SurveyArgs(ffi::gelu_survey_args {
            begin,
            count,
            usual: usual as u32,
            stats: stats.as_mut_ptr(),
        });
        let items = count.min(usize::MAX as u64) as usize;
        self.run(items.max(PARALLEL_THRESHOLD), threads, |launch| {
            // SAFETY: `stats` holds one entry per emulated thread; each thread writes
            // only its own.
            unsafe { ffi::gelu_host_survey(op, approx.abi(), args.get(), launch) }
        });
        stats
    }

    /// `y = GELU(x + b)`, `x` of `rows * cols` elements, `bias` of `cols` (see
    /// [`crate::bias_gelu_forward`]).
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, reference, Approximation::Exact, DType};
    /// let (x, b) = ([0.5f32, -1.0, 2.0, 0.0], [0.25f32, 1.0]); // 2 rows of 2
    /// let mut y = [0.0f32; 4];
    /// HostRunner::new().bias_gelu_forward(Exact, &x, &b, &mut y, 2)?;
    /// for i in 0..4 {
    ///     let exact = reference::forward(Exact, (x[i] + b[i % 2]) as f64);
    ///     assert!(reference::ulp_error(DType::F32, y[i] as f64, exact) <= 2.0);
    /// }
    /// // A bias of another width is a typed error, even one that would divide x.
    /// let one = [0.0f32; 1];
    /// assert!(HostRunner::new().bias_gelu_forward(Exact, &x, &one, &mut y, 2).is_err());
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn bias_gelu_forward<T: GeluFloat>(
        &self,
        approx: Approximation,
        x: &[T],
        bias: &[T],
        y: &mut [T],
        cols: usize,
    ) -> Result<(), GeluError> {
        let call = fused::plan_bias_forward(operand(x), operand(bias), operand_mut(y), None, cols)?;
        self.run_rows::<T>(approx, &call);
        Ok(())
    }

    /// `x = GELU(x + b)` (see [`crate::bias_gelu_forward_inplace`]).
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, Approximation::Exact};
    /// let (x, b) = ([0.5f32, -1.0, 2.0, 0.0], [0.25f32, 1.0]);
    /// let mut y = [0.0f32; 4];
    /// HostRunner::new().bias_gelu_forward(Exact, &x, &b, &mut y, 2)?;
    /// let mut v = x;
    /// HostRunner::new().bias_gelu_forward_inplace(Exact, &mut v, &b, 2)?;
    /// assert_eq!(v, y);
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn bias_gelu_forward_inplace<T: GeluFloat>(
        &self,
        approx: Approximation,
        x: &mut [T],
        bias: &[T],
        cols: usize,
    ) -> Result<(), GeluError> {
        let x = operand_mut(x);
        let call = fused::plan_bias_forward(x, operand(bias), x, None, cols)?;
        self.run_rows::<T>(approx, &call);
        Ok(())
    }

    /// `y = GELU(x + b)` and `pre = x + b` (see [`crate::bias_gelu_forward_aux`]).
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, Approximation::Tanh};
    /// let (x, b) = ([0.5f32, -1.0, 2.0, 0.0], [0.25f32, 1.0]);
    /// let (mut y, mut pre) = ([0.0f32; 4], [0.0f32; 4]);
    /// HostRunner::new().bias_gelu_forward_aux(Tanh, &x, &b, &mut y, &mut pre, 2)?;
    /// assert_eq!(pre, [0.75, 0.0, 2.25, 1.0]);
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn bias_gelu_forward_aux<T: GeluFloat>(
        &self,
        approx: Approximation,
        x: &[T],
        bias: &[T],
        y: &mut [T],
        pre: &mut [T],
        cols: usize,
    ) -> Result<(), GeluError> {
        let call = fused::plan_bias_forward(
            operand(x),
            operand(bias),
            operand_mut(y),
            Some(operand_mut(pre)),
            cols,
        )?;
        self.run_rows::<T>(approx, &call);
        Ok(())
    }

    /// `dx = dy GELU'(pre)` and `dbias = Σ_rows dx` (see [`crate::bias_gelu_backward`]:
    /// `dbias` of the operands' type or f32); the workspace is allocated here.
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, reference, Approximation::Exact, DType};
    /// let (rows, cols) = (30, 6);
    /// let pre: Vec<f32> = (0..rows * cols).map(|i| (i % 17) as f32 / 4.0 - 2.0).collect();
    /// let dy = vec![0.5f32; rows * cols];
    /// let (mut dx, mut db) = (vec![0.0f32; rows * cols], vec![0.0f32; cols]);
    /// HostRunner::new().bias_gelu_backward(Exact, &pre, &dy, &mut dx, &mut db, cols)?;
    /// // db against the exact column sums of the exact dx, within the stated bound.
    /// let a = gelu_cuda::bias_gelu_backward_order(rows, cols).additions() as f64;
    /// for c in 0..cols {
    ///     let (mut sum, mut abs, mut scale) = (0.0, 0.0, 0.0);
    ///     for r in 0..rows {
    ///         let p = pre[r * cols + c] as f64;
    ///         let t = reference::backward(Exact, p, 0.5);
    ///         let [s0, s1] = reference::derivative_summands(Exact, p);
    ///         (sum, abs) = (sum + t, abs + t.abs());
    ///         scale += t.abs().max(0.5 * (s0.abs() + s1.abs()) / 4.0);
    ///     }
    ///     let bound = a * 2f64.powi(-24) * abs + 2f64.powi(-17) * scale
    ///         + reference::ulp_of(DType::F32, sum) / 2.0;
    ///     assert!((db[c] as f64 - sum).abs() <= bound);
    /// }
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn bias_gelu_backward<T: GeluFloat, DB: GeluFloat>(
        &self,
        approx: Approximation,
        pre: &[T],
        dy: &[T],
        dx: &mut [T],
        dbias: &mut [DB],
        cols: usize,
    ) -> Result<(), GeluError> {
        let point = fused::BiasPoint::Pre(operand(pre));
        let grads = (operand(dy), operand_mut(dx));
        self.bias_backward_at::<T, DB>(approx, point, grads, dbias, cols)
    }

    /// [`HostRunner::bias_gelu_backward`] writing `dx` over `dy` (see
    /// [`crate::bias_gelu_backward_inplace`]).
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, Approximation::Exact};
    /// let (rows, cols) = (30, 6);
    /// let pre: Vec<f32> = (0..rows * cols).map(|i| (i % 17) as f32 / 4.0 - 2.0).collect();
    /// let dy = vec![0.5f32; rows * cols];
    /// let (mut dx, mut db) = (vec![0.0f32; rows * cols], vec![0.0f32; cols]);
    /// HostRunner::new().bias_gelu_backward(Exact, &pre, &dy, &mut dx, &mut db, cols)?;
    /// let (mut grad, mut db_in_place) = (dy.clone(), vec![0.0f32; cols]);
    /// HostRunner::new().bias_gelu_backward_inplace(Exact, &pre, &mut grad, &mut db_in_place, cols)?;
    /// assert_eq!((grad, db_in_place), (dx, db));
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn bias_gelu_backward_inplace<T: GeluFloat, DB: GeluFloat>(
        &self,
        approx: Approximation,
        pre: &[T],
        dy: &mut [T],
        dbias: &mut [DB],
        cols: usize,
    ) -> Result<(), GeluError> {
        let point = fused::BiasPoint::Pre(operand(pre));
        let d = operand_mut(dy);
        self.bias_backward_at::<T, DB>(approx, point, (d, d), dbias, cols)
    }

    /// `dx = dy GELU'(pre)` and `dbias = Σ_rows dx` with `pre` formed from `x` and the
    /// bias as the forward stores it (see [`crate::bias_gelu_backward_from_input`]);
    /// the workspace is allocated here.
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, Approximation::Sigmoid};
    /// let (rows, cols) = (30, 6);
    /// let x: Vec<f32> = (0..rows * cols).map(|i| (i % 17) as f32 / 4.0 - 2.0).collect();
    /// let b: Vec<f32> = (0..cols).map(|c| c as f32 / 8.0 - 0.25).collect();
    /// let dy = vec![0.5f32; rows * cols];
    /// // The same bits as the backward at the forward's stored pre-activation.
    /// let (mut y, mut pre) = (vec![0.0f32; rows * cols], vec![0.0f32; rows * cols]);
    /// let r = HostRunner::new();
    /// r.bias_gelu_forward_aux(Sigmoid, &x, &b, &mut y, &mut pre, cols)?;
    /// let (mut dx, mut db) = (vec![0.0f32; rows * cols], vec![0.0f32; cols]);
    /// r.bias_gelu_backward_from_input(Sigmoid, &x, &b, &dy, &mut dx, &mut db, cols)?;
    /// let (mut dx_pre, mut db_pre) = (vec![0.0f32; rows * cols], vec![0.0f32; cols]);
    /// r.bias_gelu_backward(Sigmoid, &pre, &dy, &mut dx_pre, &mut db_pre, cols)?;
    /// assert_eq!((dx, db), (dx_pre, db_pre));
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn bias_gelu_backward_from_input<T: GeluFloat, DB: GeluFloat>(
        &self,
        approx: Approximation,
        x: &[T],
        bias: &[T],
        dy: &[T],
        dx: &mut [T],
        dbias: &mut [DB],
        cols: usize,
    ) -> Result<(), GeluError> {
        let point = input_point(x, bias);
        let grads = (operand(dy), operand_mut(dx));
        self.bias_backward_at::<T, DB>(approx, point, grads, dbias, cols)
    }

    /// [`HostRunner::bias_gelu_backward_from_input`] writing `dx` over `dy` (see
    /// [`crate::bias_gelu_backward_from_input_inplace`]).
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, Approximation::Sigmoid};
    /// let (x, b) = ([0.5f32, -1.0, 2.0, 0.0], [0.25f32, 1.0]); // 2 rows of 2
    /// let mut grad = [1.0f32, 1.0, -2.0, 0.5]; // dy, then dx
    /// let mut db = [0.0f32; 2];
    /// HostRunner::new().bias_gelu_backward_from_input_inplace(Sigmoid, &x, &b, &mut grad, &mut db, 2)?;
    /// assert_eq!(db, [grad[0] + grad[2], grad[1] + grad[3]]);
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn bias_gelu_backward_from_input_inplace<T: GeluFloat, DB: GeluFloat>(
        &self,
        approx: Approximation,
        x: &[T],
        bias: &[T],
        dy: &mut [T],
        dbias: &mut [DB],
        cols: usize,
    ) -> Result<(), GeluError> {
        let point = input_point(x, bias);
        let d = operand_mut(dy);
        self.bias_backward_at::<T, DB>(approx, point, (d, d), dbias, cols)
    }

    /// The bias backward at `point` from `dy` into `dx` (the same buffer in place),
    /// with a workspace of its own.
    fn bias_backward_at<T: GeluFloat, DB: GeluFloat>(
        &self,
        approx: Approximation,
        point: fused::BiasPoint,
        (dy, dx): (Operand, Operand),
        dbias: &mut [DB],
        cols: usize,
    ) -> Result<(), GeluError> {
        let (name, first) = point.matrix();
        let rows = crate::error::matrix_rows(name, first.1, cols)?;
        let mut workspace = vec![0.0f32; fused::bias_gelu_backward_workspace_len(rows, cols)];
        let calls = fused::plan_bias_backward(
            point,
            dy,
            dx,
            operand_mut(dbias),
            operand_mut(&mut workspace),
            cols,
            (std::mem::size_of::<T>(), DB::DTYPE),
        )?;
        for call in &calls {
            self.run_rows::<T>(approx, call);
        }
        Ok(())
    }

    /// GeGLU from one `[rows, cols]` buffer (see [`crate::geglu_forward`]).
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, reference, Approximation::Exact, DType};
    /// let x = [1.0f32, -0.5, 2.0, 3.0]; // one row: a = [1, -0.5], g = [2, 3]
    /// let mut out = [0.0f32; 2];
    /// HostRunner::new().geglu_forward(Exact, &x, &mut out, 4)?;
    /// for j in 0..2 {
    ///     let exact = reference::forward(Exact, x[j] as f64) * x[2 + j] as f64;
    ///     assert!(reference::ulp_error(DType::F32, out[j] as f64, exact) <= 5.0);
    /// }
    /// // An odd last dimension cannot be split in halves.
    /// assert!(HostRunner::new().geglu_forward(Exact, &x[..3], &mut out[..1], 3).is_err());
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn geglu_forward<T: GeluFloat>(
        &self,
        approx: Approximation,
        x: &[T],
        out: &mut [T],
        cols: usize,
    ) -> Result<(), GeluError> {
        let call = fused::plan_geglu_forward(
            operand(x),
            operand_mut(out),
            cols,
            std::mem::size_of::<T>(),
        )?;
        self.run_rows::<T>(approx, &call);
        Ok(())
    }

    /// GeGLU from two buffers (see [`crate::geglu_forward_split`]).
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, Approximation::Exact};
    /// let (a, g) = ([1.0f32, -0.5], [2.0f32, 3.0]);
    /// let (mut split, mut joined) = ([0.0f32; 2], [0.0f32; 2]);
    /// HostRunner::new().geglu_forward_split(Exact, &a, &g, &mut split)?;
    /// HostRunner::new().geglu_forward(Exact, &[1.0, -0.5, 2.0, 3.0], &mut joined, 4)?;
    /// assert_eq!(split, joined); // the same kernel math, either layout
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn geglu_forward_split<T: GeluFloat>(
        &self,
        approx: Approximation,
        a: &[T],
        g: &[T],
        out: &mut [T],
    ) -> Result<(), GeluError> {
        let call = fused::plan_geglu_forward_split(operand(a), operand(g), operand_mut(out))?;
        self.run_rows::<T>(approx, &call);
        Ok(())
    }

    /// GeGLU backward into one `[rows, cols]` buffer (see [`crate::geglu_backward`]).
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, reference, Approximation::Exact, DType};
    /// let x = [1.0f32, -0.5, 2.0, 3.0]; // a = [1, -0.5], g = [2, 3]
    /// let dout = [1.0f32, 0.5];
    /// let mut dx = [0.0f32; 4]; // [da, dg]
    /// HostRunner::new().geglu_backward(Exact, &x, &dout, &mut dx, 4)?;
    /// let dg0 = reference::forward(Exact, 1.0); // dout GELU(a)
    /// assert!(reference::ulp_error(DType::F32, dx[2] as f64, dg0) <= 5.0);
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn geglu_backward<T: GeluFloat>(
        &self,
        approx: Approximation,
        x: &[T],
        dout: &[T],
        dx: &mut [T],
        cols: usize,
    ) -> Result<(), GeluError> {
        let call = fused::plan_geglu_backward(
            operand(x),
            operand(dout),
            operand_mut(dx),
            cols,
            std::mem::size_of::<T>(),
        )?;
        self.run_rows::<T>(approx, &call);
        Ok(())
    }

    /// GeGLU backward writing `[da, dg]` over `x` (see
    /// [`crate::geglu_backward_inplace`]).
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, Approximation::Exact};
    /// let x = [1.0f32, -0.5, 2.0, 3.0]; // a = [1, -0.5], g = [2, 3]
    /// let dout = [1.0f32, 0.5];
    /// let mut dx = [0.0f32; 4];
    /// HostRunner::new().geglu_backward(Exact, &x, &dout, &mut dx, 4)?;
    /// let mut v = x;
    /// HostRunner::new().geglu_backward_inplace(Exact, &mut v, &dout, 4)?;
    /// assert_eq!(v, dx);
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn geglu_backward_inplace<T: GeluFloat>(
        &self,
        approx: Approximation,
        x: &mut [T],
        dout: &[T],
        cols: usize,
    ) -> Result<(), GeluError> {
        let x = operand_mut(x);
        let call = fused::plan_geglu_backward(x, operand(dout), x, cols, std::mem::size_of::<T>())?;
        self.run_rows::<T>(approx, &call);
        Ok(())
    }

    /// GeGLU backward into two buffers (see [`crate::geglu_backward_split`]).
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, reference, Approximation::Tanh, DType};
    /// let (a, g, dout) = ([1.0f32, -0.5], [2.0f32, 3.0], [1.0f32, 0.5]);
    /// let (mut da, mut dg) = ([0.0f32; 2], [0.0f32; 2]);
    /// HostRunner::new().geglu_backward_split(Tanh, &a, &g, &dout, &mut da, &mut dg)?;
    /// let da0 = reference::backward(Tanh, 1.0, 2.0); // dout g GELU'(a)
    /// assert!(reference::ulp_error(DType::F32, da[0] as f64, da0) <= 5.0);
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn geglu_backward_split<T: GeluFloat>(
        &self,
        approx: Approximation,
        a: &[T],
        g: &[T],
        dout: &[T],
        da: &mut [T],
        dg: &mut [T],
    ) -> Result<(), GeluError> {
        let call = fused::plan_geglu_backward_split(
            operand(a),
            operand(g),
            operand(dout),
            operand_mut(da),
            operand_mut(dg),
        )?;
        self.run_rows::<T>(approx, &call);
        Ok(())
    }

    /// GeGLU backward writing `da` over `a` and `dg` over `g` (see
    /// [`crate::geglu_backward_split_inplace`]).
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, Approximation::Tanh};
    /// let (a, g, dout) = ([1.0f32, -0.5], [2.0f32, 3.0], [1.0f32, 0.5]);
    /// let (mut da, mut dg) = ([0.0f32; 2], [0.0f32; 2]);
    /// HostRunner::new().geglu_backward_split(Tanh, &a, &g, &dout, &mut da, &mut dg)?;
    /// let (mut a2, mut g2) = (a, g);
    /// HostRunner::new().geglu_backward_split_inplace(Tanh, &mut a2, &mut g2, &dout)?;
    /// assert_eq!((a2, g2), (da, dg));
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn geglu_backward_split_inplace<T: GeluFloat>(
        &self,
        approx: Approximation,
        a: &mut [T],
        g: &mut [T],
        dout: &[T],
    ) -> Result<(), GeluError> {
        let (a, g) = (operand_mut(a), operand_mut(g));
        let call = fused::plan_geglu_backward_split(a, g, operand(dout), a, g)?;
        self.run_rows::<T>(approx, &call);
        Ok(())
    }

    /// `y = GELU(x)`.
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, Approximation::Exact};
    /// let mut y = [0.0f32; 2];
    /// HostRunner::new().forward(Exact, &[f32::NEG_INFINITY, f32::INFINITY], &mut y)?;
    /// assert_eq!(y.map(f32::to_bits), [(-0.0f32).to_bits(), f32::INFINITY.to_bits()]); // never NaN
    /// assert!(HostRunner::new().forward(Exact, &[1.0f32], &mut y).is_err()); // lengths differ
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn forward<T: GeluFloat>(
        &self,
        approx: Approximation,
        x: &[T],
        y: &mut [T],
    ) -> Result<(), GeluError> {
        check_len("y", x.len(), y.len())?;
        self.forward_raw(approx, x.as_ptr(), y.as_mut_ptr(), x.len());
        Ok(())
    }

    /// `x = GELU(x)` (infallible; a `Result` like every other call).
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, reference, Approximation::Exact, DType};
    /// let mut v = [half::f16::from_f32(-3.0)];
    /// HostRunner::new().forward_inplace(Exact, &mut v)?;
    /// assert!(reference::ulp_error(DType::F16, v[0].to_f64(), reference::forward(Exact, -3.0)) <= 0.5);
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn forward_inplace<T: GeluFloat>(
        &self,
        approx: Approximation,
        x: &mut [T],
    ) -> Result<(), GeluError> {
        let p = x.as_mut_ptr();
        self.forward_raw(approx, p, p, x.len());
        Ok(())
    }

    /// `dx = dy * GELU'(x)`.
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, reference, Approximation::Sigmoid, DType};
    /// let (x, dy) = ([-2.0f32, 0.25], [1.0f32, -3.0]);
    /// let mut dx = [0.0f32; 2];
    /// HostRunner::new().backward(Sigmoid, &x, &dy, &mut dx)?;
    /// for i in 0..2 {
    ///     let exact = reference::backward(Sigmoid, x[i] as f64, dy[i] as f64);
    ///     assert!(reference::ulp_error(DType::F32, dx[i] as f64, exact) <= 3.5);
    /// }
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn backward<T: GeluFloat>(
        &self,
        approx: Approximation,
        x: &[T],
        dy: &[T],
        dx: &mut [T],
    ) -> Result<(), GeluError> {
        check_len("dy", x.len(), dy.len())?;
        check_len("dx", x.len(), dx.len())?;
        self.backward_raw(approx, x.as_ptr(), dy.as_ptr(), dx.as_mut_ptr(), x.len());
        Ok(())
    }

    /// `dy = dy * GELU'(x)`.
    ///
    /// ```
    /// use gelu_cuda::{host::HostRunner, Approximation::Exact};
    /// let x = [0.0f32, 40.0];
    /// let mut g = [2.0f32, 2.0];
    /// HostRunner::new().backward_inplace(Exact, &x, &mut g)?;
    /// assert_eq!(g, [1.0, 2.0]); // GELU'(0) = 1/2, GELU'(40) = 1
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn backward_inplace<T: GeluFloat>(
        &self,
        approx: Approximation,
        x: &[T],
        dy: &mut [T],
    ) -> Result<(), GeluError> {
        check_len("dy", x.len(), dy.len())?;
        let p = dy.as_mut_ptr();
        self.backward_raw(approx, x.as_ptr(), p, p, x.len());
        Ok(())
    }
}

/// `y = GELU(x)` with the default [`HostRunner`].
///
/// ```
/// use gelu_cuda::{host, Approximation::Tanh};
/// let mut y = [0.0f32; 2];
/// host::forward(Tanh, &[0.0f32, -100.0], &mut y)?;
/// assert_eq!(y.map(f32::to_bits), [0, (-0.0f32).to_bits()]); // GELU(-100) rounds to -0
/// # Ok::<(), gelu_cuda::GeluError>(())
/// ```
pub fn forward<T: GeluFloat>(approx: Approximation, x: &[T], y: &mut [T]) -> Result<(), GeluError> {
    HostRunner::new().forward(approx, x, y)
}

/// `x = GELU(x)` with the default [`HostRunner`].
///
/// ```
/// use gelu_cuda::{host, Approximation::Exact};
/// let mut v = [half::bf16::from_f32(f32::NAN)];
/// host::forward_inplace(Exact, &mut v)?;
/// assert!(v[0].is_nan());
/// # Ok::<(), gelu_cuda::GeluError>(())
/// ```
pub fn forward_inplace<T: GeluFloat>(approx: Approximation, x: &mut [T]) -> Result<(), GeluError> {
    HostRunner::new().forward_inplace(approx, x)
}

/// `dx = dy * GELU'(x)` with the default [`HostRunner`].
///
/// ```
/// use gelu_cuda::{host, Approximation::Exact};
/// let mut dx = [0.0f32; 1];
/// host::backward(Exact, &[0.0f32], &[4.0], &mut dx)?;
/// assert_eq!(dx, [2.0]); // 4 GELU'(0)
/// # Ok::<(), gelu_cuda::GeluError>(())
/// ```
pub fn backward<T: GeluFloat>(
    approx: Approximation,
    x: &[T],
    dy: &[T],
    dx: &mut [T],
) -> Result<(), GeluError> {
    HostRunner::new().backward(approx, x, dy, dx)
}

/// `dy = dy * GELU'(x)` with the default [`HostRunner`].
///
/// ```
/// use gelu_cuda::{host, Approximation::Sigmoid};
/// let mut g = [3.0f32];
/// host::backward_inplace(Sigmoid, &[f32::NEG_INFINITY], &mut g)?;
/// assert_eq!(g, [0.0]);
/// # Ok::<(), gelu_cuda::GeluError>(())
/// ```
pub fn backward_inplace<T: GeluFloat>(
    approx: Approximation,
    x: &[T],
    dy: &mut [T],
) -> Result<(), GeluError> {
    HostRunner::new().backward_inplace(approx, x, dy)
}
