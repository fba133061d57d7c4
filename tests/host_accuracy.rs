//! Accuracy of the kernels, judged on the host path (the same kernel sources,
//! compiled for the CPU) against the f64 reference. Runs everywhere, no GPU needed.

mod common;

use common::host::Host;
use common::*;
use half::{bf16, f16};

#[test]
fn f16_every_input_within_one_ulp() {
    check_half_exhaustive::<f16, _>(&Host::default(), seed("f16_every_input_within_one_ulp"));
}

#[test]
fn bf16_every_input_within_one_ulp() {
    check_half_exhaustive::<bf16, _>(&Host::default(), seed("bf16_every_input_within_one_ulp"));
}

#[test]
fn f32_sampled_within_stated_bounds() {
    // 10^7 random inputs plus every 61st float of [-15, 0] (about 1.8 * 10^7).
    check_f32_sample(
        &Host::default(),
        seed("f32_sampled_within_stated_bounds"),
        10_000_000,
        61,
    );
}

#[test]
fn special_values() {
    let host = Host::default();
    check_special_values::<f32, _>(&host);
    check_special_values::<f16, _>(&host);
    check_special_values::<bf16, _>(&host);
}
