//! Arbitrary bytes -> (dtype, approximation, fused op, shape, each operand's start
//! offset, launch shape, vector width, values) -> the fused ops on the host path.
//! Each op runs twice: with the drawn offsets and launch, and with every operand
//! aligned on the default launch, the outputs poisoned differently each time; the
//! two must agree bit for bit (so every element is written, whichever of the row
//! and flat kernels, vectors and single elements the offsets select; the bias
//! gradient too, summed in an order fixed by the shape) and nothing around an
//! output may change; the bias gradient from the input must be the one at the
//! pre-activation bias + GELU stores, and each in-place form must give its
//! out-of-place form's bits. bias + GELU is also checked against the reference:
//! y within the stated bound of GELU(x + b) (the sum in f32), pre = x + b rounded
//! (NaN where the sum is NaN).
#![no_main]

use gelu_cuda::accuracy::{check_result, poison};
use gelu_cuda::host::HostRunner;
use gelu_cuda::{Approximation, GeluFloat};
use half::{bf16, f16};
use libfuzzer_sys::fuzz_target;
use std::mem::size_of;

/// Two NaN patterns for the outputs' poison, one per run.
fn poisons<T: GeluFloat>() -> [T; 2] {
    if size_of::<T>() == 4 {
        [poison(), T::from_bits_u32(0x7f9a_5a5a)]
    } else {
        [poison(), T::from_bits_u32(0x7f9a)]
    }
}

/// Operands in buffers with `off` elements of poison before and 3 after.
struct Layout<'a, T> {
    off: &'a [usize],
    poison: T,
}

impl<T: GeluFloat> Layout<'_, T> {
    fn input(&self, k: usize, v: &[T]) -> Vec<T> {
        let mut b = vec![self.poison; self.off[k]];
        b.extend_from_slice(v);
        b.extend_from_slice(&[self.poison; 3]);
        b
    }

    fn output(&self, k: usize, len: usize) -> Vec<T> {
        vec![self.poison; self.off[k] + len + 3]
    }

    /// The output region's bits, after checking the padding. Which NaN an f32 result
    /// carries is the host compiler's choice (x86 keeps the first NaN operand's
    /// payload, and the operand order of a product is not fixed; a GPU gives the
    /// canonical NaN): every quiet f32 NaN reads as the canonical one. The poisons
    /// are signalling NaNs, so an unwritten element still shows.
    fn written(&self, k: usize, b: &[T]) -> Vec<u32> {
        let (off, len) = (self.off[k], b.len() - self.off[k] - 3);
        let p = self.poison.to_bits_u32();
        assert!(
            b[..off]
                .iter()
                .chain(&b[off + len..])
                .all(|v| v.to_bits_u32() == p),
            "written outside output {k}"
        );
        let quiet_f32 = |bits: u32| size_of::<T>() == 4 && bits & 0x7fc0_0000 == 0x7fc0_0000;
        b[off..off + len]
            .iter()
            .map(|v| match v.to_bits_u32() {
                bits if quiet_f32(bits) => 0x7fc0_0000,
                bits => bits,
            })
            .collect()
    }
}

/// The fused ops a case draws from: bias + GELU, the four GeGLU forms, the bias
/// gradient, and the bias gradient from the input.
const OPS: u8 = 7;

/// `len` elements of `b` from `off`.
fn part<T>(b: &[T], off: usize, len: usize) -> &[T] {
    &b[off..off + len]
}

/// Runs fused op `op` on `(rows, cols)` with the values, operands laid out by `l`:
/// the outputs' bits.
fn outputs<T: GeluFloat>(
    r: &HostRunner,
    approx: Approximation,
    op: u8,
    (rows, cols): (usize, usize),
    v: &[T],
    l: &Layout<'_, T>,
) -> Vec<Vec<u32>> {
    let n = rows * cols;
    match op % OPS {
        0 => {
            let (x, b) = (l.input(0, &v[..n]), l.input(1, &v[n..n + cols]));
            let (mut y, mut pre) = (l.output(2, n), l.output(3, n));
            let (o2, o3) = (l.off[2], l.off[3]);
            r.bias_gelu_forward_aux(
                approx,
                part(&x, l.off[0], n),
                part(&b, l.off[1], cols),
                &mut y[o2..o2 + n],
                &mut pre[o3..o3 + n],
                cols,
            )
            .unwrap();
            let got = vec![l.written(2, &y), l.written(3, &pre)];
            let (mut xy, o0) = (l.input(0, &v[..n]), l.off[0]);
            r.bias_gelu_forward_inplace(
                approx,
                &mut xy[o0..o0 + n],
                part(&b, l.off[1], cols),
                cols,
            )
            .unwrap();
            assert_in_place(l.written(0, &xy) == got[0]);
            got
        }
        1 => {
            let x = l.input(0, &v[..n]);
            let mut out = l.output(1, n / 2);
            let o = l.off[1];
            r.geglu_forward(approx, part(&x, l.off[0], n), &mut out[o..o + n / 2], cols)
                .unwrap();
            vec![l.written(1, &out)]
        }
        2 => {
            let (x, d) = (l.input(0, &v[..n]), l.input(1, &v[n..n + n / 2]));
            let mut dx = l.output(2, n);
            let o = l.off[2];
            r.geglu_backward(
                approx,
                part(&x, l.off[0], n),
                part(&d, l.off[1], n / 2),
                &mut dx[o..o + n],
                cols,
            )
            .unwrap();
            let (mut xd, o0) = (l.input(0, &v[..n]), l.off[0]);
            r.geglu_backward_inplace(approx, &mut xd[o0..o0 + n], part(&d, l.off[1], n / 2), cols)
                .unwrap();
            assert_in_place(l.written(0, &xd) == l.written(2, &dx));
            vec![l.written(2, &dx)]
        }
        3 => {
            let (a, g) = (l.input(0, &v[..n]), l.input(1, &v[n..2 * n]));
            let mut out = l.output(2, n);
            let o = l.off[2];
            r.geglu_forward_split(
                approx,
                part(&a, l.off[0], n),
                part(&g, l.off[1], n),
                &mut out[o..o + n],
            )
            .unwrap();
            vec![l.written(2, &out)]
        }
        4 => {
            let (a, g) = (l.input(0, &v[..n]), l.input(1, &v[n..2 * n]));
            let d = l.input(2, &v[2 * n..3 * n]);
            let (mut da, mut dg) = (l.output(3, n), l.output(4, n));
            let (o3, o4) = (l.off[3], l.off[4]);
            r.geglu_backward_split(
                approx,
                part(&a, l.off[0], n),
                part(&g, l.off[1], n),
                part(&d, l.off[2], n),
                &mut da[o3..o3 + n],
                &mut dg[o4..o4 + n],
            )
            .unwrap();
            let (mut ad, mut gd) = (l.input(0, &v[..n]), l.input(1, &v[n..2 * n]));
            let (o0, o1) = (l.off[0], l.off[1]);
            r.geglu_backward_split_inplace(
                approx,
                &mut ad[o0..o0 + n],
                &mut gd[o1..o1 + n],
                part(&d, l.off[2], n),
            )
            .unwrap();
            let got = vec![l.written(3, &da), l.written(4, &dg)];
            assert_in_place([l.written(0, &ad), l.written(1, &gd)] == got[..]);
            got
        }
        6 => {
            let (x, b) = (l.input(0, &v[..n]), l.input(1, &v[n..n + cols]));
            let dy = l.input(2, &v[n + cols..2 * n + cols]);
            let (mut dx, mut db) = (l.output(3, n), l.output(4, cols));
            let (o3, o4) = (l.off[3], l.off[4]);
            let dy = part(&dy, l.off[2], n);
            r.bias_gelu_backward_from_input(
                approx,
                part(&x, l.off[0], n),
                part(&b, l.off[1], cols),
                dy,
                &mut dx[o3..o3 + n],
                &mut db[o4..o4 + cols],
                cols,
            )
            .unwrap();
            // The same bits as the backward at the pre-activation the forward stores.
            let zero = T::from_f64_rounded(0.0);
            let (mut y, mut pre) = (vec![zero; n], vec![zero; n]);
            HostRunner::new()
                .bias_gelu_forward_aux(approx, &v[..n], &v[n..n + cols], &mut y, &mut pre, cols)
                .unwrap();
            let (mut dx_pre, mut db_pre) = (l.output(3, n), l.output(4, cols));
            r.bias_gelu_backward(
                approx,
                &pre,
                dy,
                &mut dx_pre[o3..o3 + n],
                &mut db_pre[o4..o4 + cols],
                cols,
            )
            .unwrap();
            let got = vec![l.written(3, &dx), l.written(4, &db)];
            assert!(
                got == [l.written(3, &dx_pre), l.written(4, &db_pre)],
                "from the input: not the backward at the stored pre-activation"
            );
            let mut grad = l.input(2, &v[n + cols..2 * n + cols]);
            let mut db_in_place = l.output(4, cols);
            let o2 = l.off[2];
            r.bias_gelu_backward_from_input_inplace(
                approx,
                part(&x, l.off[0], n),
                part(&b, l.off[1], cols),
                &mut grad[o2..o2 + n],
                &mut db_in_place[o4..o4 + cols],
                cols,
            )
            .unwrap();
            assert_in_place([l.written(2, &grad), l.written(4, &db_in_place)] == got[..]);
            got
        }
        _ => {
            let (pre, dy) = (l.input(0, &v[..n]), l.input(1, &v[n..2 * n]));
            let (mut dx, mut db) = (l.output(2, n), l.output(3, cols));
            let (o2, o3) = (l.off[2], l.off[3]);
            r.bias_gelu_backward(
                approx,
                part(&pre, l.off[0], n),
                part(&dy, l.off[1], n),
                &mut dx[o2..o2 + n],
                &mut db[o3..o3 + cols],
                cols,
            )
            .unwrap();
            // The same sums with db in f32: dx the same bits, and db the f32 sums
            // rounded to the dtype.
            let (mut dx32, mut db32) = (l.output(2, n), vec![f32::NAN; cols]);
            r.bias_gelu_backward(
                approx,
                part(&pre, l.off[0], n),
                part(&dy, l.off[1], n),
                &mut dx32[o2..o2 + n],
                &mut db32,
                cols,
            )
            .unwrap();
            assert!(
                l.written(2, &dx32) == l.written(2, &dx),
                "dx differs with db in f32"
            );
            for c in 0..cols {
                let (rounded, got) = (T::from_f64_rounded(db32[c].into()), db[o3 + c]);
                assert!(
                    rounded.to_bits_u32() == got.to_bits_u32()
                        || (rounded.to_f64().is_nan() && got.to_f64().is_nan()),
                    "db[{c}] in f32 ({}) does not round to db ({})",
                    db32[c],
                    got.to_f64()
                );
            }
            let mut grad = l.input(1, &v[n..2 * n]);
            let mut db_in_place = l.output(3, cols);
            let o1 = l.off[1];
            r.bias_gelu_backward_inplace(
                approx,
                part(&pre, l.off[0], n),
                &mut grad[o1..o1 + n],
                &mut db_in_place[o3..o3 + cols],
                cols,
            )
            .unwrap();
            let got = vec![l.written(2, &dx), l.written(3, &db)];
            assert_in_place([l.written(1, &grad), l.written(3, &db_in_place)] == got[..]);
            got
        }
    }
}

/// An in-place form's outputs must be its out-of-place form's, bit for bit (with the
/// operand it writes over at that input's offset, and its padding untouched).
fn assert_in_place(same: bool) {
    assert!(same, "the in-place form differs from the out-of-place one");
}

fn run<T: GeluFloat>(head: &[u8], body: &[u8], width: usize) {
    let approx = Approximation::ALL[head[1] as usize % 3];
    let op = head[2];
    let values: Vec<T> = body
        .chunks_exact(width)
        .map(|c| T::from_bits_u32(c.iter().rev().fold(0u32, |a, &b| a << 8 | b as u32)))
        .collect();
    // The shape: cols from the head (GeGLU's even), rows as many as the values fill
    // (each op reads at most 3 rows * cols values, and bias + GELU cols more).
    let geglu = (1..5).contains(&(op % OPS));
    let cols = if geglu {
        2 * (1 + head[3] as usize % 40)
    } else {
        1 + head[3] as usize % 80
    };
    let rows = (values.len().saturating_sub(cols) / (3 * cols)).min(1 + head[4] as usize % 24);
    if rows == 0 {
        return;
    }
    let off: Vec<usize> = head[5..10].iter().map(|b| *b as usize % 9).collect();
    let [p0, p1] = poisons::<T>();
    let drawn = HostRunner::new()
        .grid_threads(1 + head[10] as u64 * 29)
        .workers(1)
        .wide_vectors(head[11] & 1 == 1);
    let got = outputs(
        &drawn,
        approx,
        op,
        (rows, cols),
        &values,
        &Layout {
            off: &off,
            poison: p0,
        },
    );
    let aligned = Layout {
        off: &[0; 5],
        poison: p1,
    };
    let want = outputs(
        &HostRunner::new().workers(1),
        approx,
        op,
        (rows, cols),
        &values,
        &aligned,
    );
    assert!(got == want, "results depend on offsets or launch: {off:?}");
    if op.is_multiple_of(OPS) {
        let (n, (y, pre)) = (rows * cols, (&want[0], &want[1]));
        for i in 0..n {
            let s = (values[i].to_f64() as f32 + values[n + i % cols].to_f64() as f32) as f64;
            // NaN as any NaN (the kernels round to the canonical one).
            let p = T::from_bits_u32(pre[i]);
            assert!(
                if s.is_nan() {
                    p.to_f64().is_nan()
                } else {
                    pre[i] == T::from_f64_rounded(s).to_bits_u32()
                },
                "pre {:e} is not x + b = {s:e}",
                p.to_f64()
            );
            if let Err(e) = check_result(T::DTYPE, approx, s, None, T::from_bits_u32(y[i]).to_f64())
            {
                panic!("bias + GELU: {e}");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 12 {
        return;
    }
    let (head, body) = data.split_at(12);
    match head[0] % 3 {
        0 => run::<f32>(head, body, 4),
        1 => run::<f16>(head, body, 2),
        _ => run::<bf16>(head, body, 2),
    }
});
