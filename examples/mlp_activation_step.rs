//! One training step of an MLP's activation in bf16, as a training loop runs it:
//! `y = GELU(x + b)` keeping the pre-activation, then from the incoming gradient
//! `dx = dy GELU'(pre)`, written over `dy`, and the bias gradient in f32 (for fp32
//! master weights).
//! On a GPU when there is one, else on the host path (the same kernel sources);
//! the bias gradient is checked against an f64 sum either way.
//!
//! ```sh
//! cargo run --release --example mlp_activation_step
//! ```

use gelu_cuda::host::HostRunner;
use gelu_cuda::{reference, Approximation, GeluError};
use half::bf16;

const ROWS: usize = 2048; // tokens
const COLS: usize = 3072; // hidden width
const APPROX: Approximation = Approximation::Tanh;

/// Inputs of a step: activations, bias and the gradient from the next layer.
fn inputs() -> (Vec<bf16>, Vec<bf16>, Vec<bf16>) {
    let value = |i: usize, scale: f32| {
        let h = (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
        bf16::from_f32((h as f32 / (1u64 << 24) as f32 - 0.5) * scale)
    };
    let x = (0..ROWS * COLS).map(|i| value(i, 8.0)).collect();
    let b = (0..COLS).map(|i| value(i + (1 << 30), 1.0)).collect();
    let dy = (0..ROWS * COLS)
        .map(|i| value(i + (1 << 31), 0.02))
        .collect();
    (x, b, dy)
}

/// (y, pre, dx, db) on the first GPU.
fn on_gpu(x: &[bf16], b: &[bf16], dy: &[bf16]) -> Result<Outputs, GeluError> {
    let ctx = gelu_cuda::cuda_context(0)?;
    let s = ctx.default_stream();
    let (xd, bd, mut grad) = (s.clone_htod(x)?, s.clone_htod(b)?, s.clone_htod(dy)?);
    let mut y = s.alloc_zeros::<bf16>(x.len())?;
    let mut pre = s.alloc_zeros::<bf16>(x.len())?;
    gelu_cuda::bias_gelu_forward_aux(&s, APPROX, &xd, &bd, &mut y, &mut pre, COLS)?;
    let mut db = s.alloc_zeros::<f32>(COLS)?;
    let mut ws = gelu_cuda::bias_gelu_backward_workspace(&s, ROWS, COLS)?;
    gelu_cuda::bias_gelu_backward_inplace(&s, APPROX, &pre, &mut grad, &mut db, &mut ws, COLS)?;
    Ok(Outputs {
        y: s.clone_dtoh(&y)?,
        pre: s.clone_dtoh(&pre)?,
        dx: s.clone_dtoh(&grad)?,
        db: s.clone_dtoh(&db)?,
    })
}

/// The same on the host path.
fn on_host(x: &[bf16], b: &[bf16], dy: &[bf16]) -> Result<Outputs, GeluError> {
    let r = HostRunner::new();
    let (mut y, mut pre) = (vec![bf16::ZERO; x.len()], vec![bf16::ZERO; x.len()]);
    let (mut dx, mut db) = (dy.to_vec(), vec![0.0f32; COLS]);
    r.bias_gelu_forward_aux(APPROX, x, b, &mut y, &mut pre, COLS)?;
    r.bias_gelu_backward_inplace(APPROX, &pre, &mut dx, &mut db, COLS)?;
    Ok(Outputs { y, pre, dx, db })
}

struct Outputs {
    y: Vec<bf16>,
    pre: Vec<bf16>,
    dx: Vec<bf16>,
    db: Vec<f32>,
}

fn main() -> Result<(), GeluError> {
    let (x, b, dy) = inputs();
    let (out, device) = match on_gpu(&x, &b, &dy) {
        Ok(out) => (out, "GPU"),
        // Only a missing GPU means the host path; a GPU that fails is an error.
        Err(e) if e.is_no_gpu() => {
            println!("no GPU ({e}): the host path");
            (on_host(&x, &b, &dy)?, "host path")
        }
        Err(e) => return Err(e),
    };
    // The bias gradient against the exact column sums at the stored pre-activation,
    // relative to the column's sum of max(|dx|, |dy| m / 4), m the magnitudes of
    // GELU''s two summands added (which bounds |dx| too).
    let mut worst = 0.0f64;
    for c in 0..COLS {
        let (mut sum, mut scale) = (0.0f64, 0.0f64);
        for r in 0..ROWS {
            let i = r * COLS + c;
            let (p, d) = (out.pre[i].to_f64(), dy[i].to_f64());
            let t = reference::backward(APPROX, p, d);
            let [s0, s1] = reference::derivative_summands(APPROX, p);
            sum += t;
            scale += t.abs().max(d.abs() * (s0.abs() + s1.abs()) / 4.0);
        }
        worst = worst.max((out.db[c] as f64 - sum).abs() / scale.max(f64::MIN_POSITIVE));
    }
    // The stated bound (the `fused` module's docs), its final f32 rounding included.
    let order = gelu_cuda::bias_gelu_backward_order(ROWS, COLS);
    let bound = (order.additions() as f64 + 1.0) * 2f64.powi(-24) + 2f64.powi(-17);
    println!(
        "{device}: {ROWS} x {COLS} bf16, {APPROX}: y[0] = {}, dx[0] = {}, db[0] = {:e}",
        out.y[0], out.dx[0], out.db[0]
    );
    println!(
        "bias gradient: worst error {worst:.2e} of a column's sum of max(|dx|, |dy| m / 4) (bound {bound:.2e})"
    );
    assert!(
        worst <= bound,
        "the bias gradient is outside its stated bound"
    );
    Ok(())
}
