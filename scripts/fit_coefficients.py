#!/usr/bin/env python3
"""Fits the polynomial coefficients used by cuda/gelu_math.cuh.

Writes cuda/gelu_coefficients.cuh. Every function is evaluated with mpmath at
60 significant digits; the fit minimises the maximum relative error (Lawson's
iteratively reweighted least squares) and the coefficients are then rounded to
binary32 one at a time, refitting the remaining ones after each rounding so the
rounding error is absorbed. The printed error is that of the binary32
coefficients evaluated in binary64, i.e. the approximation error alone; the
rounding of the f32 evaluation itself is measured by the test suite.

Usage: python3 scripts/fit_coefficients.py  (needs numpy and mpmath)
"""
import sys
import mpmath as mp
import numpy as np

mp.mp.dps = 60
SQRT_2PI = mp.sqrt(2 * mp.pi)
TANH_A = 2 * mp.sqrt(2 / mp.pi)          # v = 2u = x (A + B x^2)
TANH_B = TANH_A * mp.mpf("0.044715")
SIGMOID_K = mp.mpf("1.702")


def mills(z):
    """Mills ratio R(z) = (1 - Phi(z)) / phi(z)."""
    return mp.erfc(z / mp.sqrt(2)) / 2 / mp.npdf(z)


def sigma(v):
    return 1 / (1 + mp.exp(-v))


def grad_tanh(x):
    v = x * (TANH_A + TANH_B * x * x)
    dv = TANH_A + 3 * TANH_B * x * x
    s = sigma(v)
    return s + x * s * (1 - s) * dv


def grad_sigmoid(x):
    s = sigma(SIGMOID_K * x)
    return s + x * SIGMOID_K * s * (1 - s)


def grad_exact(x):
    return mp.ncdf(x) + x * mp.npdf(x)


ROOT_EXACT = mp.findroot(grad_exact, -0.75)
ROOT_TANH = mp.findroot(grad_tanh, -0.75)
ROOT_SIGMOID = mp.findroot(grad_sigmoid, -0.75)


def split(value):
    hi = np.float32(float(value))
    lo = np.float32(float(value - mp.mpf(float(hi))))
    return hi, lo


def fit(fun, degree, lo=-1.0, hi=1.0, split_c0=False, npts=2000, iters=150):
    """Minimax-relative polynomial in u on [lo, hi]; binary32 coefficients.

    With split_c0 the constant term is kept as a sum of two binary32 numbers
    (returned as the first two entries), removing its rounding from the error."""
    us = np.cos(np.linspace(0, np.pi, npts)) * (hi - lo) / 2 + (hi + lo) / 2
    ys = np.array([float(fun(mp.mpf(float(u)))) for u in us])
    scale = 1 / np.abs(ys)

    def minimax(resid, k):
        cols = np.stack([us ** (k + j) for j in range(degree + 1 - k)], axis=1)
        norms = np.max(np.abs(cols), axis=0)
        cols = cols / norms
        weights = np.ones_like(us) / len(us)
        for _ in range(iters):
            w = scale * np.sqrt(weights)
            coef, *_ = np.linalg.lstsq(cols * w[:, None], resid * w, rcond=None)
            err = np.abs(cols @ coef - resid) * scale
            weights *= err + 1e-300
            weights /= weights.sum()
        return coef / norms

    fixed = []
    head = []
    if split_c0:
        c0 = minimax(ys, 0)[0]
        c0_hi = np.float32(c0)
        c0_lo = np.float32(c0 - float(c0_hi))
        head = [c0_hi, c0_lo]
        fixed.append(float(c0_hi) + float(c0_lo))
    while len(fixed) <= degree:
        k = len(fixed)
        resid = ys - sum(c * us ** i for i, c in enumerate(fixed))
        fixed.append(float(np.float32(minimax(resid, k)[0])))
    approx = np.polynomial.polynomial.polyval(us, np.array(fixed))
    terms = np.polynomial.polynomial.polyval(np.abs(us), np.abs(np.array(fixed)))
    cond = float(np.max(terms * scale))
    coeffs = head + [np.float32(c) for c in fixed[1:]] if split_c0 else [np.float32(c) for c in fixed]
    return coeffs, float(np.max(np.abs(approx - ys) * scale)), cond


def tail_map(K, zmin, zmax):
    """u = (C1 z + C0) / (z + K): z = zmin -> -1, z = zmax -> 1; binary32 constants."""
    K = mp.mpf(K)
    c1 = np.float32(float((zmax + zmin + 2 * K) / (zmax - zmin)))
    c0 = np.float32(float(-(zmin + K) - zmin * mp.mpf(float(c1))))
    K, c1, c0 = (mp.mpf(float(v)) for v in (K, c1, c0))
    return (lambda u: (c0 - K * u) / (u - c1)), c1, c0


def fwd_tail_map(zm, K, zmin, zmax):
    """u = (z - ZM) / (z + K), z in [zmin, zmax]: returns z(u) and u's interval.
    z - ZM is exact (Sterbenz) for z in [ZM/2, 2 ZM], where the forward's
    negative tail is largest in ulps, so u is nearly correctly rounded there."""
    zm, K = mp.mpf(zm), mp.mpf(K)
    return (lambda u: (zm + K * u) / (1 - u)), float((zmin - zm) / (zmin + K)), float((zmax - zm) / (zmax + K))


def fast_map_constants(K, zmax):
    """The fp16/bf16 kernels' variable: u = r S + O with r = 1/(z + K), one FFMA
    after the reciprocal; z = 0 -> 1, z = zmax -> -1."""
    r0, r1 = mp.mpf(1) / K, mp.mpf(1) / (zmax + K)
    s = np.float32(float(2 / (r0 - r1)))
    o = np.float32(float(1 - r0 * float(s)))
    return s, o


def fast_map(K, s, o):
    S, O, K = mp.mpf(float(s)), mp.mpf(float(o)), mp.mpf(K)
    return lambda u: 1 / ((u - O) / S) - K


def in_tail_variable(f, zmap):
    return lambda u: f(zmap(u))


def grad_tail(z):
    z0 = -ROOT_EXACT
    if abs(z - z0) < mp.mpf("1e-30"):
        return mp.diff(lambda q: (q - mills(q)) / SQRT_2PI, z0)
    return (z - mills(z)) / SQRT_2PI / (z - z0)


def root_map(root, lo, hi):
    """u = (x - x0_hi) * S + O maps [lo, hi] to [-1, 1]; binary32 constants."""
    x0 = mp.mpf(float(split(root)[0]))
    s = np.float32(2 / (hi - lo))
    o = np.float32(float(x0 * float(s) - (mp.mpf(lo) + hi) / (hi - lo)))
    S, O = mp.mpf(float(s)), mp.mpf(float(o))
    return (lambda u: x0 + (u - O) / S), s, o


def root_poly(grad, root, xmap):
    def f(u):
        x = xmap(u)
        if abs(x - root) < mp.mpf("1e-30"):
            return mp.diff(grad, root)
        return grad(x) / (x - root)
    return f


# Tuned by measuring the fp32 errors on the host path (tests/host_accuracy.rs).
FWD_K = 1.5        # the accurate forward tail's rational map: its pole at -K
FWD_ZM = 1.5       # and its zero
ZQ_DEG = 10        # its polynomial degree
CENTRAL = 0.75     # |x| below which the accurate forward uses a series
TAIL_ZMAX = 16     # the tails' clamp: beyond it dy GELU'(x) rounds to 0 for |dy| <= 2^24
CENTRAL_DEG = 4
FAST_SCALE = mp.mpf(2) ** -64  # folded into the fast tails (their e^(-z^2/2) is scaled by 2^64)


# Polynomials whose constant term is kept in two floats (the fp32 tails, where the
# constant's rounding would be the largest single error).
SPLIT_C0 = {"zq_accurate", "grad_tail_accurate", "grad_root_tanh_accurate", "grad_root_sigmoid_accurate"}


def central(s):
    """((2 Phi(x) - 1) / x - 2/sqrt(2 pi)) / x^2 in s = x^2."""
    if s == 0:
        return -1 / (3 * SQRT_2PI)
    x = mp.sqrt(s)
    return ((2 * mp.ncdf(x) - 1) / x - 2 / SQRT_2PI) / s


def central_grad(s):
    """((GELU'(x) - 1/2) / x - 2/sqrt(2 pi)) / x^2 in s = x^2."""
    if s == 0:
        return -mp.mpf(2) / (3 * SQRT_2PI)
    x = mp.sqrt(s)
    return ((grad_exact(x) - mp.mpf(1) / 2) / x - 2 / SQRT_2PI) / s


def expm1_q(r):
    if r == 0:
        return mp.mpf(0.5)
    return (mp.exp(r) - 1 - r) / (r * r)


def cfloat(x):
    """Shortest C literal that reads back as the same binary32 value."""
    x = np.float32(x)
    for digits in range(6, 12):
        text = f"{float(x):.{digits}g}"
        if np.float32(text) == x:
            break
    if "e" not in text and "." not in text:
        text += ".0"
    return text + "f"


def emit_poly(out, name, coeffs, err, note, split_c0=False):
    out.append(f"// {note}; max relative error of the fit 2^{np.log2(err):.1f}")
    if split_c0:
        args = ", ".join(cfloat(c) for c in coeffs[2:])
        body = f"{cfloat(coeffs[0])} + fmaf(t, horner(t, {args}), {cfloat(coeffs[1])})"
    else:
        body = "horner(t, " + ", ".join(cfloat(c) for c in coeffs) + ")"
    out.append(f"GELU_HD float {name}(float t) {{ return {body}; }}")
    out.append("")


def emit_const(out, name, value, note):
    comment = f"  // {note}" if note else ""
    out.append(f"constexpr float {name} = {cfloat(value)};{comment}")


def main():
    out = [
        "// Generated by scripts/fit_coefficients.py; do not edit by hand.",
        "// Coefficients are listed from the constant term up (Horner order).",
        "#pragma once",
        '#include "gelu_platform.cuh"',
        "",
        "namespace gelu {",
        "",
    ]
    K = np.float32(3.0)
    zmap, c1, c0 = tail_map(float(K), 0, TAIL_ZMAX)
    emit_const(out, "TAIL_K", K, "u = (TAIL_C1 z + TAIL_C0) / (z + TAIL_K) maps z in [0, TAIL_ZMAX] to [-1, 1]")
    emit_const(out, "TAIL_C1", c1, "")
    emit_const(out, "TAIL_C0", c0, "")
    emit_const(out, "TAIL_ZMAX", np.float32(TAIL_ZMAX), "|x| beyond which the exact form's tails are 0 or x")
    emit_const(out, "CENTRAL", np.float32(CENTRAL), "the accurate forward uses a series for |x| < CENTRAL")
    emit_const(out, "CENTRAL_GRAD_LO", np.float32(-0.375), "the accurate backward uses one for CENTRAL_GRAD_LO < x < CENTRAL")
    rs, ro = fast_map_constants(float(K), TAIL_ZMAX)
    emit_const(out, "FAST_R_SCALE", rs, "u = r FAST_R_SCALE + FAST_R_OFFSET, r = 1/(z + TAIL_K), maps z in [0, TAIL_ZMAX] to [-1, 1]")
    emit_const(out, "FAST_R_OFFSET", ro, "")
    fastmap = fast_map(float(K), rs, ro)
    fmap, flo, fhi = fwd_tail_map(FWD_ZM, FWD_K, CENTRAL, 15)
    emit_const(out, "FWD_TAIL_ZM", np.float32(FWD_ZM),
               f"u = (z - FWD_TAIL_ZM) / (z + FWD_TAIL_K) maps [CENTRAL, 15] to [{flo:.4f}, {fhi:.4f}]")
    emit_const(out, "FWD_TAIL_K", np.float32(FWD_K), "")
    roots = [("EXACT", ROOT_EXACT), ("TANH", ROOT_TANH), ("SIGMOID", ROOT_SIGMOID)]
    for key, root in roots:
        hi, lo = split(root)
        emit_const(out, f"GRAD_ROOT_{key}_HI", hi, f"root of GELU' ({key.lower()}) = {mp.nstr(root, 20)}")
        emit_const(out, f"GRAD_ROOT_{key}_LO", lo, "its low part")
    for name, value, note in [
        ("TANH_A", TANH_A, "2 sqrt(2/pi): the tanh form is x sigma(v), v = x (A + B x^2)"),
        ("TANH_B", TANH_B, "0.044715 A"),
        ("SIGMOID_K", SIGMOID_K, "the sigmoid form is x sigma(K x)"),
        ("LN2", mp.log(2), "ln 2, for the exponential's argument reduction"),
        ("TWO_INV_SQRT_2PI", 2 / SQRT_2PI, "2 / sqrt(2 pi)"),
    ]:
        hi, lo = split(value)
        emit_const(out, f"{name}_HI", hi, f"{note}; high part")
        emit_const(out, f"{name}_LO", lo, "low part")
    emit_const(out, "TANH_3B", split(3 * TANH_B)[0], "3 B, for the fast flavour's v' = A + 3 B x^2")
    window = (-1.25, -0.5)  # the root polynomials' domain: wider than any caller's use
    maps = {}
    for key, root in roots[1:]:
        xmap, s, o = root_map(root, *window)
        maps[key] = xmap
        emit_const(out, f"ROOT_{key}_SCALE", s, "u = (x - x0_hi) * SCALE + OFFSET maps [-1.25, -0.5] to [-1, 1]")
        emit_const(out, f"ROOT_{key}_OFFSET", o, "")
    out.append("")
    report = []
    grad_u = in_tail_variable(grad_tail, zmap)
    zq_u = in_tail_variable(lambda z: z * mills(z) / SQRT_2PI, fmap)
    plan = [
        ("central_accurate", central, 0, CENTRAL ** 2, CENTRAL_DEG,
         "P(s): (2 Phi(x) - 1) / x = 2/sqrt(2 pi) + s P(s), s = x^2 < CENTRAL^2; fp32 kernels"),
        ("central_grad_accurate", central_grad, 0, CENTRAL ** 2, CENTRAL_DEG + 1,
         "P(s): (GELU'(x) - 1/2) / x = 2/sqrt(2 pi) + s P(s), s = x^2 < CENTRAL^2; fp32 kernels"),
        ("zq_accurate", zq_u, flo, fhi, ZQ_DEG, "z R(z) / sqrt(2 pi) = e^(z^2/2) z (1 - Phi(z)) in u, z in [CENTRAL, 15]; fp32"),
        ("mills_fast", in_tail_variable(lambda z: FAST_SCALE * mills(z) / SQRT_2PI, fastmap), -1, 1, 7,
         "2^-64 R(z) / sqrt(2 pi), R the Mills ratio, in the fast u; fp16/bf16 kernels"),
        ("grad_tail_accurate", grad_u, -1, 1, 10, "(z - R(z)) / sqrt(2 pi) / (z - z0) in u; fp32 kernels"),
        ("grad_tail_fast", in_tail_variable(lambda z: FAST_SCALE * grad_tail(z), fastmap), -1, 1, 6,
         "2^-64 (z - R(z)) / sqrt(2 pi) / (z - z0) in the fast u; fp16/bf16 kernels"),
    ]
    for key, grad, root in [("TANH", grad_tanh, ROOT_TANH), ("SIGMOID", grad_sigmoid, ROOT_SIGMOID)]:
        f = root_poly(grad, root, maps[key])
        plan.append((f"grad_root_{key.lower()}_accurate", f, -1, 1, 10,
                     f"GELU'(x) / (x - x0) ({key.lower()}) in u, x in [-1.25, -0.5]; fp32"))
        plan.append((f"grad_root_{key.lower()}_fast", f, -1, 1, 6, "same, fewer terms; fp16/bf16"))
    plan.append(("expm1_q", expm1_q, -0.3466, 0.3466, 5, "(e^r - 1 - r) / r^2 on |r| <= ln2/2"))
    for name, fun, lo, hi, deg, note in plan:
        split_c0 = name in SPLIT_C0
        coeffs, err, cond = fit(fun, deg, lo, hi, split_c0)
        emit_poly(out, name, coeffs, err, note, split_c0)
        report.append(f"{name:28s} degree {deg:2d}  2^{np.log2(err):6.1f}  condition {cond:5.2f}")
    out.append("}  // namespace gelu")
    path = sys.argv[1] if len(sys.argv) > 1 else "cuda/gelu_coefficients.cuh"
    with open(path, "w") as fh:
        fh.write("\n".join(out) + "\n")
    print("\n".join(report))


if __name__ == "__main__":
    main()
