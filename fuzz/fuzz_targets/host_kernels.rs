//! Arbitrary bytes -> (dtype, approximation, direction, vector width, length, start
//! offsets, launch shape, values) -> the host path, each result checked against the
//! reference and the stated bound, and nothing written outside the output range.
#![no_main]

use gelu_cuda::accuracy::{check_result, poison};
use gelu_cuda::host::HostRunner;
use gelu_cuda::{Approximation, GeluFloat};
use half::{bf16, f16};
use libfuzzer_sys::fuzz_target;

fn run<T: GeluFloat>(head: &[u8], body: &[u8], width: usize) {
    let approx = Approximation::ALL[head[1] as usize % 3];
    let backward = head[2] & 1 == 1;
    let (xo, dyo, oo) = (
        head[3] as usize % 9,
        head[4] as usize % 9,
        head[5] as usize % 9,
    );
    let threads = 1 + head[6] as u64 * 37;
    let values: Vec<T> = body
        .chunks_exact(width)
        .map(|c| T::from_bits_u32(c.iter().rev().fold(0u32, |a, &b| a << 8 | b as u32)))
        .collect();
    // Backward pairs x[i] with dy[i]: the first half of the values are x, the rest dy.
    let n = if backward {
        values.len() / 2
    } else {
        values.len()
    };
    let pad = |v: &[T], off: usize| {
        let mut b = vec![T::from_bits_u32(0); off];
        b.extend_from_slice(v);
        b
    };
    let x = pad(&values[..n], xo);
    let dy = pad(if backward { &values[n..2 * n] } else { &[] }, dyo);
    let poison = poison::<T>();
    // Poison on both sides of the output range: a write past it shows too.
    let mut out = vec![poison; oo + n + 9];
    let is_poison = |v: T| v.to_bits_u32() == poison.to_bits_u32();
    let runner = HostRunner::new()
        .grid_threads(threads)
        .workers(1)
        .wide_vectors(head[2] & 2 == 2);
    if backward {
        runner
            .backward(approx, &x[xo..], &dy[dyo..dyo + n], &mut out[oo..oo + n])
            .expect("equal lengths");
    } else {
        runner
            .forward(approx, &x[xo..], &mut out[oo..oo + n])
            .expect("equal lengths");
    }
    assert!(
        out[..oo]
            .iter()
            .chain(&out[oo + n..])
            .all(|&v| is_poison(v)),
        "written outside the output"
    );
    for k in 0..n {
        // An input with the poison's bits is a NaN, which the result may carry.
        let carried = is_poison(x[xo + k]) || (backward && is_poison(dy[dyo + k]));
        assert!(
            !is_poison(out[oo + k]) || carried,
            "element {k} not written"
        );
        let (xv, got) = (x[xo + k].to_f64(), out[oo + k].to_f64());
        let d = backward.then(|| dy[dyo + k].to_f64());
        if let Err(e) = check_result(T::DTYPE, approx, xv, d, got) {
            panic!("dy {d:?}: {e}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 7 {
        return;
    }
    let (head, body) = data.split_at(7);
    match head[0] % 3 {
        0 => run::<f32>(head, body, 4),
        1 => run::<f16>(head, body, 2),
        _ => run::<bf16>(head, body, 2),
    }
});
