#!/usr/bin/env python3
"""Writes tests/data/mpmath_reference.csv: GELU and GELU' at 50 significant digits,
for tests/reference.rs to check the crate's f64 reference against.

Columns: approximation, x (shortest round-trip decimal, exact), GELU(x), GELU'(x), and the larger
magnitude of GELU''s two summands (the scale its error is judged against near the
root). Values are printed with 20 significant digits.

Usage: python3 scripts/mpmath_reference.py  (needs mpmath)
"""
import mpmath as mp

mp.mp.dps = 50
A = 2 * mp.sqrt(2 / mp.pi)
B = A * mp.mpf("0.044715")
K = mp.mpf("1.702")


def sig(v):
    return 1 / (1 + mp.exp(-v))


def exact(x):
    return x * mp.ncdf(x), [mp.ncdf(x), x * mp.npdf(x)]


def logistic(v, dv):
    def f(x):
        s = sig(v(x))
        return x * s, [s, x * dv(x) * s * (1 - s)]
    return f


FORMS = {
    "exact": exact,
    "tanh": logistic(lambda x: x * (A + B * x * x), lambda x: A + 3 * B * x * x),
    "sigmoid": logistic(lambda x: K * x, lambda x: K),
}


def points():
    xs = set()
    for i in range(-60, 41):
        m = mp.mpf(10) ** (mp.mpf(i) / 10)  # 1e-6 .. 1e4
        if m < 80:
            xs.add(float(m))
            xs.add(-float(m))
    for i in range(-200, 41):
        xs.add(i / 10 + 0.0123)  # a dense grid over the interesting range
    for i in range(-40, 41):
        xs.add(-0.7518 + i / 2000)  # around the derivative's root
    xs.add(0.0)
    return sorted(xs)


def main():
    rows = ["approximation,x,forward,derivative,summand_scale"]
    for name, form in FORMS.items():
        for x in points():
            y, (a, b) = form(mp.mpf(x))
            rows.append(",".join([name, repr(x), mp.nstr(y, 20), mp.nstr(a + b, 20),
                                  mp.nstr(max(abs(a), abs(b)), 20)]))
    with open("tests/data/mpmath_reference.csv", "w") as fh:
        fh.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
