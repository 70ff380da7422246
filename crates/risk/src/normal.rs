//! The standard normal distribution: density, distribution function and its inverse, to
//! about full `f64` precision. Pure Rust, no tables beyond a few coefficients.

use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// 1 / sqrt(2 pi).
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
/// 2 / sqrt(pi).
const FRAC_2_SQRT_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI;

/// The standard normal density phi(x).
pub fn pdf(x: f64) -> f64 {
    FRAC_1_SQRT_2PI * (-0.5 * x * x).exp()
}

/// The standard normal distribution function Phi(x) = P(Z <= x), with small relative error
/// in both tails (it goes through `erfc`, never `1 - something`, for x < 0).
pub fn cdf(x: f64) -> f64 {
    if x < 0.0 {
        0.5 * erfc(-x * FRAC_1_SQRT_2)
    } else {
        1.0 - 0.5 * erfc(x * FRAC_1_SQRT_2)
    }
}

/// The complementary error function erfc(x) = 1 - erf(x).
///
/// For |x| < 2 the everywhere-positive series
/// erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1))
/// (no cancellation; relative error of erfc below about 1e-14 up to x = 2, where erfc is
/// 0.0047); beyond, the continued fraction
/// erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
/// evaluated by the modified Lentz method, which converges quickly there.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    if x < 2.0 {
        return 1.0 - erf_series(x);
    }
    if x > 27.3 {
        // erfc(27.3) is below the smallest subnormal.
        return 0.0;
    }
    erfc_continued_fraction(x)
}

fn erf_series(x: f64) -> f64 {
    let x2 = x * x;
    let mut term = x;
    let mut sum = x;
    let mut n = 0.0;
    // The ratio of consecutive terms is 2x^2/(2n+3) < 1 after a few terms; at x < 2 fewer
    // than 60 terms reach machine precision.
    while n < 200.0 {
        term *= 2.0 * x2 / (2.0 * n + 3.0);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
        n += 1.0;
    }
    FRAC_2_SQRT_PI * (-x2).exp() * sum
}

fn erfc_continued_fraction(x: f64) -> f64 {
    // erfc(x) * sqrt(pi) * exp(x^2) = 1/(x + a1/(x + a2/(x + ...))), a_k = k/2.
    const TINY: f64 = 1e-300;
    let mut f = x;
    let mut c = x;
    let mut d = 0.0;
    for k in 1..500 {
        let a = f64::from(k) * 0.5;
        d = x + a * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = x + a / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / (f * PI.sqrt())
}

/// The standard normal quantile Phi^-1(p) for p in (0, 1); NaN outside.
///
/// Peter Acklam's rational approximation (relative error below 1.15e-9), refined by one
/// step of Halley's method on Phi(x) - p, which triples the number of correct digits, so
/// the result is accurate to a few ulps. The refinement is done in the lower tail (p > 0.5
/// is answered as -Phi^-1(1 - p), exact in `f64`), where Phi is computed with small relative
/// error.
pub fn inverse_cdf(p: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    if p > 0.5 {
        return -lower_quantile(1.0 - p);
    }
    lower_quantile(p)
}

/// Phi^-1(p) for 0 < p <= 0.5.
fn lower_quantile(p: f64) -> f64 {
    let x = acklam(p);
    // Halley: with e = Phi(x) - p and u = e / phi(x), x' = x - u / (1 + x u / 2).
    let e = cdf(x) - p;
    let u = e / pdf(x);
    let refined = x - u / (1.0 + 0.5 * x * u);
    // Below p of about 1e-300 the density underflows and the step is 0/0; keep Acklam's.
    if refined.is_finite() { refined } else { x }
}

/// Acklam's approximation for 0 < p <= 0.5 (the central and lower regions).
fn acklam(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const P_LOW: f64 = 0.02425;
    if p < P_LOW {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(f64::MIN_POSITIVE)
    }

    #[test]
    fn erfc_matches_reference_values() {
        // Reference values: Python's math.erfc (the C library's, correctly rounded or nearly).
        let cases = [
            (0.1, 0.887_537_083_981_715_2),
            (0.5, 0.479_500_122_186_953_5),
            (1.0, 0.157_299_207_050_285_13),
            (2.0, 0.004_677_734_981_047_265),
            (3.0, 2.209_049_699_858_543_8e-5),
            (5.0, 1.537_459_794_428_035_1e-12),
            (10.0, 2.088_487_583_762_545e-45),
        ];
        for (x, want) in cases {
            assert!(
                close(erfc(x), want, 2e-14),
                "erfc({x}) = {}, want {want}",
                erfc(x)
            );
        }
        assert!(close(erfc(-1.0), 2.0 - 0.157_299_207_050_285_13, 1e-15));
        assert_eq!(erfc(30.0), 0.0);
        assert!(erfc(f64::NAN).is_nan());
    }

    #[test]
    fn quantiles_match_reference_values() {
        // Reference values: Python's statistics.NormalDist().inv_cdf (Wichura's AS241).
        let cases = [
            (0.99, 2.326_347_874_040_840_8),
            (0.95, 1.644_853_626_951_471_5),
            (0.975, 1.959_963_984_540_053_6),
            (0.5, 0.0),
            (0.01, -2.326_347_874_040_840_8),
            (1e-10, -6.361_340_902_404_056),
        ];
        for (p, want) in cases {
            let got = inverse_cdf(p);
            assert!(
                (got - want).abs() <= 4e-15 * want.abs().max(1.0),
                "Phi^-1({p}) = {got}, want {want}"
            );
        }
    }

    #[test]
    fn quantile_inverts_the_distribution_function() {
        for i in 1..1000 {
            let p = f64::from(i) / 1000.0;
            let x = inverse_cdf(p);
            assert!(close(cdf(x), p, 1e-13), "Phi(Phi^-1({p})) = {}", cdf(x));
        }
    }

    #[test]
    fn extreme_quantiles_are_finite() {
        for p in [f64::MIN_POSITIVE, 5e-324, 1e-300, 1.0 - f64::EPSILON / 2.0] {
            assert!(inverse_cdf(p).is_finite(), "{p}");
        }
        assert!(inverse_cdf(5e-324) < -38.0);
    }

    #[test]
    fn quantile_outside_the_unit_interval_is_nan() {
        for p in [0.0, 1.0, -0.5, 1.5, f64::NAN] {
            assert!(inverse_cdf(p).is_nan());
        }
    }

    #[test]
    fn density_at_the_99_percent_quantile() {
        assert!(close(
            pdf(2.326_347_874_040_840_8),
            0.026_652_142_203_458_08,
            1e-14
        ));
    }
}
