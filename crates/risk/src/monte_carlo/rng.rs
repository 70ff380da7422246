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

/// Independent xoshiro streams drawn in lockstep by [`Ziggurat::fill`]. Scalar code is
/// bound by instruction throughput (about twenty per draw, xoshiro and the ziggurat's fast
/// path), not by the state's dependency chain, so interleaving 2 to 4 scalar streams gains
/// under 5%; held as "structure of arrays", eight streams are one 512-bit vector per state
/// word and AVX-512 does the whole fast path eight lanes at a time.
pub(crate) const LANES: usize = 8;

/// [`LANES`] xoshiro256++ generators, word-major: `s[w][l]` is word w of lane l, so each
/// step of the update is one operation across the lanes.
#[derive(Clone, Copy)]
pub(crate) struct Lanes {
    s: [[u64; LANES]; 4],
}

impl Lanes {
    fn new(lanes: [Xoshiro256pp; LANES]) -> Self {
        Self {
            s: std::array::from_fn(|w| std::array::from_fn(|l| lanes[l].0[w])),
        }
    }

    /// The next output of every lane: [`Xoshiro256pp::next_u64`], lane-wise.
    #[inline(always)]
    fn next_u64(&mut self) -> [u64; LANES] {
        let [s0, s1, s2, s3] = &mut self.s;
        let mut result = [0; LANES];
        for l in 0..LANES {
            result[l] = s0[l]
                .wrapping_add(s3[l])
                .rotate_left(23)
                .wrapping_add(s0[l]);
            let t = s1[l] << 17;
            s2[l] ^= s0[l];
            s3[l] ^= s1[l];
            s1[l] ^= s2[l];
            s0[l] ^= s3[l];
            s2[l] ^= t;
            s3[l] = s3[l].rotate_left(45);
        }
        result
    }
}

/// The generators of one chunk of paths: the ziggurat's main streams (one per lane) and
/// its auxiliary stream, see [`Ziggurat::fill`].
pub(crate) struct ChunkRng {
    main: Lanes,
    aux: Xoshiro256pp,
}

impl ChunkRng {
    /// A function of the caller's seed and the chunk index only, so a chunk draws the same
    /// numbers whichever thread runs it. Every stream's state is the next four words of
    /// one SplitMix64 sequence keyed by (seed, chunk), as xoshiro's authors recommend.
    pub(crate) fn for_chunk(seed: u64, chunk: u64) -> Self {
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
            Xoshiro256pp(s)
        };
        let main = Lanes::new(std::array::from_fn(|_| next()));
        Self { main, aux: next() }
    }
}

impl Xoshiro256pp {
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
    /// Whether the CPU has AVX-512F, for [`Ziggurat::fill`] and the P&L sums (see
    /// `monte_carlo::losses`).
    #[cfg(target_arch = "x86_64")]
    pub(crate) avx512: bool,
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
        Self {
            x,
            f,
            #[cfg(target_arch = "x86_64")]
            avx512: std::arch::is_x86_feature_detected!("avx512f"),
        }
    }

    /// Fills `out` with standard normal draws: element n takes the fast path with the
    /// next `u64` of main stream n mod [`LANES`]; the rare rest (the wedge test, the tail, a
    /// whole new attempt after a rejection) draws from `aux`.
    ///
    /// The same numbers on every CPU: the vector and scalar builds do the same exact
    /// operations (integer ones, and a float subtraction, multiplication and comparison).
    pub(crate) fn fill(&self, rng: &mut ChunkRng, out: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        if self.avx512 {
            // SAFETY: `avx512` is set only when the CPU has AVX-512F.
            unsafe { self.fill_avx512(rng, out) };
            return;
        }
        self.fill_lanes(rng, out);
    }

    /// [`Self::fill_lanes`] in AVX-512 (the baseline x86-64 target has only SSE2, without
    /// 64-bit rotates, gathers or mask registers, and the compiler does not vectorize the
    /// table look-ups by itself): one 512-bit register per state word, two gathers for
    /// X[i] and X[i + 1], a mask for the draws that leave the fast path.
    ///
    /// The loop has no branch but its own: the draws leaving the fast path are appended
    /// (compressed) to a short list and finished after each piece of `out`, in position
    /// order, so they take the same numbers from `aux` as [`Self::fill_lanes`] gives them.
    /// (Branching to them from the loop made the compiler spill vector registers on every
    /// group; the whole benchmark ran about 20% slower.)
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn fill_avx512(&self, rng: &mut ChunkRng, out: &mut [f64]) {
        use std::arch::x86_64::*;

        /// Draws per piece: the list of slow draws (about 1.2% of them) holds a whole piece.
        const PIECE: usize = 256;
        const { assert!(LANES == 8 && PIECE.is_multiple_of(LANES)) };
        let [w0, w1, w2, w3] = &mut rng.main.s;
        // SAFETY: each word array is 8 u64s, one unaligned 512-bit load.
        let (mut s0, mut s1, mut s2, mut s3) = unsafe {
            (
                _mm512_loadu_si512(w0.as_ptr().cast()),
                _mm512_loadu_si512(w1.as_ptr().cast()),
                _mm512_loadu_si512(w2.as_ptr().cast()),
                _mm512_loadu_si512(w3.as_ptr().cast()),
            )
        };
        let layer_mask = _mm512_set1_epi64(0xff);
        let two = _mm512_set1_epi64(0x4000_0000_0000_0000);
        let three = _mm512_set1_pd(3.0);
        let lane_index = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
        // The slow draws of a piece: their bits and positions; LANES spare slots because
        // each group stores all of its lanes, the slow ones first.
        let mut slow_bits = [0u64; PIECE + LANES];
        let mut slow_at = [0u64; PIECE + LANES];
        let whole = out.len() - out.len() % LANES;
        let (body, rest) = out.split_at_mut(whole);
        for piece in body.chunks_mut(PIECE) {
            let mut slow = 0;
            for (g, group) in piece.chunks_exact_mut(LANES).enumerate() {
                let bits = _mm512_add_epi64(_mm512_rol_epi64::<23>(_mm512_add_epi64(s0, s3)), s0);
                let t = _mm512_slli_epi64::<17>(s1);
                s2 = _mm512_xor_si512(s2, s0);
                s3 = _mm512_xor_si512(s3, s1);
                s1 = _mm512_xor_si512(s1, s2);
                s0 = _mm512_xor_si512(s0, s3);
                s2 = _mm512_xor_si512(s2, t);
                s3 = _mm512_rol_epi64::<45>(s3);

                // As in `attempt`: layer i, u in [-1, 1), x = u X[i].
                let i = _mm512_and_si512(bits, layer_mask);
                let u = _mm512_sub_pd(
                    _mm512_castsi512_pd(_mm512_or_si512(_mm512_srli_epi64::<12>(bits), two)),
                    three,
                );
                // SAFETY: i <= 255, and the table holds LAYERS + 1 = 257 entries.
                let (x_i, x_next) = unsafe {
                    (
                        _mm512_i64gather_pd::<8>(i, self.x.as_ptr()),
                        _mm512_i64gather_pd::<8>(i, self.x.as_ptr().add(1)),
                    )
                };
                let x = _mm512_mul_pd(u, x_i);
                // The lanes outside the core: |x| >= X[i + 1] (x is never NaN).
                let outside = _mm512_cmp_pd_mask::<_CMP_GE_OQ>(_mm512_abs_pd(x), x_next);
                let at = _mm512_add_epi64(_mm512_set1_epi64((g * LANES) as i64), lane_index);
                // SAFETY: the group is 8 f64s; `slow` <= g * LANES, so slots
                // slow..slow + 8 are within PIECE + LANES.
                unsafe {
                    _mm512_storeu_pd(group.as_mut_ptr(), x);
                    _mm512_storeu_si512(
                        slow_bits.as_mut_ptr().add(slow).cast(),
                        _mm512_maskz_compress_epi64(outside, bits),
                    );
                    _mm512_storeu_si512(
                        slow_at.as_mut_ptr().add(slow).cast(),
                        _mm512_maskz_compress_epi64(outside, at),
                    );
                }
                slow += outside.count_ones() as usize;
            }
            for (&b, &at) in slow_bits[..slow].iter().zip(&slow_at[..slow]) {
                let (i, u, x) = self.attempt(b);
                piece[at as usize] = self.slow(&mut rng.aux, i, u, x);
            }
        }
        // SAFETY: as for the loads.
        unsafe {
            _mm512_storeu_si512(w0.as_mut_ptr().cast(), s0);
            _mm512_storeu_si512(w1.as_mut_ptr().cast(), s1);
            _mm512_storeu_si512(w2.as_mut_ptr().cast(), s2);
            _mm512_storeu_si512(w3.as_mut_ptr().cast(), s3);
        }
        self.fill_rest(rng, rest);
    }

    /// The portable version: lane by lane, so that one xoshiro state is in registers at a
    /// time (eight of them would be spilled to memory), the slow draws listed and finished
    /// afterwards in position order, as in [`Self::fill_avx512`].
    fn fill_lanes(&self, rng: &mut ChunkRng, out: &mut [f64]) {
        let whole = out.len() - out.len() % LANES;
        let (body, rest) = out.split_at_mut(whole);
        let mut slow = Vec::new();
        for l in 0..LANES {
            let mut state = Xoshiro256pp(std::array::from_fn(|w| rng.main.s[w][l]));
            for (n, group) in body.chunks_exact_mut(LANES).enumerate() {
                let bits = state.next_u64();
                let (i, _, x) = self.attempt(bits);
                group[l] = x;
                if x.abs() >= self.x[i + 1] {
                    slow.push((n * LANES + l, bits));
                }
            }
            for (w, word) in state.0.into_iter().enumerate() {
                rng.main.s[w][l] = word;
            }
        }
        slow.sort_unstable_by_key(|&(at, _)| at);
        for (at, bits) in slow {
            let (i, u, x) = self.attempt(bits);
            body[at] = self.slow(&mut rng.aux, i, u, x);
        }
        self.fill_rest(rng, rest);
    }

    /// The last `out.len() < LANES` draws: one more step of every main stream, the first
    /// `out.len()` lanes used.
    fn fill_rest(&self, rng: &mut ChunkRng, out: &mut [f64]) {
        if out.is_empty() {
            return;
        }
        for (z, b) in out.iter_mut().zip(rng.main.next_u64()) {
            let (i, u, x) = self.attempt(b);
            *z = if x.abs() < self.x[i + 1] {
                x
            } else {
                self.slow(&mut rng.aux, i, u, x)
            };
        }
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

    /// The rare cases (about 1.2% of draws): attempt (i, u, x) fell outside layer i's
    /// core; finish it (wedge or tail) and, if it is rejected, make new attempts from `aux`
    /// until one is accepted.
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
    fn each_lane_is_a_xoshiro_stream() {
        let seeds: [Xoshiro256pp; LANES] =
            std::array::from_fn(|l| Xoshiro256pp([1 + l as u64, 2, 3, 4]));
        let mut lanes = Lanes::new(seeds);
        let mut scalar = seeds;
        let mut lane0 = Vec::new();
        for _ in 0..3 {
            let want: Vec<u64> = scalar.iter_mut().map(Xoshiro256pp::next_u64).collect();
            let got = lanes.next_u64();
            assert_eq!(got.to_vec(), want);
            lane0.push(got[0]);
        }
        // Lane 0 was seeded {1, 2, 3, 4}: the reference output.
        assert_eq!(lane0, [41_943_041, 58_720_359, 3_588_806_011_781_223]);
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
        let mut rng = ChunkRng::for_chunk(42, 0);
        let n = 2_000_000;
        let mut draws = vec![0.0; n];
        zig.fill(&mut rng, &mut draws);
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
    #[cfg(target_arch = "x86_64")]
    fn vector_and_portable_fills_agree() {
        let zig = Ziggurat::new();
        if !zig.avx512 {
            return;
        }
        // Two calls on the same generators, the first not a whole number of lanes or
        // pieces: the states, aux included, must carry over identically too.
        let draw = |fill: fn(&Ziggurat, &mut ChunkRng, &mut [f64])| {
            let mut rng = ChunkRng::for_chunk(5, 3);
            let mut out = vec![0.0; 100_003];
            fill(&zig, &mut rng, &mut out[..70_001]);
            fill(&zig, &mut rng, &mut out[70_001..]);
            out
        };
        // SAFETY: the CPU has AVX-512 (checked above).
        let vector = draw(|z, r, o| unsafe { z.fill_avx512(r, o) });
        let portable = draw(Ziggurat::fill_lanes);
        assert!(
            vector
                .iter()
                .zip(&portable)
                .all(|(a, b)| a.to_bits() == b.to_bits())
        );
    }

    #[test]
    fn chunks_get_different_streams() {
        let first = |seed, chunk| {
            let mut rng = ChunkRng::for_chunk(seed, chunk);
            let mut words = rng.main.next_u64().to_vec();
            words.push(rng.aux.next_u64());
            words
        };
        let a = first(7, 0);
        let b = first(7, 1);
        let c = first(8, 0);
        let mut all: Vec<u64> = [&a, &b, &c].into_iter().flatten().copied().collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 3 * (LANES + 1), "streams must differ");
        assert_eq!(a, first(7, 0));
    }
}
