//! Fused training ops: bias + GELU, its backward with the bias gradient, and GeGLU.
//!
//! Shapes are row-major and contiguous: `x` of `rows * cols` elements, a bias of
//! `cols`, with `cols` given to every op but the `_split` GeGLU forms, whose two
//! buffers are elementwise partners of any length (the buffers are flat; a bias or a
//! width that does not fit the buffers is a typed error). Every op computes in f32 and
//! rounds each output once to the storage type.
//!
//! - [`bias_gelu_forward`]: `y = GELU(s)`, `s = x + b` formed in f32.
//!   [`bias_gelu_forward_aux`] also stores `pre = s` rounded to the storage type (what
//!   cuBLASLt calls GELU_AUX_BIAS); for fp32 that is `s` itself.
//! - [`bias_gelu_backward`]: `dx = dy GELU'(pre)` at the *stored* `pre`, and
//!   `db = Σ_rows dx` (of the operands' type, or f32), summed in f32 from the
//!   unrounded `dx`: per column, rows are
//!   added in order within fixed chunks of rows (every row, or where the width is not
//!   a multiple of 8 and there are enough rows, every second, fourth or eighth: the
//!   sums then read whole 16-byte vectors, and the few rows left over are summed
//!   apart); those partial sums are added in order within interleaved groups, then
//!   the group sums in order, then the leftover rows' sum. The order
//!   ([`bias_gelu_backward_order`]) depends only on `(rows, cols)`, so `db` is
//!   bit-identical on every run, stream and operand offset on one device, and for
//!   fp32 (whose kernels use only IEEE operations) on every device and on the host
//!   path; fp16/bf16's `dx` comes from the GPU's approximate 2^x and 1/x, which the
//!   host only models. The error of `db` is at most
//!   `A 2^-24 Σ|dx_i| + 2^-17 Σ max(|dx_i|, |dy_i| m_i / 4) + Σ e_i` plus its final
//!   rounding, where `A` is [`BiasGradientOrder::additions`] (`chunk_rows +
//!   partials`, one more with leftover rows) and `m_i` the sum of the magnitudes of
//!   GELU''s two summands at `pre_i`
//!   ([`reference::derivative_summands`](crate::reference::derivative_summands)).
//!   The second term is `2^-17 Σ|dx_i|` but near GELU''s root (about
//!   `-1.0 < pre < -0.55` for the exact form), where the summands cancel and
//!   fp16/bf16's f32 arithmetic errs by their size, not the small result's. `e_i`,
//!   each term's own absolute error, matters only for an f32 `db` of tiny terms:
//!   `2^-147` (a term in f32's subnormal range is off by a few of its `2^-149`
//!   steps), and for fp16 operands of the tanh and sigmoid forms also
//!   `2^-17 |dx_i| + 2^-118 |dy_i|`: below `pre = -9`, where fp16 rounds `dx` to
//!   zero anyway, their f32 `dx` takes `e^-|v|` from an argument rounded at
//!   `|v| > 64` (measured over every fp16 input: `2^-16.2` relative) and is zero
//!   where `e^-|v|` falls under f32's normal range (at most `2^-118.4 |dy|`).
//! - [`bias_gelu_backward_from_input`]: the same, with `pre` formed from `x` and the
//!   bias as [`bias_gelu_forward_aux`] forms and stores it, for a forward that kept
//!   `x` instead (Megatron-LM's convention): the same bits as [`bias_gelu_backward`]
//!   at that stored `pre`.
//! - GeGLU, `out = GELU(a) g`: from one buffer of `[rows, 2H]` whose first half of
//!   each row is `a` and second half `g` (PyTorch's `a, g = x.chunk(2, dim=-1);
//!   F.gelu(a) * g`), or from two buffers. The backward gives `da = dout g GELU'(a)`
//!   and `dg = dout GELU(a)`, into one `[rows, 2H]` buffer or two.
//! - In-place forms, the same kernels and bits with one buffer fewer:
//!   [`bias_gelu_forward_inplace`] (`y` over `x`), [`bias_gelu_backward_inplace`]
//!   and [`bias_gelu_backward_from_input_inplace`] (`dx` over `dy`),
//!   [`geglu_backward_inplace`] and [`geglu_backward_split_inplace`] (the gradients
//!   over `a` and `g`). Each element is read and written by the same thread, so an
//!   operand can be both. GeGLU's forward has none: its output is half its input.
//!
//! ```no_run
//! # fn main() -> Result<(), gelu_cuda::GeluError> {
//! use gelu_cuda::Approximation::Tanh;
//! let ctx = gelu_cuda::cuda_context(0)?;
//! let s = ctx.default_stream();
//! let (rows, cols) = (4096, 1024);
//! let x = s.clone_htod(&vec![0.5f32; rows * cols])?;
//! let b = s.clone_htod(&vec![0.1f32; cols])?;
//! let mut y = s.alloc_zeros::<f32>(rows * cols)?;
//! let mut pre = s.alloc_zeros::<f32>(rows * cols)?;
//! gelu_cuda::bias_gelu_forward_aux(&s, Tanh, &x, &b, &mut y, &mut pre, cols)?;
//!
//! let dy = s.clone_htod(&vec![1.0f32; rows * cols])?;
//! let mut dx = s.alloc_zeros::<f32>(rows * cols)?;
//! let mut db = s.alloc_zeros::<f32>(cols)?;
//! let mut ws = gelu_cuda::bias_gelu_backward_workspace(&s, rows, cols)?;
//! gelu_cuda::bias_gelu_backward(&s, Tanh, &pre, &dy, &mut dx, &mut db, &mut ws, cols)?;
//! # Ok(()) }
//! ```

use std::sync::Arc;

use cudarc::driver::{CudaSlice, CudaStream};

use crate::device::{input, launch_rows, output};
use crate::error::{check_alloc_len, check_len, matrix_rows};
use crate::{ffi, Approximation, DType, DeviceBuffer, DeviceBufferMut, GeluError, GeluFloat};

/// One launch of a row-structured kernel: the op, its operands, its work items.
pub(crate) struct RowsCall {
    pub op: ffi::gelu_op,
    pub args: ffi::gelu_rows_args,
    pub items: u64,
    /// The kernel of this dtype instead of the operands' (the bias gradient's
    /// reductions: f32 group sums, and db in its own type).
    pub dtype: Option<DType>,
}

impl RowsCall {
    /// A launch of `op`'s kernel for the operands' own dtype.
    fn new(op: ffi::gelu_op, args: ffi::gelu_rows_args, items: u64) -> Self {
        Self {
            op,
            args,
            items,
            dtype: None,
        }
    }

    /// A launch of the bias gradient's reduction writing `dtype`.
    fn dbias_reduce(args: ffi::gelu_rows_args, items: u64, dtype: DType) -> Self {
        Self {
            dtype: Some(dtype),
            ..Self::new(ffi::gelu_op::GELU_OP_DBIAS_REDUCE, args, items)
        }
    }

    /// The kernel to launch for an op on `T`, as (op, dtype): the op's own kernel,
    /// or for operands whose rows do not all hold whole 16-byte vectors its `_FLAT`
    /// one, as the kernel sources decide (`gelu_rows_kernel`).
    pub fn kernel<T: GeluFloat>(&self) -> (ffi::gelu_op, DType) {
        let dtype = self.dtype.unwrap_or(T::DTYPE);
        // SAFETY: reads the argument struct, which outlives the call.
        let op = unsafe { ffi::gelu_rows_kernel(self.op, dtype.abi(), &self.args) };
        (op, dtype)
    }
}

/// An operand as (address, length in elements).
pub(crate) type Operand = (u64, usize);

fn args(rows: usize, cols: usize) -> ffi::gelu_rows_args {
    ffi::gelu_rows_args {
        in_: [std::ptr::null(); 3],
        in_stride: [0; 3],
        out: [std::ptr::null_mut(); 2],
        out_stride: [0; 2],
        partial: std::ptr::null_mut(),
        rows: rows as u64,
        cols: cols as u64,
        chunk_rows: 0,
    }
}

fn ptr(addr: u64) -> *const std::ffi::c_void {
    addr as usize as *const std::ffi::c_void
}

fn ptr_mut(addr: u64) -> *mut std::ffi::c_void {
    addr as usize as *mut std::ffi::c_void
}

/// Work items the bias gradient's first stage aims for: enough (chunk, column
/// vector) pairs to fill a large GPU, few enough that the partial sums stay small.
const DBIAS_ITEMS: usize = 1 << 17;
/// Rows per chunk at least, so that a chunk's reads are worth a work item.
const DBIAS_MIN_CHUNK: usize = 16;
/// Elements whose multiple a row of the bias gradient's first stage must be to hold
/// whole 16-byte vectors in every dtype.
const DBIAS_VECTOR: usize = 8;

/// The order [`bias_gelu_backward`] adds the bias gradient in: a function of the
/// shape alone, which is what makes the gradient bit-reproducible.
///
/// The first stage reads the first `rows - tail_rows` rows of the `rows` x `cols`
/// gradient as rows of `fold * cols`, `fold` rows end to end (the fewest rows, 1,
/// 2, 4 or 8, whose width is a multiple of 8, so that its rows are whole 16-byte
/// vectors; 1 where there are fewer rows than that, or `fold * cols` would not fit
/// a `usize`), and sums each of its columns over chunks of `chunk_rows` of its
/// rows, in order. That gives `partials` sums per column `c` of the gradient: sum
/// `k * fold + f` adds the rows `(k * chunk_rows + j) * fold + f`, `j = 0, 1, ...`.
/// The partial sums are added in `groups` interleaved groups (sum `p` in group
/// `p mod groups`), in order, then the group sums in order; last, the sum of the
/// `tail_rows` rows left over (`rows mod fold`), added in order.
///
/// ```
/// let o = gelu_cuda::bias_gelu_backward_order(4096, 64);
/// assert_eq!((o.fold, o.chunk_rows, o.partials, o.groups, o.tail_rows), (1, 16, 256, 16, 0));
/// let o = gelu_cuda::bias_gelu_backward_order(4096, 4098);
/// assert_eq!((o.fold, o.chunk_rows, o.partials, o.groups, o.tail_rows), (4, 17, 244, 4, 0));
/// let o = gelu_cuda::bias_gelu_backward_order(4094, 4098);
/// assert_eq!((o.fold, o.chunk_rows, o.partials, o.groups, o.tail_rows), (4, 17, 244, 4, 2));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BiasGradientOrder {
    /// Rows of the gradient read as one row of the first stage.
    pub fold: usize,
    /// First-stage rows per partial sum.
    pub chunk_rows: usize,
    /// Partial sums per column of the gradient.
    pub partials: usize,
    /// Interleaved groups the partial sums are added in.
    pub groups: usize,
    /// Rows after the folded ones (`rows mod fold`), summed apart and added last.
    pub tail_rows: usize,
}

impl BiasGradientOrder {
    /// A bound on the chain of additions behind one element of the gradient,
    /// `chunk_rows + partials`, plus one for the tail rows' sum where there is one:
    /// the factor of its error bound ([module docs](crate::fused)).
    ///
    /// ```
    /// let o = gelu_cuda::bias_gelu_backward_order(4094, 4098); // 2 rows left over
    /// assert_eq!(o.additions(), o.chunk_rows + o.partials + 1);
    /// ```
    pub fn additions(&self) -> usize {
        self.chunk_rows + self.partials + usize::from(self.tail_rows > 0)
    }

    /// Rows of group sums after the partial sums in the workspace: none for one
    /// group, whose sum the final reduction forms from the partial sums directly.
    fn group_rows(&self) -> usize {
        if self.groups > 1 {
            self.groups
        } else {
            0
        }
    }

    /// Rows of `cols` floats in the workspace: the partial sums, the group sums, and
    /// the tail rows' sum, in that order.
    fn workspace_rows(&self) -> usize {
        self.partials + self.group_rows() + usize::from(self.tail_rows > 0)
    }
}

/// How [`bias_gelu_backward`] adds up a `rows` x `cols` bias gradient (see
/// [`BiasGradientOrder`]). The group count is the largest divisor of the partial
/// sums not above their square root, so that each of the two reduction launches
/// adds few terms per thread over many threads (a single level left 4096 threads
/// each waiting out hundreds of loads in a row: 32 us on an H200).
///
/// ```
/// // 8192 rows of 4096 in chunks of 32 rows: 256 partial sums, in 16 groups.
/// let o = gelu_cuda::bias_gelu_backward_order(8192, 4096);
/// assert_eq!((o.chunk_rows, o.partials, o.groups), (32, 256, 16));
/// assert_eq!(o.additions(), 32 + 256);
/// ```
pub fn bias_gelu_backward_order(rows: usize, cols: usize) -> BiasGradientOrder {
    // The fewest rows whose width is a multiple of DBIAS_VECTOR (a power of two).
    let fold = DBIAS_VECTOR >> cols.trailing_zeros().min(DBIAS_VECTOR.trailing_zeros());
    let fold = if rows >= fold && cols <= usize::MAX / fold {
        fold
    } else {
        1
    };
    let tail_rows = rows % fold;
    let (rows, cols) = (rows / fold, cols * fold);
    let column_items = cols.div_ceil(8).max(1);
    let chunks = (DBIAS_ITEMS / column_items).clamp(1, rows.div_ceil(DBIAS_MIN_CHUNK).max(1));
    let chunk_rows = rows.div_ceil(chunks).max(1);
    let partials = rows.div_ceil(chunk_rows) * fold;
    let groups = (1..=partials)
        .take_while(|g| g * g <= partials)
        .filter(|g| partials % g == 0)
        .last()
        .unwrap_or(1);
    BiasGradientOrder {
        fold,
        chunk_rows,
        partials,
        groups,
        tail_rows,
    }
}

/// Floats of workspace [`bias_gelu_backward`] needs for a `rows` x `cols` gradient:
/// the partial sums, the group sums where there is more than one group, and the
/// tail rows' sum where there is one (`usize::MAX` where that does not fit).
///
/// ```
/// assert_eq!(gelu_cuda::bias_gelu_backward_workspace_len(4096, 1024), (256 + 16) * 1024);
/// ```
pub fn bias_gelu_backward_workspace_len(rows: usize, cols: usize) -> usize {
    bias_gelu_backward_order(rows, cols)
        .workspace_rows()
        .saturating_mul(cols)
}

pub(crate) fn plan_bias_forward(
    x: Operand,
    b: Operand,
    y: Operand,
    pre: Option<Operand>,
    cols: usize,
) -> Result<RowsCall, GeluError> {
    let rows = matrix_rows("x", x.1, cols)?;
    check_len("bias", cols, b.1)?;
    check_len("y", x.1, y.1)?;
    if let Some(p) = pre {
        check_len("pre", x.1, p.1)?;
    }
    let mut a = args(rows, cols);
    a.in_ = [ptr(x.0), ptr(b.0), std::ptr::null()];
    a.in_stride = [cols as u64, 0, 0];
    a.out = [
        ptr_mut(y.0),
        pre.map_or(std::ptr::null_mut(), |p| ptr_mut(p.0)),
    ];
    a.out_stride = [cols as u64; 2];
    Ok(RowsCall::new(
        ffi::gelu_op::GELU_OP_BIAS_FORWARD,
        a,
        x.1 as u64,
    ))
}

/// Where the bias backward takes GELU': at a stored pre-activation, or at the one
/// formed from `x` and the bias as the forward stores it.
#[derive(Clone, Copy)]
pub(crate) enum BiasPoint {
    Pre(Operand),
    Input { x: Operand, bias: Operand },
}

impl BiasPoint {
    /// The matrix operand the rows are counted in, with its parameter's name.
    pub(crate) fn matrix(self) -> (&'static str, Operand) {
        match self {
            Self::Pre(pre) => ("pre", pre),
            Self::Input { x, .. } => ("x", x),
        }
    }
}

/// The stages of the bias gradient ([`BiasGradientOrder`]): the partial sums and the
/// tail rows' sum, then (where there is more than one group) the group sums, each in
/// f32, then db (`elem` bytes per element of the operands). The first launch sees
/// the gradient's folded rows as `rows / fold` rows of `fold * cols`; its sums for
/// chunk k, columns `f * cols + c`, land in partial row `k * fold + f`. The tail
/// rows, as one chunk, land after the group sums, where the final reduction reads
/// them last. The group launch reads the partial sums as a matrix of `partials /
/// groups` rows of `groups * cols` columns, so column `g * cols + c` adds the
/// partial sums `g, g + groups, ...` of column c: the reduction kernel of f32 serves
/// it unchanged.
pub(crate) fn plan_bias_backward(
    point: BiasPoint,
    dy: Operand,
    dx: Operand,
    db: Operand,
    workspace: Operand,
    cols: usize,
    (elem, db_dtype): (usize, DType),
) -> Result<[RowsCall; 4], GeluError> {
    let (name, first) = point.matrix();
    let (op, bias) = match point {
        BiasPoint::Pre(_) => (ffi::gelu_op::GELU_OP_BIAS_BACKWARD, None),
        BiasPoint::Input { bias, .. } => (ffi::gelu_op::GELU_OP_BIAS_BACKWARD_INPUT, Some(bias)),
    };
    let rows = matrix_rows(name, first.1, cols)?;
    if let Some(b) = bias {
        check_len("bias", cols, b.1)?;
    }
    check_len("dy", first.1, dy.1)?;
    check_len("dx", first.1, dx.1)?;
    check_len("dbias", cols, db.1)?;
    // The bias, and the columns after which it repeats in a row read as several.
    let (bias_ptr, bias_period) = bias.map_or((std::ptr::null(), 0), |b| (ptr(b.0), cols as u64));
    let required = bias_gelu_backward_workspace_len(rows, cols);
    if workspace.1 < required {
        return Err(GeluError::WorkspaceTooSmall {
            required,
            actual: workspace.1,
        });
    }
    let order = bias_gelu_backward_order(rows, cols);
    let group_rows = order.group_rows();
    let BiasGradientOrder {
        fold,
        chunk_rows,
        partials,
        groups,
        tail_rows,
    } = order;
    let folded_rows = rows - tail_rows;
    let mut partial = args(folded_rows / fold, cols * fold);
    partial.in_ = [ptr(first.0), ptr(dy.0), bias_ptr];
    partial.in_stride[2] = bias_period;
    partial.out = [ptr_mut(dx.0), std::ptr::null_mut()];
    partial.partial = ptr_mut(workspace.0) as *mut f32;
    partial.chunk_rows = chunk_rows as u64;
    // The group sums follow the partial sums in the workspace; with one group there
    // are none, and the final reduction reads the partial sums.
    let (sums_at, sum_rows) = if group_rows > 0 {
        (partials * cols, group_rows)
    } else {
        (0, partials)
    };
    let sums = partial.partial.wrapping_add(sums_at);
    let tail_at = (folded_rows * cols * elem) as u64;
    let mut tail = args(tail_rows, cols);
    tail.in_ = [ptr(first.0 + tail_at), ptr(dy.0 + tail_at), bias_ptr];
    tail.in_stride[2] = bias_period;
    tail.out = [ptr_mut(dx.0 + tail_at), std::ptr::null_mut()];
    tail.partial = sums.wrapping_add(sum_rows * cols);
    tail.chunk_rows = tail_rows as u64;
    let tail_sums = usize::from(tail_rows > 0);
    let mut by_group = args(partials / groups, groups * cols);
    by_group.out = [sums as *mut std::ffi::c_void, std::ptr::null_mut()];
    by_group.partial = partial.partial;
    let mut reduce = args(sum_rows + tail_sums, cols);
    reduce.out = [ptr_mut(db.0), std::ptr::null_mut()];
    reduce.partial = sums;
    Ok([
        RowsCall::new(op, partial, (partials * cols) as u64),
        RowsCall::new(op, tail, (tail_sums * cols) as u64),
        RowsCall::dbias_reduce(by_group, (group_rows * cols) as u64, DType::F32),
        RowsCall::dbias_reduce(reduce, cols as u64, db_dtype),
    ])
}

/// The address `h` elements past `base`: where a row's second half starts. Only
/// rows bound `h` by the buffer's length; without rows, `h` can be anything and the
/// address is never used, so it is then `base` itself rather than an overflow.
fn second_half(base: u64, rows: usize, h: usize, elem: usize) -> u64 {
    if rows == 0 {
        base
    } else {
        base + (h * elem) as u64
    }
}

fn half_width(cols: usize) -> Result<usize, GeluError> {
    if cols % 2 == 1 {
        Err(GeluError::OddLastDimension { cols })
    } else {
        Ok(cols / 2)
    }
}

/// GeGLU forward from `[rows, cols]` halves (`elem` bytes per element).
pub(crate) fn plan_geglu_forward(
    x: Operand,
    out: Operand,
    cols: usize,
    elem: usize,
) -> Result<RowsCall, GeluError> {
    let h = half_width(cols)?;
    let rows = matrix_rows("x", x.1, cols)?;
    check_len("out", rows * h, out.1)?;
    let mut a = args(rows, h);
    a.in_ = [
        ptr(x.0),
        ptr(second_half(x.0, rows, h, elem)),
        std::ptr::null(),
    ];
    a.in_stride = [cols as u64, cols as u64, 0];
    a.out = [ptr_mut(out.0), std::ptr::null_mut()];
    a.out_stride = [h as u64, 0];
    Ok(RowsCall::new(
        ffi::gelu_op::GELU_OP_GEGLU_FORWARD,
        a,
        out.1 as u64,
    ))
}

/// GeGLU forward from two buffers of equal length (one row).
pub(crate) fn plan_geglu_forward_split(
    a_: Operand,
    g: Operand,
    out: Operand,
) -> Result<RowsCall, GeluError> {
    check_len("g", a_.1, g.1)?;
    check_len("out", a_.1, out.1)?;
    let mut a = args(1, a_.1);
    a.in_ = [ptr(a_.0), ptr(g.0), std::ptr::null()];
    a.out = [ptr_mut(out.0), std::ptr::null_mut()];
    Ok(RowsCall::new(
        ffi::gelu_op::GELU_OP_GEGLU_FORWARD,
        a,
        a_.1 as u64,
    ))
}

/// GeGLU backward into `[rows, cols]` halves.
pub(crate) fn plan_geglu_backward(
    x: Operand,
    dout: Operand,
    dx: Operand,
    cols: usize,
    elem: usize,
) -> Result<RowsCall, GeluError> {
    let h = half_width(cols)?;
    let rows = matrix_rows("x", x.1, cols)?;
    check_len("dout", rows * h, dout.1)?;
    check_len("dx", x.1, dx.1)?;
    let mut a = args(rows, h);
    a.in_ = [ptr(x.0), ptr(second_half(x.0, rows, h, elem)), ptr(dout.0)];
    a.in_stride = [cols as u64, cols as u64, h as u64];
    a.out = [ptr_mut(dx.0), ptr_mut(second_half(dx.0, rows, h, elem))];
    a.out_stride = [cols as u64; 2];
    Ok(RowsCall::new(
        ffi::gelu_op::GELU_OP_GEGLU_BACKWARD,
        a,
        dout.1 as u64,
    ))
}

/// GeGLU backward with separate buffers (one row).
pub(crate) fn plan_geglu_backward_split(
    a_: Operand,
    g: Operand,
    dout: Operand,
    da: Operand,
    dg: Operand,
) -> Result<RowsCall, GeluError> {
    for (name, o) in [("g", g), ("dout", dout), ("da", da), ("dg", dg)] {
        check_len(name, a_.1, o.1)?;
    }
    let mut a = args(1, a_.1);
    a.in_ = [ptr(a_.0), ptr(g.0), ptr(dout.0)];
    a.out = [ptr_mut(da.0), ptr_mut(dg.0)];
    Ok(RowsCall::new(
        ffi::gelu_op::GELU_OP_GEGLU_BACKWARD,
        a,
        a_.1 as u64,
    ))
}

/// Checks every operand's context, then launches `calls` in order on `stream`;
/// the guards keep the buffers ordered on the stream until the launches are queued.
fn run<T: GeluFloat>(
    stream: &CudaStream,
    approx: Approximation,
    calls: &[RowsCall],
) -> Result<(), GeluError> {
    for call in calls {
        launch_rows::<T>(stream, approx, call)?;
    }
    Ok(())
}

/// `y = GELU(x + b)`, `x` of `rows * cols` elements, `bias` of `cols` (given, so that
/// a bias of another width is an error, not a broadcast over a different shape).
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// # let s = gelu_cuda::cuda_context(0)?.default_stream();
/// use gelu_cuda::Approximation::Exact;
/// let (rows, cols) = (512, 3072);
/// let x = s.clone_htod(&vec![half::bf16::from_f32(0.5); rows * cols])?;
/// let b = s.clone_htod(&vec![half::bf16::from_f32(-0.25); cols])?;
/// let mut y = s.alloc_zeros::<half::bf16>(rows * cols)?;
/// gelu_cuda::bias_gelu_forward(&s, Exact, &x, &b, &mut y, cols)?;
/// # Ok(()) }
/// ```
pub fn bias_gelu_forward<T, X, B, Y>(
    stream: &CudaStream,
    approx: Approximation,
    x: &X,
    bias: &B,
    y: &mut Y,
    cols: usize,
) -> Result<(), GeluError>
where
    T: GeluFloat,
    X: DeviceBuffer<T>,
    B: DeviceBuffer<T>,
    Y: DeviceBufferMut<T>,
{
    let (x, _gx) = input!(stream, "x", x);
    let (b, _gb) = input!(stream, "bias", bias);
    let (y, _gy) = output!(stream, "y", y);
    let call = plan_bias_forward(x, b, y, None, cols)?;
    run::<T>(stream, approx, &[call])
}

/// `x = GELU(x + b)`: [`bias_gelu_forward`] writing over its input, for inference (a
/// backward needs `x` kept, [`bias_gelu_backward_from_input`], or the pre-activation
/// stored, [`bias_gelu_forward_aux`]).
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// # let s = gelu_cuda::cuda_context(0)?.default_stream();
/// use gelu_cuda::Approximation::Exact;
/// let (rows, cols) = (512, 3072);
/// let mut x = s.clone_htod(&vec![half::bf16::from_f32(0.5); rows * cols])?;
/// let b = s.clone_htod(&vec![half::bf16::from_f32(-0.25); cols])?;
/// gelu_cuda::bias_gelu_forward_inplace(&s, Exact, &mut x, &b, cols)?;
/// # Ok(()) }
/// ```
pub fn bias_gelu_forward_inplace<T, X, B>(
    stream: &CudaStream,
    approx: Approximation,
    x: &mut X,
    bias: &B,
    cols: usize,
) -> Result<(), GeluError>
where
    T: GeluFloat,
    X: DeviceBufferMut<T>,
    B: DeviceBuffer<T>,
{
    let (b, _gb) = input!(stream, "bias", bias);
    let (x, _gx) = output!(stream, "x", x);
    let call = plan_bias_forward(x, b, x, None, cols)?;
    run::<T>(stream, approx, &[call])
}

/// `y = GELU(x + b)` and `pre = x + b` (rounded to the storage type), for
/// [`bias_gelu_backward`]; shapes as in [`bias_gelu_forward`].
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// # let s = gelu_cuda::cuda_context(0)?.default_stream();
/// use gelu_cuda::Approximation::Tanh;
/// let (rows, cols) = (512, 3072);
/// let x = s.clone_htod(&vec![0.5f32; rows * cols])?;
/// let b = s.clone_htod(&vec![-0.25f32; cols])?;
/// let (mut y, mut pre) = (s.alloc_zeros::<f32>(rows * cols)?, s.alloc_zeros::<f32>(rows * cols)?);
/// gelu_cuda::bias_gelu_forward_aux(&s, Tanh, &x, &b, &mut y, &mut pre, cols)?;
/// # Ok(()) }
/// ```
pub fn bias_gelu_forward_aux<T, X, B, Y, P>(
    stream: &CudaStream,
    approx: Approximation,
    x: &X,
    bias: &B,
    y: &mut Y,
    pre: &mut P,
    cols: usize,
) -> Result<(), GeluError>
where
    T: GeluFloat,
    X: DeviceBuffer<T>,
    B: DeviceBuffer<T>,
    Y: DeviceBufferMut<T>,
    P: DeviceBufferMut<T>,
{
    let (x, _gx) = input!(stream, "x", x);
    let (b, _gb) = input!(stream, "bias", bias);
    let (y, _gy) = output!(stream, "y", y);
    let (p, _gp) = output!(stream, "pre", pre);
    let call = plan_bias_forward(x, b, y, Some(p), cols)?;
    run::<T>(stream, approx, &[call])
}

/// `dx = dy GELU'(pre)` and `dbias = Σ_rows dx` (`pre`, `dy`, `dx` of `rows * cols`,
/// `dbias` of `cols`), in the
/// order of [`bias_gelu_backward_order`]: two to four launches on `stream` (the
/// partial sums with `dx`, the leftover rows' sum where the rows fold, the group sums
/// where there is more than one group, and `dbias`), one on zero rows. `workspace`
/// holds at least [`bias_gelu_backward_workspace_len`] floats (see
/// [`bias_gelu_backward_workspace`]).
/// With zero rows, `dbias` is set to zeros (the sum of no rows).
///
/// `dbias` is of the operands' type or of `f32` (any of the three types works: the
/// f32 sums rounded once to it): with fp16/bf16 activations and f32 master weights,
/// an f32 bias gradient is the same f32 sums without their rounding to 8 or 11
/// bits, and needs no cast afterwards.
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// # let s = gelu_cuda::cuda_context(0)?.default_stream();
/// use gelu_cuda::Approximation::Exact;
/// use half::bf16;
/// let (rows, cols) = (4096, 1024);
/// let pre = s.clone_htod(&vec![bf16::from_f32(-0.5); rows * cols])?;
/// let dy = s.clone_htod(&vec![bf16::ONE; rows * cols])?;
/// let mut dx = s.alloc_zeros::<bf16>(rows * cols)?;
/// let mut db = s.alloc_zeros::<f32>(cols)?; // or bf16
/// let mut ws = gelu_cuda::bias_gelu_backward_workspace(&s, rows, cols)?;
/// gelu_cuda::bias_gelu_backward(&s, Exact, &pre, &dy, &mut dx, &mut db, &mut ws, cols)?;
/// # Ok(()) }
/// ```
#[allow(clippy::too_many_arguments)]
pub fn bias_gelu_backward<T, DB, P, D, G, B, W>(
    stream: &CudaStream,
    approx: Approximation,
    pre: &P,
    dy: &D,
    dx: &mut G,
    dbias: &mut B,
    workspace: &mut W,
    cols: usize,
) -> Result<(), GeluError>
where
    T: GeluFloat,
    P: DeviceBuffer<T>,
    D: DeviceBuffer<T>,
    G: DeviceBufferMut<T>,
    DB: GeluFloat,
    B: DeviceBufferMut<DB>,
    W: DeviceBufferMut<f32>,
{
    let (p, _gp) = input!(stream, "pre", pre);
    let (d, _gd) = input!(stream, "dy", dy);
    let (x, _gx) = output!(stream, "dx", dx);
    run_bias_backward::<T, DB, _, _>(
        stream,
        approx,
        BiasPoint::Pre(p),
        [d, x],
        dbias,
        workspace,
        cols,
    )
}

/// [`bias_gelu_backward`] writing `dx` over `dy` (`dy` in, `dx` out), so that the
/// backward needs no buffer of its own for `dx`; `dbias` is the same, bit for bit.
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// # let s = gelu_cuda::cuda_context(0)?.default_stream();
/// use gelu_cuda::Approximation::Exact;
/// use half::bf16;
/// let (rows, cols) = (4096, 1024);
/// let pre = s.clone_htod(&vec![bf16::from_f32(-0.5); rows * cols])?;
/// let mut grad = s.clone_htod(&vec![bf16::ONE; rows * cols])?; // dy, then dx
/// let mut db = s.alloc_zeros::<f32>(cols)?;
/// let mut ws = gelu_cuda::bias_gelu_backward_workspace(&s, rows, cols)?;
/// gelu_cuda::bias_gelu_backward_inplace(&s, Exact, &pre, &mut grad, &mut db, &mut ws, cols)?;
/// # Ok(()) }
/// ```
pub fn bias_gelu_backward_inplace<T, DB, P, G, B, W>(
    stream: &CudaStream,
    approx: Approximation,
    pre: &P,
    dy: &mut G,
    dbias: &mut B,
    workspace: &mut W,
    cols: usize,
) -> Result<(), GeluError>
where
    T: GeluFloat,
    P: DeviceBuffer<T>,
    G: DeviceBufferMut<T>,
    DB: GeluFloat,
    B: DeviceBufferMut<DB>,
    W: DeviceBufferMut<f32>,
{
    let (p, _gp) = input!(stream, "pre", pre);
    let (d, _gd) = output!(stream, "dy", dy);
    run_bias_backward::<T, DB, _, _>(
        stream,
        approx,
        BiasPoint::Pre(p),
        [d, d],
        dbias,
        workspace,
        cols,
    )
}

/// Checks `dbias` and the workspace (after the caller's operands, in the order every
/// bias backward reports errors in), then plans and launches a bias backward on the
/// checked operands `[dy, dx]` (one buffer in place), the caller holding their
/// guards.
fn run_bias_backward<T, DB, B, W>(
    stream: &CudaStream,
    approx: Approximation,
    point: BiasPoint,
    [dy, dx]: [Operand; 2],
    dbias: &mut B,
    workspace: &mut W,
    cols: usize,
) -> Result<(), GeluError>
where
    T: GeluFloat,
    DB: GeluFloat,
    B: DeviceBufferMut<DB>,
    W: DeviceBufferMut<f32>,
{
    let (db, _gb) = output!(stream, "dbias", dbias);
    let (workspace, _gw) = output!(stream, "workspace", workspace);
    let shape = (std::mem::size_of::<T>(), DB::DTYPE);
    let calls = plan_bias_backward(point, dy, dx, db, workspace, cols, shape)?;
    run::<T>(stream, approx, &calls)
}

/// [`bias_gelu_backward`] for a forward that kept its input and bias instead of the
/// pre-activation (Megatron-LM's convention): `dx = dy GELU'(pre)` and
/// `db = Σ_rows dx`, with `pre` formed here as [`bias_gelu_forward_aux`] forms and
/// stores it (`x + b` in f32, rounded to the storage type), so the results are
/// [`bias_gelu_backward`]'s at that `pre`, bit for bit: the same order, workspace and
/// bounds. A training step can then run the forward that writes `y` alone
/// ([`bias_gelu_forward`]: `x` in, `y` out, no `pre`), and one buffer fewer lives
/// between the passes. `bias` has `cols` elements, as in the forward.
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// # let s = gelu_cuda::cuda_context(0)?.default_stream();
/// use gelu_cuda::Approximation::Exact;
/// use half::bf16;
/// let (rows, cols) = (4096, 1024);
/// let x = s.clone_htod(&vec![bf16::from_f32(-0.5); rows * cols])?;
/// let b = s.clone_htod(&vec![bf16::from_f32(0.25); cols])?;
/// let mut y = s.alloc_zeros::<bf16>(rows * cols)?;
/// gelu_cuda::bias_gelu_forward(&s, Exact, &x, &b, &mut y, cols)?; // x and b kept
///
/// let dy = s.clone_htod(&vec![bf16::ONE; rows * cols])?;
/// let mut dx = s.alloc_zeros::<bf16>(rows * cols)?;
/// let mut db = s.alloc_zeros::<f32>(cols)?;
/// let mut ws = gelu_cuda::bias_gelu_backward_workspace(&s, rows, cols)?;
/// gelu_cuda::bias_gelu_backward_from_input(&s, Exact, &x, &b, &dy, &mut dx, &mut db, &mut ws, cols)?;
/// # Ok(()) }
/// ```
#[allow(clippy::too_many_arguments)]
pub fn bias_gelu_backward_from_input<T, DB, X, BI, D, G, B, W>(
    stream: &CudaStream,
    approx: Approximation,
    x: &X,
    bias: &BI,
    dy: &D,
    dx: &mut G,
    dbias: &mut B,
    workspace: &mut W,
    cols: usize,
) -> Result<(), GeluError>
where
    T: GeluFloat,
    X: DeviceBuffer<T>,
    BI: DeviceBuffer<T>,
    D: DeviceBuffer<T>,
    G: DeviceBufferMut<T>,
    DB: GeluFloat,
    B: DeviceBufferMut<DB>,
    W: DeviceBufferMut<f32>,
{
    let (xo, _gx) = input!(stream, "x", x);
    let (bo, _gbi) = input!(stream, "bias", bias);
    let (d, _gd) = input!(stream, "dy", dy);
    let (o, _go) = output!(stream, "dx", dx);
    let point = BiasPoint::Input { x: xo, bias: bo };
    run_bias_backward::<T, DB, _, _>(stream, approx, point, [d, o], dbias, workspace, cols)
}

/// [`bias_gelu_backward_from_input`] writing `dx` over `dy` (`dy` in, `dx` out): with
/// [`bias_gelu_forward`], a training step whose activation keeps only `x` and the
/// bias between the passes and whose backward allocates nothing but the workspace.
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// # let s = gelu_cuda::cuda_context(0)?.default_stream();
/// use gelu_cuda::Approximation::Tanh;
/// let (rows, cols) = (4096, 1024);
/// let x = s.clone_htod(&vec![-0.5f32; rows * cols])?;
/// let b = s.clone_htod(&vec![0.25f32; cols])?;
/// let mut grad = s.clone_htod(&vec![1.0f32; rows * cols])?; // dy, then dx
/// let mut db = s.alloc_zeros::<f32>(cols)?;
/// let mut ws = gelu_cuda::bias_gelu_backward_workspace(&s, rows, cols)?;
/// gelu_cuda::bias_gelu_backward_from_input_inplace(&s, Tanh, &x, &b, &mut grad, &mut db, &mut ws, cols)?;
/// # Ok(()) }
/// ```
#[allow(clippy::too_many_arguments)]
pub fn bias_gelu_backward_from_input_inplace<T, DB, X, BI, G, B, W>(
    stream: &CudaStream,
    approx: Approximation,
    x: &X,
    bias: &BI,
    dy: &mut G,
    dbias: &mut B,
    workspace: &mut W,
    cols: usize,
) -> Result<(), GeluError>
where
    T: GeluFloat,
    X: DeviceBuffer<T>,
    BI: DeviceBuffer<T>,
    G: DeviceBufferMut<T>,
    DB: GeluFloat,
    B: DeviceBufferMut<DB>,
    W: DeviceBufferMut<f32>,
{
    let (xo, _gx) = input!(stream, "x", x);
    let (bo, _gbi) = input!(stream, "bias", bias);
    let (d, _gd) = output!(stream, "dy", dy);
    let point = BiasPoint::Input { x: xo, bias: bo };
    run_bias_backward::<T, DB, _, _>(stream, approx, point, [d, d], dbias, workspace, cols)
}

/// A workspace for [`bias_gelu_backward`], allocated in stream order (no device
/// synchronisation; capturable in a CUDA graph where the driver supports
/// stream-ordered allocation) and freed the same way when dropped.
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// # let s = gelu_cuda::cuda_context(0)?.default_stream();
/// let ws = gelu_cuda::bias_gelu_backward_workspace(&s, 4096, 1024)?;
/// assert!(ws.len() >= gelu_cuda::bias_gelu_backward_workspace_len(4096, 1024));
/// # Ok(()) }
/// ```
pub fn bias_gelu_backward_workspace(
    stream: &Arc<CudaStream>,
    rows: usize,
    cols: usize,
) -> Result<CudaSlice<f32>, GeluError> {
    let len = bias_gelu_backward_workspace_len(rows, cols).max(1);
    check_alloc_len::<f32>(len)?;
    // SAFETY: the kernels write every element they later read (the first stage
    // writes each chunk's sums before the second stage reads them).
    Ok(unsafe { stream.alloc::<f32>(len) }?)
}

/// GeGLU from one buffer: `x` of `rows * cols` with `a` the first and `g` the second
/// half of each row; `out = GELU(a) g` of `rows * cols / 2`.
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// # let s = gelu_cuda::cuda_context(0)?.default_stream();
/// use gelu_cuda::Approximation::Tanh;
/// let (rows, cols) = (512, 2 * 4096); // a and g of 4096 each
/// let x = s.clone_htod(&vec![half::f16::from_f32(0.5); rows * cols])?;
/// let mut out = s.alloc_zeros::<half::f16>(rows * cols / 2)?;
/// gelu_cuda::geglu_forward(&s, Tanh, &x, &mut out, cols)?;
/// # Ok(()) }
/// ```
pub fn geglu_forward<T, X, O>(
    stream: &CudaStream,
    approx: Approximation,
    x: &X,
    out: &mut O,
    cols: usize,
) -> Result<(), GeluError>
where
    T: GeluFloat,
    X: DeviceBuffer<T>,
    O: DeviceBufferMut<T>,
{
    let (x, _gx) = input!(stream, "x", x);
    let (o, _go) = output!(stream, "out", out);
    let call = plan_geglu_forward(x, o, cols, std::mem::size_of::<T>())?;
    run::<T>(stream, approx, &[call])
}

/// GeGLU from two buffers of equal length: `out = GELU(a) g`.
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// # let s = gelu_cuda::cuda_context(0)?.default_stream();
/// use gelu_cuda::Approximation::Exact;
/// let a = s.clone_htod(&vec![0.5f32; 1 << 20])?;
/// let g = s.clone_htod(&vec![2.0f32; 1 << 20])?;
/// let mut out = s.alloc_zeros::<f32>(1 << 20)?;
/// gelu_cuda::geglu_forward_split(&s, Exact, &a, &g, &mut out)?;
/// # Ok(()) }
/// ```
pub fn geglu_forward_split<T, A, G, O>(
    stream: &CudaStream,
    approx: Approximation,
    a: &A,
    g: &G,
    out: &mut O,
) -> Result<(), GeluError>
where
    T: GeluFloat,
    A: DeviceBuffer<T>,
    G: DeviceBuffer<T>,
    O: DeviceBufferMut<T>,
{
    let (a, _ga) = input!(stream, "a", a);
    let (g, _gg) = input!(stream, "g", g);
    let (o, _go) = output!(stream, "out", out);
    let call = plan_geglu_forward_split(a, g, o)?;
    run::<T>(stream, approx, &[call])
}

/// GeGLU backward for [`geglu_forward`]: `dx` (like `x`) receives `da` in the first
/// and `dg` in the second half of each row.
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// # let s = gelu_cuda::cuda_context(0)?.default_stream();
/// use gelu_cuda::Approximation::Tanh;
/// let (rows, cols) = (512, 2 * 4096);
/// let x = s.clone_htod(&vec![half::f16::from_f32(0.5); rows * cols])?;
/// let dout = s.clone_htod(&vec![half::f16::ONE; rows * cols / 2])?;
/// let mut dx = s.alloc_zeros::<half::f16>(rows * cols)?;
/// gelu_cuda::geglu_backward(&s, Tanh, &x, &dout, &mut dx, cols)?;
/// # Ok(()) }
/// ```
pub fn geglu_backward<T, X, D, G>(
    stream: &CudaStream,
    approx: Approximation,
    x: &X,
    dout: &D,
    dx: &mut G,
    cols: usize,
) -> Result<(), GeluError>
where
    T: GeluFloat,
    X: DeviceBuffer<T>,
    D: DeviceBuffer<T>,
    G: DeviceBufferMut<T>,
{
    let (x, _gx) = input!(stream, "x", x);
    let (d, _gd) = input!(stream, "dout", dout);
    let (o, _go) = output!(stream, "dx", dx);
    let call = plan_geglu_backward(x, d, o, cols, std::mem::size_of::<T>())?;
    run::<T>(stream, approx, &[call])
}

/// GeGLU backward for [`geglu_forward_split`]: `da = dout g GELU'(a)`,
/// `dg = dout GELU(a)`.
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// # let s = gelu_cuda::cuda_context(0)?.default_stream();
/// use gelu_cuda::Approximation::Exact;
/// let n = 1 << 20;
/// let a = s.clone_htod(&vec![0.5f32; n])?;
/// let g = s.clone_htod(&vec![2.0f32; n])?;
/// let dout = s.clone_htod(&vec![1.0f32; n])?;
/// let (mut da, mut dg) = (s.alloc_zeros::<f32>(n)?, s.alloc_zeros::<f32>(n)?);
/// gelu_cuda::geglu_backward_split(&s, Exact, &a, &g, &dout, &mut da, &mut dg)?;
/// # Ok(()) }
/// ```
#[allow(clippy::too_many_arguments)]
pub fn geglu_backward_split<T, A, G, D, DA, DG>(
    stream: &CudaStream,
    approx: Approximation,
    a: &A,
    g: &G,
    dout: &D,
    da: &mut DA,
    dg: &mut DG,
) -> Result<(), GeluError>
where
    T: GeluFloat,
    A: DeviceBuffer<T>,
    G: DeviceBuffer<T>,
    D: DeviceBuffer<T>,
    DA: DeviceBufferMut<T>,
    DG: DeviceBufferMut<T>,
{
    let (a, _ga) = input!(stream, "a", a);
    let (g, _gg) = input!(stream, "g", g);
    let (d, _gd) = input!(stream, "dout", dout);
    let (da, _gda) = output!(stream, "da", da);
    let (dg, _gdg) = output!(stream, "dg", dg);
    let call = plan_geglu_backward_split(a, g, d, da, dg)?;
    run::<T>(stream, approx, &[call])
}

/// [`geglu_backward`] writing `dx` over `x` (`x`: `[a, g]` in, `[da, dg]` out): the
/// forward's input is no longer needed once its gradient is formed, so the backward
/// needs no `[rows, cols]` buffer of its own.
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// # let s = gelu_cuda::cuda_context(0)?.default_stream();
/// use gelu_cuda::Approximation::Tanh;
/// let (rows, cols) = (512, 2 * 4096);
/// let mut x = s.clone_htod(&vec![half::f16::from_f32(0.5); rows * cols])?;
/// let dout = s.clone_htod(&vec![half::f16::ONE; rows * cols / 2])?;
/// gelu_cuda::geglu_backward_inplace(&s, Tanh, &mut x, &dout, cols)?; // x now [da, dg]
/// # Ok(()) }
/// ```
pub fn geglu_backward_inplace<T, X, D>(
    stream: &CudaStream,
    approx: Approximation,
    x: &mut X,
    dout: &D,
    cols: usize,
) -> Result<(), GeluError>
where
    T: GeluFloat,
    X: DeviceBufferMut<T>,
    D: DeviceBuffer<T>,
{
    let (d, _gd) = input!(stream, "dout", dout);
    let (x, _gx) = output!(stream, "x", x);
    let call = plan_geglu_backward(x, d, x, cols, std::mem::size_of::<T>())?;
    run::<T>(stream, approx, &[call])
}

/// [`geglu_backward_split`] writing `da` over `a` and `dg` over `g`.
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// # let s = gelu_cuda::cuda_context(0)?.default_stream();
/// use gelu_cuda::Approximation::Exact;
/// let n = 1 << 20;
/// let mut a = s.clone_htod(&vec![0.5f32; n])?; // a, then da
/// let mut g = s.clone_htod(&vec![2.0f32; n])?; // g, then dg
/// let dout = s.clone_htod(&vec![1.0f32; n])?;
/// gelu_cuda::geglu_backward_split_inplace(&s, Exact, &mut a, &mut g, &dout)?;
/// # Ok(()) }
/// ```
pub fn geglu_backward_split_inplace<T, A, G, D>(
    stream: &CudaStream,
    approx: Approximation,
    a: &mut A,
    g: &mut G,
    dout: &D,
) -> Result<(), GeluError>
where
    T: GeluFloat,
    A: DeviceBufferMut<T>,
    G: DeviceBufferMut<T>,
    D: DeviceBuffer<T>,
{
    let (d, _gd) = input!(stream, "dout", dout);
    let (a, _ga) = output!(stream, "a", a);
    let (g, _gg) = output!(stream, "g", g);
    let call = plan_geglu_backward_split(a, g, d, a, g)?;
    run::<T>(stream, approx, &[call])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Zero rows of the widest even width: planned without forming the address
    /// of a second half that no row has (h * elem would overflow), nothing to run.
    #[test]
    fn geglu_plans_zero_rows_of_any_width() {
        let cols = usize::MAX - 1;
        let f = plan_geglu_forward((0x1000, 0), (0x2000, 0), cols, 4).unwrap();
        assert_eq!((f.items, f.args.in_[1]), (0, f.args.in_[0]));
        let b = plan_geglu_backward((0x1000, 0), (0x2000, 0), (0x3000, 0), cols, 4).unwrap();
        assert_eq!((b.items, b.args.in_[1]), (0, b.args.in_[0]));
        assert_eq!(b.args.out[1], b.args.out[0]);
    }
}
