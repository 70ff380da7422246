//! Seeded random numbers: SplitMix64 (for seeding), xoshiro256++ (the stream) and a
//! 256-layer ziggurat for standard normals.

use crate::normal;

/// SplitMix64 (Steele, Lea, Flood 2014): a bijective 64-bit mixer over a Weyl sequence, the
/// recommended way to expand one `u64` into xoshiro state.
pub(crate) struct SplitMix64(pub(crate) u64);

impl SplitMix64 {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// xoshiro256++ (Blackman, Vigna 2019): 256 bits of state, period 2^256 - 1, passes
/// BigCrush; a handful of instructions per `u64`. `Copy` so that hot loops can hold the
/// state in registers (see [`Ziggurat::fill`]).
#[derive(Clone, Copy)]
pub(crate) struct Xoshiro256pp([u64; 4]);

impl Xoshiro256pp {
    /// The two generators for one chunk of paths (the ziggurat's main stream and its
    /// auxiliary one, see [`Ziggurat::fill`]): a function of the caller's seed and the
    /// chunk index only, so a chunk draws the same numbers whichever thread runs it.
    pub(crate) fn for_chunk(seed: u64, chunk: u64) -> (Self, Self) {
        let key = SplitMix64(seed).next_u64();
        let mut mixer = SplitMix64(key ^ SplitMix64(chunk).next_u64());
        let mut next = || {
            let mut s = [0; 4];
            for word in &mut s {
                *word = mixer.next_u64();
            }
            if s == [0; 4] {
                s[0] = 1; // the one state xoshiro must avoid
            }
            Self(s)
        };
        (next(), next())
    }

    #[inline(always)]
    pub(crate) fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1), 53 random bits.
    #[inline]
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in (0, 1]: safe to take the logarithm of.
    #[inline]
    fn uniform_open0(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// Layers of the ziggurat.
const LAYERS: usize = 256;
/// The right edge of the base layer's rectangle (Marsaglia and Tsang 2000, 256 layers).
const R: f64 = 3.654_152_885_361_009;

/// Marsaglia and Tsang's ziggurat for the standard normal, in the symmetric form (one
/// `u64` gives the layer from its low 8 bits and a signed uniform from its high 52).
///
/// The area under exp(-x^2/2), x >= 0, is covered by 256 horizontal layers of equal area V:
/// layer i is the rectangle [0, X[i]] x [F[i], F[i+1]] (X decreasing, F = exp(-X^2/2)
/// increasing), the base layer additionally holding the tail beyond R. A draw picks a
/// layer and a point x uniform in [-X[i], X[i]]; if |x| < X[i+1] it lies under the curve
/// whatever its height and is returned at once (about 99% of draws: a table look-up, a
/// multiply, a compare). Otherwise it is in the layer's wedge and is accepted with a second
/// uniform against the density, or, in the base layer, replaced by a draw from the tail
/// (Marsaglia's exponential method).
pub(crate) struct Ziggurat {
    x: [f64; LAYERS + 1],
    f: [f64; LAYERS + 1],
}

impl Ziggurat {
    /// Builds the tables (257 square roots and exponentials; microseconds).
    pub(crate) fn new() -> Self {
        let density = |x: f64| (-0.5 * x * x).exp();
        // V = R f(R) + the tail area beyond R = R f(R) + sqrt(pi/2) erfc(R / sqrt 2).
        let v = R * density(R)
            + (std::f64::consts::PI / 2.0).sqrt()
                * normal::erfc(R * std::f64::consts::FRAC_1_SQRT_2);
        let mut x = [0.0; LAYERS + 1];
        x[0] = v / density(R);
        x[1] = R;
        for i in 1..LAYERS - 1 {
            // Layer i has area V: X[i] (F[i+1] - F[i]) = V.
            x[i + 1] = (-2.0 * (v / x[i] + density(x[i])).ln()).sqrt();
        }
        x[LAYERS] = 0.0;
        let mut f = [0.0; LAYERS + 1];
        for (fi, xi) in f.iter_mut().zip(&x) {
            *fi = density(*xi);
        }
        Self { x, f }
    }

    /// Fills `out` with standard normal draws: one `u64` of `main` per draw on the fast
    /// path; the rare rest (the wedge test, the tail, a whole new attempt after a
    /// rejection) draws from `aux`.
    ///
    /// Two streams so that the hot loop holds `main` in registers: a local copy whose
    /// address is never taken. (Had the slow path taken `main` by reference, or even by
    /// value, its state would be stored and reloaded on every draw, which costs about a
    /// third of the time.)
    pub(crate) fn fill(&self, main: &mut Xoshiro256pp, aux: &mut Xoshiro256pp, out: &mut [f64]) {
        let mut state = *main;
        for z in out {
            let bits = state.next_u64();
            let (i, u, x) = self.attempt(bits);
            *z = if x.abs() < self.x[i + 1] {
                x
            } else {
                self.slow(aux, i, u, x)
            };
        }
        *main = state;
    }

    /// A layer and a point in it from one `u64`: the low 8 bits pick the layer, the high
    /// 52 a signed uniform `u` in [-1, 1); x = u X[i].
    #[inline(always)]
    fn attempt(&self, bits: u64) -> (usize, f64, f64) {
        let i = (bits & 0xff) as usize;
        // 52 high bits as a float in [2, 4), shifted to [-1, 1).
        let u = f64::from_bits((bits >> 12) | 0x4000_0000_0000_0000) - 3.0;
        (i, u, u * self.x[i])
    }

    /// The rare cases (about 1.2% of draws), out of line so the fast path stays small:
    /// attempt (i, u, x) fell outside layer i's core; finish it (wedge or tail) and, if it
    /// is rejected, make new attempts from `aux` until one is accepted.
    #[cold]
    #[inline(never)]
    fn slow(&self, aux: &mut Xoshiro256pp, mut i: usize, mut u: f64, mut x: f64) -> f64 {
        loop {
            if x.abs() < self.x[i + 1] {
                return x;
            }
            if i == 0 {
                // The tail beyond R: t = -ln(U1)/R, accepted when -2 ln(U2) > t^2.
                loop {
                    let t = -aux.uniform_open0().ln() / R;
                    let y = -aux.uniform_open0().ln();
                    if 2.0 * y > t * t {
                        return if u < 0.0 { -(R + t) } else { R + t };
                    }
                }
            }
            // The wedge: a height uniform in [F[i], F[i+1]], accepted under the density.
            if self.f[i] + (self.f[i + 1] - self.f[i]) * aux.uniform() < (-0.5 * x * x).exp() {
                return x;
            }
            (i, u, x) = self.attempt(aux.next_u64());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoshiro_reference_output() {
        // The reference implementation seeded with s = {1, 2, 3, 4} starts 41943041,
        // 58720359, 3588806011781223.
        let mut rng = Xoshiro256pp([1, 2, 3, 4]);
        assert_eq!(rng.next_u64(), 41_943_041);
        assert_eq!(rng.next_u64(), 58_720_359);
        assert_eq!(rng.next_u64(), 3_588_806_011_781_223);
    }

    #[test]
    fn splitmix_reference_output() {
        // SplitMix64 seeded with 0 starts 0xE220A8397B1DCDAF.
        assert_eq!(SplitMix64(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn ziggurat_tables_close_up() {
        let z = Ziggurat::new();
        assert!(z.x.windows(2).all(|w| w[0] > w[1]));
        assert_eq!(z.f[LAYERS], 1.0);
        // The top layer's area matches the others: X[255] (1 - F[255]) = V = X[0] F[1]...
        let v = z.x[0] * z.f[1];
        assert!((z.x[LAYERS - 1] * (1.0 - z.f[LAYERS - 1]) - v).abs() < 1e-12);
    }

    #[test]
    fn normal_draws_have_normal_moments_and_tails() {
        let zig = Ziggurat::new();
        let (mut main, mut aux) = Xoshiro256pp::for_chunk(42, 0);
        let n = 2_000_000;
        let mut draws = vec![0.0; n];
        zig.fill(&mut main, &mut aux, &mut draws);
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|z| (z - mean) * (z - mean)).sum::<f64>() / n as f64;
        let kurt = draws.iter().map(|z| (z - mean).powi(4)).sum::<f64>() / n as f64 / (var * var);
        assert!(mean.abs() < 0.003, "mean {mean}");
        assert!((var - 1.0).abs() < 0.005, "variance {var}");
        assert!((kurt - 3.0).abs() < 0.03, "kurtosis {kurt}");
        // Tail frequencies against Phi: beyond 2.326 (1%), beyond R = 3.654 (base-layer
        // tail, 0.0129% each side), in [0.5, 1) (the wedges).
        let share = |pred: &dyn Fn(f64) -> bool| {
            draws.iter().filter(|&&z| pred(z)).count() as f64 / n as f64
        };
        let upper = share(&|z| z > 2.326_347_874_040_840_8);
        let lower = share(&|z| z < -2.326_347_874_040_840_8);
        assert!(
            (upper - 0.01).abs() < 0.0005 && (lower - 0.01).abs() < 0.0005,
            "{upper} {lower}"
        );
        let far = share(&|z| z.abs() > R);
        let want_far = 2.0 * normal::cdf(-R);
        assert!(
            (far - want_far).abs() < 4.0 * (want_far / n as f64).sqrt(),
            "{far} vs {want_far}"
        );
        let mid = share(&|z| (0.5..1.0).contains(&z));
        let want_mid = normal::cdf(1.0) - normal::cdf(0.5);
        assert!((mid - want_mid).abs() < 0.001, "{mid} vs {want_mid}");
    }

    #[test]
    fn chunks_get_different_streams() {
        let first = |seed, chunk| {
            let (mut main, mut aux) = Xoshiro256pp::for_chunk(seed, chunk);
            (main.next_u64(), aux.next_u64())
        };
        let (a, a_aux) = first(7, 0);
        let (b, _) = first(7, 1);
        let (c, _) = first(8, 0);
        assert!(a != b && a != c && b != c && a != a_aux);
        assert_eq!((a, a_aux), first(7, 0));
    }
}
