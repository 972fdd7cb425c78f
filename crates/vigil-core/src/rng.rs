//! Vigil's one deterministic random generator, for the simulator's noise and for tests and
//! benchmarks that need the same numbers on every run: SplitMix64 seeding xoshiro256**
//! (Blackman and Vigna), written here in forty lines rather than taken from `rand_xoshiro`
//! because the simulator promises the same world for the same seed on every machine and in
//! every version: a dependency may change its algorithm or its float conversion, this cannot.
//! Not for secrets: keys and nonces come from the operating system (`getrandom`).

/// A deterministic pseudo-random generator.
#[derive(Debug, Clone)]
pub struct Rng {
    state: [u64; 4],
    /// A second normal deviate from the last Box-Muller draw.
    spare_normal: Option<f64>,
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut s = seed;
        Self {
            state: [
                splitmix64(&mut s),
                splitmix64(&mut s),
                splitmix64(&mut s),
                splitmix64(&mut s),
            ],
            spare_normal: None,
        }
    }

    /// An independent generator for a sub-system (a sensor, a radio), so that adding draws in
    /// one place does not shift every other draw.
    pub fn fork(&mut self, salt: u64) -> Self {
        Self::new(self.next_u64() ^ salt.wrapping_mul(0xD6E8_FEB8_6659_FD93))
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.state[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.state[1] << 17;
        self.state[2] ^= self.state[0];
        self.state[3] ^= self.state[1];
        self.state[1] ^= self.state[2];
        self.state[0] ^= self.state[3];
        self.state[2] ^= t;
        self.state[3] = self.state[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    pub fn range(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.uniform()
    }

    /// Uniform in `0..n` (0 when `n` is 0), by Lemire's multiply-shift: no modulo bias worth
    /// the name for the small `n` of tests and benchmarks.
    pub fn below(&mut self, n: usize) -> usize {
        let wide = u128::from(self.next_u64()) * n as u128;
        usize::try_from(wide >> 64).unwrap_or(usize::MAX)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// Standard normal deviate (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        if let Some(spare) = self.spare_normal.take() {
            return spare;
        }
        let u1 = self.uniform().max(f64::MIN_POSITIVE);
        let u2 = self.uniform();
        let radius = (-2.0 * u1.ln()).sqrt();
        let angle = std::f64::consts::TAU * u2;
        self.spare_normal = Some(radius * angle.sin());
        radius * angle.cos()
    }

    /// Number of events of a Poisson process with mean `mean` (Knuth's method; small means).
    pub fn poisson(&mut self, mean: f64) -> u32 {
        let limit = (-mean.max(0.0)).exp();
        let mut count = 0;
        let mut product = self.uniform();
        while product > limit && count < 1000 {
            count += 1;
            product *= self.uniform();
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_numbers() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..1000 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Rng::new(7).next_u64(), Rng::new(8).next_u64());
    }

    #[test]
    fn the_sequence_is_xoshiro256starstar_seeded_by_splitmix64() {
        // The first outputs for seed 0 of the published algorithms (computed apart from this
        // code): a change here would silently change every simulated world.
        let mut splitmix = 0;
        assert_eq!(splitmix64(&mut splitmix), 0xE220_A839_7B1D_CDAF);
        let mut rng = Rng::new(0);
        let first: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(
            first,
            [
                0x99EC_5F36_CB75_F2B4,
                0xBF6E_1F78_4956_452A,
                0x1A5F_849D_4933_E6E0
            ]
        );
    }

    #[test]
    fn below_stays_below_and_covers_the_range() {
        let mut rng = Rng::new(3);
        let mut seen = [0u32; 7];
        for _ in 0..7000 {
            seen[rng.below(7)] += 1;
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.below(1), 0);
    }

    #[test]
    fn distributions_have_the_right_moments() {
        let mut rng = Rng::new(1);
        let n = 200_000;
        let (mut sum, mut sum_sq, mut uniform_sum, mut events) = (0.0, 0.0, 0.0, 0u64);
        for _ in 0..n {
            let x = rng.normal();
            sum += x;
            sum_sq += x * x;
            uniform_sum += rng.uniform();
            events += u64::from(rng.poisson(0.5));
        }
        let n = f64::from(n);
        assert!((sum / n).abs() < 0.01, "mean {}", sum / n);
        assert!((sum_sq / n - 1.0).abs() < 0.02, "variance {}", sum_sq / n);
        assert!((uniform_sum / n - 0.5).abs() < 0.005);
        assert!((events as f64 / n - 0.5).abs() < 0.01);
    }
}
