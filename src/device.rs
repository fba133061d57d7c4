//! The GPU path: the kernels are loaded once per CUDA context and launched on the
//! caller's stream. A call validates its arguments, looks the kernel up, launches,
//! and returns: no host synchronisation, no allocation, no module load.

use std::cell::Cell;
use std::ffi::{c_void, CStr};
use std::sync::{Arc, Mutex};

use cudarc::driver::{
    result, sys, CudaContext, CudaFunction, CudaStream, DevicePtrMut, DeviceSlice,
};
use cudarc::nvrtc::Ptx;

use crate::error::check_len;
use crate::{ffi, Approximation, DType, DeviceBuffer, DeviceBufferMut, GeluError, GeluFloat};

static FATBIN: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/gelu_kernels.fatbin"));

/// The embedded fatbin: machine code for every supported architecture and PTX for
/// the newest, for inspection (`cuobjdump -sass`). Empty in documentation builds.
///
/// ```
/// // A fatbin begins with its magic number, 0xba55ed50 (little-endian).
/// assert_eq!(gelu_cuda::fatbin()[..4], [0x50, 0xed, 0x55, 0xba]);
/// ```
pub fn fatbin() -> &'static [u8] {
    FATBIN
}

const BLOCK: u32 = ffi::GELU_BLOCK_THREADS;
/// The ops launched through the kernel set, in ABI order (the surveys, a validation
/// tool, load their kernel when asked).
const OPS: [ffi::gelu_op; 11] = [
    ffi::gelu_op::GELU_OP_FORWARD,
    ffi::gelu_op::GELU_OP_BACKWARD,
    ffi::gelu_op::GELU_OP_BIAS_FORWARD,
    ffi::gelu_op::GELU_OP_BIAS_BACKWARD,
    ffi::gelu_op::GELU_OP_DBIAS_REDUCE,
    ffi::gelu_op::GELU_OP_GEGLU_FORWARD,
    ffi::gelu_op::GELU_OP_GEGLU_BACKWARD,
    ffi::gelu_op::GELU_OP_BIAS_FORWARD_FLAT,
    ffi::gelu_op::GELU_OP_GEGLU_FORWARD_FLAT,
    ffi::gelu_op::GELU_OP_GEGLU_BACKWARD_FLAT,
    ffi::gelu_op::GELU_OP_BIAS_BACKWARD_INPUT,
];

struct Kernel {
    function: CudaFunction,
    /// Blocks that fit on the device at once: multiprocessors times resident blocks.
    resident_blocks: u32,
}

/// Every kernel of the fatbin, loaded into one context.
struct KernelSet {
    module: Arc<cudarc::driver::CudaModule>,
    kernels: Vec<Kernel>,
}

fn index(op: ffi::gelu_op, approx: Approximation, dtype: DType) -> usize {
    (op as usize * Approximation::ALL.len() + approx as usize) * DType::ALL.len() + dtype as usize
}

impl KernelSet {
    fn load(ctx: &Arc<CudaContext>) -> Result<Self, GeluError> {
        let module = ctx
            .load_module(Ptx::from_binary(FATBIN.to_vec()))
            .map_err(GeluError::ModuleLoad)?;
        let sms =
            ctx.attribute(sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)?;
        let mut kernels =
            Vec::with_capacity(OPS.len() * Approximation::ALL.len() * DType::ALL.len());
        for op in OPS {
            for approx in Approximation::ALL {
                for dtype in DType::ALL {
                    assert_eq!(kernels.len(), index(op, approx, dtype), "OPS in ABI order");
                    // SAFETY: the ABI function returns a static string or NULL.
                    let name = unsafe { ffi::gelu_kernel_name(op, approx.abi(), dtype.abi()) };
                    assert!(!name.is_null(), "kernel table lacks a variant");
                    // SAFETY: non-null names are NUL-terminated string literals.
                    let name = unsafe { CStr::from_ptr(name) }
                        .to_str()
                        .expect("ASCII name");
                    let function = module.load_function(name).map_err(GeluError::ModuleLoad)?;
                    let per_sm =
                        function.occupancy_max_active_blocks_per_multiprocessor(BLOCK, 0, None)?;
                    kernels.push(Kernel {
                        function,
                        resident_blocks: (sms.max(1) as u32) * per_sm.max(1),
                    });
                }
            }
        }
        Ok(Self { module, kernels })
    }
}

static LOADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many times this process has loaded the kernels into a CUDA context: once per
/// context that ran a kernel, however many threads asked at the same time.
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// let ctx = gelu_cuda::cuda_context(0)?;
/// let s = ctx.default_stream();
/// let before = gelu_cuda::kernel_loads();
/// let mut v = s.clone_htod(&[1.0f32; 64])?;
/// gelu_cuda::forward_inplace(&s, gelu_cuda::Approximation::Exact, &mut v)?;
/// gelu_cuda::forward_inplace(&s, gelu_cuda::Approximation::Tanh, &mut v)?;
/// assert!(gelu_cuda::kernel_loads() <= before + 1); // at most this context's load
/// # Ok(()) }
/// ```
pub fn kernel_loads() -> usize {
    LOADS.load(std::sync::atomic::Ordering::SeqCst)
}

/// Loaded kernel sets by context handle. A set holds its context, so neither is ever
/// unloaded while the process runs and a handle is never reused for another
/// context: the sets are leaked, and a launch borrows its own without counting
/// references.
static SETS: Mutex<Vec<(usize, &'static KernelSet)>> = Mutex::new(Vec::new());

thread_local! {
    /// The set this thread launched from last: a thread nearly always launches in one
    /// context, and then takes no lock and writes nothing that other threads share.
    static LAST_SET: Cell<Option<(usize, &'static KernelSet)>> = const { Cell::new(None) };
}

fn kernel_set(ctx: &Arc<CudaContext>) -> Result<&'static KernelSet, GeluError> {
    let key = ctx.cu_ctx() as usize;
    if let Some((last, set)) = LAST_SET.get() {
        if last == key {
            return Ok(set);
        }
    }
    // Held across the load: a context's module is loaded exactly once however many
    // threads ask at the same time.
    let mut sets = SETS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let set = match sets.iter().find(|(k, _)| *k == key) {
        Some(&(_, set)) => set,
        None => {
            let set: &'static KernelSet = Box::leak(Box::new(KernelSet::load(ctx)?));
            LOADS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            sets.push((key, set));
            set
        }
    };
    LAST_SET.set(Some((key, set)));
    Ok(set)
}

/// Loads the kernels into `ctx` now; otherwise the first call on a context loads
/// them (once, whichever thread asks first). Call it before capturing a CUDA graph,
/// so that no module load falls inside the capture, or to keep the load's
/// milliseconds out of a timed loop. The loaded kernels hold `ctx` alive for the
/// rest of the process.
///
/// A capture needs a stream other than the legacy default one, and a context with a
/// second stream has cudarc's cross-stream event tracking on: every buffer access
/// would wait on and record an event inside the capture. Turn it off around the
/// capture (`CudaContext::disable_event_tracking`, unsafe: the program then orders
/// its streams itself), as `tests/gpu_reliability.rs` does.
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// let ctx = gelu_cuda::cuda_context(0)?;
/// gelu_cuda::load_kernels(&ctx)?;
/// let loads = gelu_cuda::kernel_loads();
/// let s = ctx.default_stream();
/// let mut v = s.clone_htod(&[1.0f32; 64])?;
/// gelu_cuda::forward_inplace(&s, gelu_cuda::Approximation::Exact, &mut v)?;
/// assert_eq!(gelu_cuda::kernel_loads(), loads); // nothing more to load
/// # Ok(()) }
/// ```
pub fn load_kernels(ctx: &Arc<CudaContext>) -> Result<(), GeluError> {
    kernel_set(ctx).map(drop)
}

/// Enough blocks that each thread has `GELU_UNROLL` vectors, at most what is resident.
fn grid_blocks(n: usize, elem_bytes: usize, resident_blocks: u32) -> u32 {
    let per_block =
        BLOCK as usize * (ffi::GELU_VECTOR_BYTES as usize / elem_bytes) * ffi::GELU_UNROLL as usize;
    n.div_ceil(per_block).clamp(1, resident_blocks as usize) as u32
}

pub(crate) fn check_context(
    stream: &CudaStream,
    operand: &'static str,
    other: &CudaStream,
) -> Result<(), GeluError> {
    if other.context().cu_ctx() == stream.context().cu_ctx() {
        Ok(())
    } else {
        Err(GeluError::ContextMismatch { operand })
    }
}

/// The alignment a buffer's elements need.
pub(crate) fn element_align<T>(_buffer: &impl DeviceSlice<T>) -> usize {
    std::mem::align_of::<T>()
}

/// Checks that a buffer starts at a multiple of its elements' alignment (every
/// address cudarc gives does, unless an `unsafe` transmute made it otherwise).
pub(crate) fn check_aligned(
    operand: &'static str,
    address: u64,
    align: usize,
) -> Result<(), GeluError> {
    if address.is_multiple_of(align as u64) {
        Ok(())
    } else {
        Err(GeluError::Misaligned {
            operand,
            address,
            align,
        })
    }
}

fn arg<P>(p: &P) -> *mut c_void {
    p as *const P as *mut c_void
}

/// Checks that a buffer belongs to the stream's context and takes its device
/// pointer for reading (`input!`) or writing (`output!`), refusing a misaligned one:
/// `((address, len), guard)`. The guard orders the buffer on the stream and must
/// outlive the launch.
macro_rules! input {
    ($stream:expr, $name:literal, $buf:expr) => {{
        $crate::device::check_context($stream, $name, $buf.stream())?;
        let align = $crate::device::element_align($buf);
        let (p, g) = $buf.device_ptr($stream);
        $crate::device::check_aligned($name, p, align)?;
        ((p, $buf.len()), g)
    }};
}

macro_rules! output {
    ($stream:expr, $name:literal, $buf:expr) => {{
        $crate::device::check_context($stream, $name, $buf.stream())?;
        let len = $buf.len();
        let align = $crate::device::element_align(&*$buf);
        let (p, g) = $buf.device_ptr_mut($stream);
        $crate::device::check_aligned($name, p, align)?;
        ((p, len), g)
    }};
}

pub(crate) use {input, output};

/// Launches kernel (op, approx, dtype) with `blocks(resident blocks)` blocks.
///
/// # Safety
/// `params` must match the kernel's signature, and the buffers it points to must
/// hold what the kernel touches and stay alive and ordered on `stream` (the callers
/// hold their guards across this call).
unsafe fn launch_on(
    stream: &CudaStream,
    op: ffi::gelu_op,
    approx: Approximation,
    dtype: DType,
    blocks: impl FnOnce(u32) -> u32,
    params: &mut [*mut c_void],
) -> Result<(), GeluError> {
    let set = kernel_set(stream.context())?;
    let kernel = &set.kernels[index(op, approx, dtype)];
    let grid = blocks(kernel.resident_blocks);
    // Taking the buffers' guards may have waited on their events; cudarc keeps a
    // failed wait on the context rather than returning it.
    stream.context().check_err()?;
    stream.context().bind_to_thread()?;
    result::launch_kernel(
        kernel.function.cu_function(),
        (grid, 1, 1),
        (BLOCK, 1, 1),
        0,
        stream.cu_stream(),
        params,
    )?;
    Ok(())
}

fn launch<T: GeluFloat>(
    stream: &CudaStream,
    op: ffi::gelu_op,
    approx: Approximation,
    n: usize,
    params: &mut [*mut c_void],
) -> Result<(), GeluError> {
    let elem = std::mem::size_of::<T>();
    // SAFETY: `params` are pointers of T's buffers, which the callers checked to hold
    // n elements, then n as u64: the flat kernels' signature.
    unsafe {
        launch_on(
            stream,
            op,
            approx,
            T::DTYPE,
            |resident| grid_blocks(n, elem, resident),
            params,
        )
    }
}

/// Launches a row-structured kernel (the fused ops): one work item per thread and
/// grid-stride loop, at most the resident blocks.
pub(crate) fn launch_rows<T: GeluFloat>(
    stream: &CudaStream,
    approx: Approximation,
    call: &crate::fused::RowsCall,
) -> Result<(), GeluError> {
    if call.items == 0 {
        return Ok(());
    }
    let blocks = |resident: u32| call.items.div_ceil(BLOCK as u64).clamp(1, resident as u64) as u32;
    let (op, dtype) = call.kernel::<T>();
    // SAFETY: the kernel takes one gelu_rows_args by value; its pointers are device
    // addresses of buffers the plan validated against the shape.
    unsafe { launch_on(stream, op, approx, dtype, blocks, &mut [arg(&call.args)]) }
}

/// Runs the fp32 accuracy survey kernel for (op, approx) over the bit patterns
/// `begin .. begin + count`, one statistics entry per grid thread, and returns them
/// (this synchronises the stream: it is a validation tool, not a hot path).
pub(crate) fn survey_f32(
    stream: &Arc<CudaStream>,
    op: ffi::gelu_op,
    approx: Approximation,
    begin: u64,
    count: u64,
    usual: bool,
) -> Result<Vec<ffi::gelu_survey_stats>, GeluError> {
    // Before the first driver call: the function lookup and the occupancy query
    // below act on the current context.
    stream.context().bind_to_thread()?;
    let set = kernel_set(stream.context())?;
    // SAFETY: the ABI function returns a static string or NULL.
    let name = unsafe { ffi::gelu_kernel_name(op, approx.abi(), DType::F32.abi()) };
    assert!(!name.is_null(), "kernel table lacks a survey");
    // SAFETY: non-null names are NUL-terminated string literals.
    let name = unsafe { CStr::from_ptr(name) }
        .to_str()
        .expect("ASCII name");
    let function = set
        .module
        .load_function(name)
        .map_err(GeluError::ModuleLoad)?;
    let per_sm = function
        .occupancy_max_active_blocks_per_multiprocessor(BLOCK, 0, None)?
        .max(1);
    let sms = stream
        .context()
        .attribute(sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)?
        .max(1) as u32;
    let blocks = count.div_ceil(BLOCK as u64).clamp(1, (sms * per_sm) as u64) as u32;
    let threads = blocks as usize * BLOCK as usize;
    // SAFETY: the kernel writes every entry (one per thread) before it is read.
    let mut stats = unsafe { stream.alloc::<SurveyStats>(threads) }?;
    let (ptr, guard) = stats.device_ptr_mut(stream);
    let args = ffi::gelu_survey_args {
        begin,
        count,
        usual: usual as u32,
        stats: ptr as usize as *mut _,
    };
    // SAFETY: the kernel takes one gelu_survey_args by value; `stats` holds one entry
    // per thread of the grid launched here.
    unsafe {
        result::launch_kernel(
            function.cu_function(),
            (blocks, 1, 1),
            (BLOCK, 1, 1),
            0,
            stream.cu_stream(),
            &mut [arg(&args)],
        )
    }?;
    drop(guard);
    Ok(stream
        .clone_dtoh(&stats)?
        .into_iter()
        .map(|s| s.0)
        .collect())
}

/// gelu_survey_stats as a device type.
#[derive(Clone, Copy)]
#[repr(transparent)]
struct SurveyStats(ffi::gelu_survey_stats);

// SAFETY: a plain C struct of doubles and integers.
unsafe impl cudarc::driver::DeviceRepr for SurveyStats {}

/// `y = GELU(x)` on `stream`.
///
/// Overlapping input and output views cannot be made: the borrow checker refuses a
/// mutable view of a buffer while another view of it is alive (use
/// [`forward_inplace`] to write over the input):
///
/// ```compile_fail
/// # fn f(stream: &std::sync::Arc<gelu_cuda::cudarc::driver::CudaStream>,
/// #      buf: &mut gelu_cuda::cudarc::driver::CudaSlice<f32>) {
/// let x = buf.slice(0..100);
/// let mut y = buf.slice_mut(50..150);
/// gelu_cuda::forward(stream, gelu_cuda::Approximation::Exact, &x, &mut y);
/// # }
/// ```
///
/// `x` and `y` are any of [`cudarc::driver::CudaSlice`], [`cudarc::driver::CudaView`]
/// and [`cudarc::driver::CudaViewMut`] (`y` mutable) of `f32`, [`half::f16`] or
/// [`half::bf16`], of equal length, in the stream's context. Views may start at any
/// element. The call only enqueues the kernel.
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// use gelu_cuda::Approximation;
/// let ctx = gelu_cuda::cuda_context(0)?;
/// let stream = ctx.default_stream();
/// let x = stream.clone_htod(&[-1.0f32, 0.0, 1.0])?;
/// let mut y = stream.alloc_zeros::<f32>(3)?;
/// gelu_cuda::forward(&stream, Approximation::Exact, &x, &mut y)?;
/// let y = stream.clone_dtoh(&y)?;
/// assert!((y[2] - 0.841_344_7).abs() < 1e-6);
/// # Ok(())
/// # }
/// ```
pub fn forward<T, X, Y>(
    stream: &CudaStream,
    approx: Approximation,
    x: &X,
    y: &mut Y,
) -> Result<(), GeluError>
where
    T: GeluFloat,
    X: DeviceBuffer<T>,
    Y: DeviceBufferMut<T>,
{
    let n = x.len();
    check_len("y", n, y.len())?;
    let ((x_ptr, _), _x_guard) = input!(stream, "x", x);
    let ((y_ptr, _), _y_guard) = output!(stream, "y", y);
    if n == 0 {
        return Ok(());
    }
    let len = n as u64;
    launch::<T>(
        stream,
        OPS[0],
        approx,
        n,
        &mut [arg(&x_ptr), arg(&y_ptr), arg(&len)],
    )
}

/// `x = GELU(x)` on `stream`, in place.
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// let ctx = gelu_cuda::cuda_context(0)?;
/// let stream = ctx.default_stream();
/// let mut x = stream.clone_htod(&[half::bf16::from_f32(2.0); 1000])?;
/// gelu_cuda::forward_inplace(&stream, gelu_cuda::Approximation::Tanh, &mut x)?;
/// # Ok(())
/// # }
/// ```
pub fn forward_inplace<T, X>(
    stream: &CudaStream,
    approx: Approximation,
    x: &mut X,
) -> Result<(), GeluError>
where
    T: GeluFloat,
    X: DeviceBufferMut<T>,
{
    let n = x.len();
    let ((x_ptr, _), _x_guard) = output!(stream, "x", x);
    if n == 0 {
        return Ok(());
    }
    let len = n as u64;
    launch::<T>(
        stream,
        OPS[0],
        approx,
        n,
        &mut [arg(&x_ptr), arg(&x_ptr), arg(&len)],
    )
}

/// `dx = dy * GELU'(x)` on `stream`: the backward of [`forward`].
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// let ctx = gelu_cuda::cuda_context(0)?;
/// let stream = ctx.default_stream();
/// let x = stream.clone_htod(&[0.5f32; 4096])?;
/// let dy = stream.clone_htod(&[1.0f32; 4096])?;
/// let mut dx = stream.alloc_zeros::<f32>(4096)?;
/// gelu_cuda::backward(&stream, gelu_cuda::Approximation::Exact, &x, &dy, &mut dx)?;
/// # Ok(())
/// # }
/// ```
pub fn backward<T, X, D, G>(
    stream: &CudaStream,
    approx: Approximation,
    x: &X,
    dy: &D,
    dx: &mut G,
) -> Result<(), GeluError>
where
    T: GeluFloat,
    X: DeviceBuffer<T>,
    D: DeviceBuffer<T>,
    G: DeviceBufferMut<T>,
{
    let n = x.len();
    check_len("dy", n, dy.len())?;
    check_len("dx", n, dx.len())?;
    let ((x_ptr, _), _x_guard) = input!(stream, "x", x);
    let ((dy_ptr, _), _dy_guard) = input!(stream, "dy", dy);
    let ((dx_ptr, _), _dx_guard) = output!(stream, "dx", dx);
    if n == 0 {
        return Ok(());
    }
    let len = n as u64;
    launch::<T>(
        stream,
        OPS[1],
        approx,
        n,
        &mut [arg(&x_ptr), arg(&dy_ptr), arg(&dx_ptr), arg(&len)],
    )
}

/// `dy = dy * GELU'(x)` on `stream`: the backward written over the incoming gradient.
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// let ctx = gelu_cuda::cuda_context(0)?;
/// let stream = ctx.default_stream();
/// let x = stream.clone_htod(&[0.5f32; 4096])?;
/// let mut grad = stream.clone_htod(&[1.0f32; 4096])?;
/// gelu_cuda::backward_inplace(&stream, gelu_cuda::Approximation::Sigmoid, &x, &mut grad)?;
/// # Ok(())
/// # }
/// ```
pub fn backward_inplace<T, X, G>(
    stream: &CudaStream,
    approx: Approximation,
    x: &X,
    dy: &mut G,
) -> Result<(), GeluError>
where
    T: GeluFloat,
    X: DeviceBuffer<T>,
    G: DeviceBufferMut<T>,
{
    let n = x.len();
    check_len("dy", n, dy.len())?;
    let ((x_ptr, _), _x_guard) = input!(stream, "x", x);
    let ((dy_ptr, _), _dy_guard) = output!(stream, "dy", dy);
    if n == 0 {
        return Ok(());
    }
    let len = n as u64;
    launch::<T>(
        stream,
        OPS[1],
        approx,
        n,
        &mut [arg(&x_ptr), arg(&dy_ptr), arg(&dy_ptr), arg(&len)],
    )
}

/// Whether a CUDA driver library can be loaded on this machine. Touching the driver
/// without one would abort inside cudarc; [`cuda_context`] checks this first.
///
/// ```
/// if !gelu_cuda::driver_available() {
///     // No libcuda: the host path still runs the same kernels.
///     assert!(matches!(gelu_cuda::cuda_context(0), Err(gelu_cuda::GeluError::NoDriver)));
/// }
/// ```
pub fn driver_available() -> bool {
    let names: &[&str] = if cfg!(windows) {
        &["nvcuda.dll"]
    } else {
        &["libcuda.so.1", "libcuda.so"]
    };
    names.iter().any(|name| {
        // SAFETY: loading the driver library runs no initialisation beyond its own.
        unsafe { libloading::Library::new(*name) }.is_ok()
    })
}

/// The primary context of GPU `ordinal`, with typed errors where cudarc would
/// panic: [`GeluError::NoDriver`] without a driver, [`GeluError::NoDevice`] without
/// a device.
///
/// ```
/// match gelu_cuda::cuda_context(0) {
///     Ok(ctx) => println!("running on {}", ctx.name().unwrap_or_default()),
///     Err(e) if e.is_no_gpu() => println!("no GPU here: {e}"),
///     Err(e) => println!("the GPU failed: {e}"),
/// }
/// ```
pub fn cuda_context(ordinal: usize) -> Result<Arc<CudaContext>, GeluError> {
    if !driver_available() {
        return Err(GeluError::NoDriver);
    }
    match result::init() {
        Err(e) if e.0 == sys::cudaError_enum::CUDA_ERROR_NO_DEVICE => {
            return Err(GeluError::NoDevice)
        }
        other => other?,
    }
    let count = CudaContext::device_count()?;
    if count <= 0 || ordinal >= count as usize {
        return Err(GeluError::NoDevice);
    }
    Ok(CudaContext::new(ordinal)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Addresses between elements are refused with the operand, address and alignment;
    /// element-aligned ones pass.
    #[test]
    fn misaligned_addresses_are_refused() {
        for (align, good, bad) in [
            (4, 0x7f00_0000_0104u64, 0x7f00_0000_0106u64),
            (2, 0x102, 0x101),
        ] {
            assert!(check_aligned("x", good, align).is_ok());
            match check_aligned("dx", bad, align) {
                Err(GeluError::Misaligned {
                    operand: "dx",
                    address,
                    align: a,
                }) => assert_eq!((address, a), (bad, align)),
                other => panic!("expected a misalignment, got {other:?}"),
            }
        }
    }

    /// Every op of the ABI before the surveys has its kernels in the set, each at the
    /// position `index` gives it, and every one is in the fatbin's name table.
    #[test]
    fn kernel_set_covers_every_launched_op() {
        assert_eq!(
            OPS.len(),
            ffi::gelu_op::GELU_OP_SURVEY_FORWARD as usize,
            "an op of the ABI is missing from OPS"
        );
        let mut position = 0;
        for (i, op) in OPS.into_iter().enumerate() {
            assert_eq!(op as usize, i, "OPS out of ABI order");
            for approx in Approximation::ALL {
                for dtype in DType::ALL {
                    assert_eq!(index(op, approx, dtype), position);
                    position += 1;
                    // SAFETY: the ABI function returns a static string or NULL.
                    let name = unsafe { ffi::gelu_kernel_name(op, approx.abi(), dtype.abi()) };
                    assert!(!name.is_null(), "{op:?} {approx} {dtype:?} has no kernel");
                }
            }
        }
    }
}
