//! Reliability on the host path: lengths past 2^32 and fused ops on matrices past
//! 2^31 elements (64-bit indexing all the way), and a randomized property test over
//! lengths, offsets and special values.

mod common;

use common::host::Host;
use common::*;
use gelu_cuda::accuracy::check_result;
use gelu_cuda::host::{self, HostRunner};
use gelu_cuda::{reference, Approximation, GeluFloat};
use half::{bf16, f16};

/// The large-tensor tests take turns: each needs up to 12 GiB.
static LARGE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// An in-place forward over 2^32 + 17 bf16 elements, each a bit pattern hashed from
/// its index (`scrambled_bits`): every element is checked against the result for
/// its pattern from a run over all 65536, so a wrong 32-bit index anywhere shows.
#[test]
fn length_past_2_to_the_32() {
    let _alone = LARGE.lock().unwrap_or_else(|e| e.into_inner());
    let n = (1usize << 32) + 17;
    let table: Vec<bf16> = forward(
        &Host::default(),
        Approximation::Exact,
        &all_values::<bf16>(),
    );
    let mut x: Vec<bf16> = Vec::with_capacity(n);
    x.extend((0..n).map(|i| bf16::from_bits(scrambled_bits(i))));
    host::forward_inplace(Approximation::Exact, &mut x).expect("infallible");
    let bad = x
        .iter()
        .enumerate()
        .filter(|(i, v)| v.to_bits() != table[scrambled_bits(*i) as usize].to_bits())
        .map(|(i, _)| i)
        .next();
    assert_eq!(bad, None, "element {bad:?} of 2^32 + 17 is wrong");
}

/// The fused ops on matrices of more than 2^31 bf16 elements, every output element
/// checked (`check_past_2_to_the_31`).
#[test]
fn fused_ops_past_2_to_the_31() {
    let _alone = LARGE.lock().unwrap_or_else(|e| e.into_inner());
    let seed = seed("fused_ops_past_2_to_the_31");
    common::fused::check_past_2_to_the_31::<bf16, _>(&HostRunner::new(), seed);
}

/// Values of every kind: ordinary, tails, zeros, subnormals, extremes, NaN.
fn any_value<T: GeluFloat>(rng: &mut Rng) -> T {
    let max = T::DTYPE.max_finite();
    let tiny = reference::ulp_of(T::DTYPE, 0.0);
    let v = match rng.next_u64() % 12 {
        0 => f64::NAN,
        1 => f64::INFINITY,
        2 => f64::NEG_INFINITY,
        3 => max,
        4 => -max,
        5 => {
            tiny * (1 + rng.next_u64() % 100) as f64
                * if rng.next_u64().is_multiple_of(2) {
                    1.0
                } else {
                    -1.0
                }
        }
        6 => 0.0,
        7 => -0.0,
        8 => (rng.unit() - 0.5) * 40.0,
        _ => (rng.unit() - 0.5) * 8.0,
    };
    T::from_f64_rounded(v)
}

/// Gradients of every kind up to 2^24 in magnitude, the range the backward's
/// bounds are stated for (README), and infinities and NaN.
fn any_gradient<T: GeluFloat>(rng: &mut Rng) -> T {
    let tiny = reference::ulp_of(T::DTYPE, 0.0);
    let sign = if rng.next_u64().is_multiple_of(2) {
        1.0
    } else {
        -1.0
    };
    let v = match rng.next_u64() % 10 {
        0 => f64::NAN,
        1 => f64::INFINITY * sign,
        2 => 0.0 * sign,
        3 => tiny * (1 + rng.next_u64() % 100) as f64 * sign,
        4 | 5 => 2f64.powf(rng.unit() * 48.0 - 24.0) * sign,
        _ => (rng.unit() - 0.5) * 8.0,
    };
    T::from_f64_rounded(v)
}

fn property<T: GeluFloat>(seed: u64, cases: usize) {
    let mut rng = Rng::new(seed);
    for case in 0..cases {
        let approx = Approximation::ALL[(rng.next_u64() % 3) as usize];
        let n = (rng.next_u64() % 3000) as usize;
        let (xo, dyo, oo) = (
            (rng.next_u64() % 9) as usize,
            (rng.next_u64() % 9) as usize,
            (rng.next_u64() % 9) as usize,
        );
        let backward = rng.next_u64() % 2 == 1;
        let threads = 1 + rng.next_u64() % 2048;
        let x: Vec<T> = (0..n + xo).map(|_| any_value(&mut rng)).collect();
        let dy: Vec<T> = (0..n + dyo).map(|_| any_gradient(&mut rng)).collect();
        // Poison on both sides of the output range: a write past it shows too.
        let out = vec![poison::<T>(); oo + n + 9];
        let wide = rng.next_u64() % 2 == 1;
        let runner = Host(
            HostRunner::new().grid_threads(threads).wide_vectors(wide),
            if wide {
                "host, 32-byte vectors"
            } else {
                "host"
            },
        );
        let call = if backward {
            Call::Backward
        } else {
            Call::Forward
        };
        let got = runner.run(&Job {
            call,
            approx,
            x: &x,
            xo,
            dy: &dy,
            dyo,
            out: &out,
            oo,
            n,
        });
        for k in 0..n {
            // The poison is a NaN, which a NaN result would otherwise pass for.
            assert!(
                !is_poison(got[oo + k]),
                "case {case}: element {k} not written"
            );
            let dyv = backward.then(|| dy[dyo + k].to_f64());
            if let Err(e) = check_result(
                T::DTYPE,
                approx,
                x[xo + k].to_f64(),
                dyv,
                got[oo + k].to_f64(),
            ) {
                panic!("case {case}: {e}");
            }
        }
        for (i, v) in got.iter().enumerate() {
            if i < oo || i >= oo + n {
                assert!(
                    is_poison(*v),
                    "case {case}: element {i} outside the output written"
                );
            }
        }
    }
}

#[test]
fn property_random_lengths_offsets_and_values() {
    let s = seed("property_random_lengths_offsets_and_values");
    property::<f32>(s, 2000);
    property::<f16>(s ^ 1, 2000);
    property::<bf16>(s ^ 2, 2000);
}
