//! Monte Carlo: zero-mean multivariate normal scenarios through a Cholesky factor.
//!
//! With Sigma = L L', a scenario's 1-hour returns are r = L z (z standard normal), its P&L
//! is x'L z = w.z with w = L'x precomputed, so a path costs k normal draws and k
//! multiply-adds. Paths are generated in fixed chunks of [`CHUNK`] paths, chunk c drawing
//! from a generator seeded by (seed, c) only; threads take chunks from a shared counter and
//! the results are put back in chunk order, so the figures depend on the seed and never on
//! the number of threads.
//!
//! The per-position losses are needed only for the tail, and only through the sum of the
//! tail paths' z vectors (sum over the tail of x_i (L z)_i = x_i (L sum z)_i). Since the
//! P&L is exactly N(0, |w|^2), the quantile is known in advance up to sampling error; one
//! pass keeps (loss, z) for the paths whose loss is above a threshold a safe margin (six
//! standard errors of the empirical quantile, plus 0.05 sd) below it. If those candidates
//! hold the whole tail, as they all but always do, the quantile, the tail mean and the tail
//! z sum come from them. Otherwise (or when the candidates would be too many: low
//! confidence, few paths) a pass stores every loss, selects the quantile among them, and a
//! second pass regenerates the chunks that hold tail paths to sum their z.

mod rng;

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use rng::{ChunkRng, Ziggurat};

use crate::quantile::{by_loss_then_index, rank, tail_mean};
use crate::{Covariance, Report, normal};

/// Paths per chunk: the unit of seeding and of work sharing.
const CHUNK: usize = 4096;
/// Paths per block of normals inside a chunk (block x assets numbers, in cache).
const BLOCK: usize = 256;
/// Candidate mode is used only if the expected number of kept numbers is below this.
const MAX_KEPT: f64 = (1 << 23) as f64;

/// The Monte Carlo estimate, scaled by `scale`. `paths >= 1`.
pub(crate) fn monte_carlo(
    values: &[f64],
    covariance: &Covariance,
    confidence: f64,
    scale: f64,
    paths: usize,
    seed: u64,
    threads: usize,
) -> Report {
    let k = values.len();
    let l = covariance.cholesky();
    // w = L'x: w_j = sum_{i >= j} L_ij x_i.
    let w: Vec<f64> = (0..k)
        .map(|j| (j..k).map(|i| l[i * k + j] * values[i]).sum())
        .collect();
    let sd = w.iter().map(|v| v * v).sum::<f64>().sqrt();
    let chunks = paths.div_ceil(CHUNK);
    let threads = match threads {
        0 => thread::available_parallelism().map_or(1, NonZeroUsize::get),
        t => t,
    }
    .min(chunks);
    let sim = Simulation {
        w: &w,
        zig: Ziggurat::new(),
        seed,
        paths,
        threads,
    };

    let m = rank(confidence, paths);
    let tail_count = paths - m + 1;
    let tail = candidate_threshold(confidence, paths, sd, k)
        .and_then(|threshold| tail_from_candidates(&sim, threshold, tail_count))
        .unwrap_or_else(|| tail_from_all_losses(&sim, m));

    // Mean loss of each position over the tail: -x_i (L zsum)_i / T.
    let per_position: Vec<f64> = (0..k)
        .map(|i| {
            let lz: f64 = (0..=i).map(|j| l[i * k + j] * tail.z_sum[j]).sum();
            -values[i] * lz / tail_count as f64
        })
        .collect();
    // They sum to the tail mean loss (ES, up to rounding); rescaled to sum to VaR.
    let total: f64 = per_position.iter().sum();
    let contributions = if total != 0.0 && total.is_finite() {
        per_position
            .iter()
            .map(|c| c * (tail.quantile / total) * scale)
            .collect()
    } else {
        vec![0.0; k]
    };
    Report {
        var: tail.quantile * scale,
        es: tail.mean * scale,
        contributions,
    }
}

/// What the rest needs of the tail: the 1-hour loss quantile, the tail mean, and the sum of
/// the tail paths' standard normal vectors.
struct Tail {
    quantile: f64,
    mean: f64,
    z_sum: Vec<f64>,
}

struct Simulation<'a> {
    w: &'a [f64],
    zig: Ziggurat,
    seed: u64,
    paths: usize,
    threads: usize,
}

impl Simulation<'_> {
    fn chunks(&self) -> usize {
        self.paths.div_ceil(CHUNK)
    }

    /// Runs chunk `chunk`, calling `sink(first path of the block, z, losses)` per block.
    /// `z` is asset-major: asset j's draws for the block's paths are `z[j*len..(j+1)*len]`.
    fn run_chunk(
        &self,
        chunk: usize,
        scratch: &mut Scratch,
        mut sink: impl FnMut(usize, &[f64], &[f64]),
    ) {
        let k = self.w.len();
        let mut rng = ChunkRng::for_chunk(self.seed, chunk as u64);
        let start = chunk * CHUNK;
        let end = (start + CHUNK).min(self.paths);
        let mut first = start;
        while first < end {
            let len = BLOCK.min(end - first);
            let z = &mut scratch.z[..len * k];
            self.zig.fill(&mut rng, z);
            let loss = &mut scratch.loss[..len];
            #[cfg(target_arch = "x86_64")]
            if self.zig.avx512 {
                // SAFETY: `avx512` is set only when the CPU has AVX-512F.
                unsafe { losses_avx512(self.w, z, loss) };
            } else {
                losses(self.w, z, loss);
            }
            #[cfg(not(target_arch = "x86_64"))]
            losses(self.w, z, loss);
            sink(first, z, loss);
            first += len;
        }
    }

    /// `work(chunk, scratch)` for every chunk, on `threads` threads; results in chunk order.
    fn for_each_chunk<T: Send>(&self, work: impl Fn(usize, &mut Scratch) -> T + Sync) -> Vec<T> {
        let chunks = self.chunks();
        let k = self.w.len();
        let next = AtomicUsize::new(0);
        let worker = || {
            let mut scratch = Scratch {
                z: vec![0.0; BLOCK * k],
                loss: vec![0.0; BLOCK],
            };
            let mut done = Vec::new();
            loop {
                let chunk = next.fetch_add(1, Ordering::Relaxed);
                if chunk >= chunks {
                    return done;
                }
                done.push((chunk, work(chunk, &mut scratch)));
            }
        };
        let batches: Vec<Vec<(usize, T)>> = if self.threads <= 1 {
            vec![worker()]
        } else {
            thread::scope(|s| {
                let handles: Vec<_> = (1..self.threads).map(|_| s.spawn(worker)).collect();
                let mut batches = vec![worker()];
                for handle in handles {
                    // A worker panics only on a bug; pass the panic on unchanged.
                    batches.push(
                        handle
                            .join()
                            .unwrap_or_else(|e| std::panic::resume_unwind(e)),
                    );
                }
                batches
            })
        };
        let mut slots: Vec<Option<T>> = (0..chunks).map(|_| None).collect();
        for (chunk, result) in batches.into_iter().flatten() {
            slots[chunk] = Some(result);
        }
        slots.into_iter().flatten().collect()
    }
}

/// The losses of a block of paths: loss[p] = -sum_j w_j z[j len + p], z asset-major.
/// Sums are taken in asset order, a multiplication and an addition each, so the vector
/// build gives the same bits.
#[inline(always)]
fn losses(w: &[f64], z: &[f64], loss: &mut [f64]) {
    loss.fill(0.0);
    for (wj, zj) in w.iter().zip(z.chunks_exact(loss.len())) {
        for (l, zp) in loss.iter_mut().zip(zj) {
            *l += wj * zp;
        }
    }
    for l in loss.iter_mut() {
        // Loss = -P&L; `+ 0.0` makes a zero loss +0.0 (the total order sorts -0.0 lower).
        *l = -*l + 0.0;
    }
}

/// [`losses`] compiled for AVX-512: eight paths per instruction instead of two.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn losses_avx512(w: &[f64], z: &[f64], loss: &mut [f64]) {
    losses(w, z, loss);
}

struct Scratch {
    z: Vec<f64>,
    loss: Vec<f64>,
}

/// A loss threshold below which the tail almost surely does not reach, or `None` when
/// keeping every path above it would cost too much memory.
fn candidate_threshold(confidence: f64, paths: usize, sd: f64, k: usize) -> Option<f64> {
    let z = normal::inverse_cdf(confidence);
    // Standard error of the empirical c-quantile of n standard normals:
    // sqrt(c (1 - c) / n) / phi(z).
    let se = (confidence * (1.0 - confidence) / paths as f64).sqrt() / normal::pdf(z);
    let t = z - 0.05 - 6.0 * se;
    let kept = normal::cdf(-t) * paths as f64 * (k + 2) as f64;
    (sd > 0.0 && kept <= MAX_KEPT && normal::cdf(-t) <= 0.25).then_some(t * sd)
}

/// One pass keeping the paths with loss >= `threshold`; `None` if they are fewer than the
/// tail (the threshold was too high), so the tail may hold paths that were not kept.
fn tail_from_candidates(sim: &Simulation<'_>, threshold: f64, tail_count: usize) -> Option<Tail> {
    let k = sim.w.len();
    // Per chunk: the kept losses in path order and their z vectors, k numbers each.
    let kept = sim.for_each_chunk(|chunk, scratch| {
        let mut losses = Vec::new();
        let mut zs = Vec::new();
        sim.run_chunk(chunk, scratch, |_, z, loss| {
            let len = loss.len();
            for (p, &l) in loss.iter().enumerate() {
                if l >= threshold {
                    losses.push(l);
                    zs.extend((0..k).map(|j| z[j * len + p]));
                }
            }
        });
        (losses, zs)
    });
    let (losses, zs): (Vec<Vec<f64>>, Vec<Vec<f64>>) = kept.into_iter().unzip();
    // Candidate index order is path order, so it breaks ties as the path index would.
    let mut candidates: Vec<(f64, usize)> = losses.into_iter().flatten().zip(0..).collect();
    let zs: Vec<f64> = zs.into_iter().flatten().collect();
    if candidates.len() < tail_count {
        return None;
    }
    let r = candidates.len() - tail_count;
    let (_, &mut quantile, above) = candidates.select_nth_unstable_by(r, by_loss_then_index);
    let mean = tail_mean(quantile.0, above.iter().map(|c| c.0), tail_count);
    let mut z_sum = vec![0.0; k];
    for &(_, c) in std::iter::once(&quantile).chain(above.iter()) {
        for (s, z) in z_sum.iter_mut().zip(&zs[c * k..(c + 1) * k]) {
            *s += z;
        }
    }
    Some(Tail {
        quantile: quantile.0,
        mean,
        z_sum,
    })
}

/// Stores every loss, selects the `m`-th smallest, then regenerates the chunks holding tail
/// paths to sum their z vectors.
fn tail_from_all_losses(sim: &Simulation<'_>, m: usize) -> Tail {
    let k = sim.w.len();
    let losses: Vec<f64> = sim
        .for_each_chunk(|chunk, scratch| {
            let mut out = Vec::with_capacity(CHUNK);
            sim.run_chunk(chunk, scratch, |_, _, loss| out.extend_from_slice(loss));
            out
        })
        .into_iter()
        .flatten()
        .collect();
    let tail_count = sim.paths - m + 1;
    let mut sorted = losses.clone();
    let (_, &mut quantile, above) = sorted.select_nth_unstable_by(m - 1, f64::total_cmp);
    let mean = tail_mean(quantile, above.iter().copied(), tail_count);
    // Tail membership in the (loss, path) order: every loss above the quantile, and of the
    // losses equal to it, the last `ties` paths.
    let greater = above.iter().filter(|&&l| l > quantile).count();
    let ties = tail_count - greater;
    let mut seen = 0;
    let tie_cut = losses
        .iter()
        .rposition(|&l| {
            seen += usize::from(l == quantile);
            seen == ties
        })
        .unwrap_or(0);
    let in_tail =
        |path: usize| losses[path] > quantile || (losses[path] == quantile && path >= tie_cut);

    let sums = sim.for_each_chunk(|chunk, scratch| {
        let start = chunk * CHUNK;
        let end = (start + CHUNK).min(sim.paths);
        let mut sum = vec![0.0; k];
        if (start..end).any(in_tail) {
            sim.run_chunk(chunk, scratch, |first, z, loss| {
                let len = loss.len();
                for p in (0..len).filter(|&p| in_tail(first + p)) {
                    for (j, s) in sum.iter_mut().enumerate() {
                        *s += z[j * len + p];
                    }
                }
            });
        }
        sum
    });
    let mut z_sum = vec![0.0; k];
    for sum in sums {
        for (total, s) in z_sum.iter_mut().zip(sum) {
            *total += s;
        }
    }
    Tail {
        quantile,
        mean,
        z_sum,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simulation(w: &[f64], paths: usize, threads: usize) -> Simulation<'_> {
        Simulation {
            w,
            zig: Ziggurat::new(),
            seed: 11,
            paths,
            threads,
        }
    }

    #[test]
    fn candidates_and_all_losses_find_the_same_tail() {
        let w = [0.3, -1.2, 0.7, 2.0];
        let paths = 50_000;
        let sim = simulation(&w, paths, 2);
        let m = rank(0.99, paths);
        let tail_count = paths - m + 1;
        let sd = w.iter().map(|v| v * v).sum::<f64>().sqrt();
        let threshold = candidate_threshold(0.99, paths, sd, w.len()).unwrap();
        let a = tail_from_candidates(&sim, threshold, tail_count).unwrap();
        let b = tail_from_all_losses(&sim, m);
        assert_eq!(a.quantile, b.quantile);
        assert!((a.mean - b.mean).abs() < 1e-12 * b.mean.abs());
        for (x, y) in a.z_sum.iter().zip(&b.z_sum) {
            assert!((x - y).abs() < 1e-9, "{x} vs {y}");
        }
    }

    #[test]
    fn a_threshold_above_the_quantile_is_detected() {
        let w = [1.0];
        let sim = simulation(&w, 10_000, 1);
        // Only about 0.1% of losses exceed 3.09 sd; the 99% tail holds 1%.
        assert!(tail_from_candidates(&sim, 3.09, 101).is_none());
    }

    #[test]
    fn candidate_mode_is_skipped_where_it_would_keep_too_much() {
        assert!(candidate_threshold(0.99, 1_000_000, 1.0, 10).is_some());
        assert!(candidate_threshold(0.3, 1_000_000, 1.0, 10).is_none());
        assert!(candidate_threshold(0.99, 1_000_000, 0.0, 10).is_none());
        assert!(candidate_threshold(0.99, 1, 1.0, 10).is_none());
    }

    #[test]
    fn paths_need_not_fill_the_last_chunk() {
        let w = [1.0, 0.5];
        for paths in [1, 2, 255, 257, CHUNK - 1, CHUNK + 1] {
            let sim = simulation(&w, paths, 2);
            let tail = tail_from_all_losses(&sim, rank(0.9, paths));
            assert!(tail.quantile.is_finite() && tail.mean >= tail.quantile);
        }
    }
}
