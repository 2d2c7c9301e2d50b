//! Python's `random.random()` for a seed: the Mersenne Twister (MT19937) seeded as CPython seeds
//! it from an integer, and its 53-bit float. Decide breaks ties between equal gains with this
//! generator, so matching its seeded runs needs the same stream.

/// The generator's state.
pub(crate) struct PythonRandom {
    state: [u32; 624],
    index: usize,
}

impl PythonRandom {
    /// `random.seed(seed)` for a non-negative integer: the seed's 32-bit words, low first, fed
    /// to `init_by_array`.
    pub(crate) fn seeded(seed: u64) -> Self {
        let mut key: Vec<u32> = vec![seed as u32];
        if seed >> 32 != 0 {
            key.push((seed >> 32) as u32);
        }
        let mut rng = PythonRandom { state: [0; 624], index: 624 };
        rng.init_genrand(19_650_218);
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..624.max(key.len()) {
            let prev = rng.state[i - 1] ^ (rng.state[i - 1] >> 30);
            rng.state[i] = (rng.state[i] ^ prev.wrapping_mul(1_664_525)).wrapping_add(key[j]).wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= 624 {
                rng.state[0] = rng.state[623];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..623 {
            let prev = rng.state[i - 1] ^ (rng.state[i - 1] >> 30);
            rng.state[i] = (rng.state[i] ^ prev.wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= 624 {
                rng.state[0] = rng.state[623];
                i = 1;
            }
        }
        rng.state[0] = 0x8000_0000;
        rng
    }

    fn init_genrand(&mut self, seed: u32) {
        self.state[0] = seed;
        for i in 1..624 {
            let prev = self.state[i - 1] ^ (self.state[i - 1] >> 30);
            self.state[i] = 1_812_433_253u32.wrapping_mul(prev).wrapping_add(i as u32);
        }
        self.index = 624;
    }

    fn next_u32(&mut self) -> u32 {
        if self.index >= 624 {
            for k in 0..624 {
                let y = (self.state[k] & 0x8000_0000) | (self.state[(k + 1) % 624] & 0x7fff_ffff);
                let mut v = self.state[(k + 397) % 624] ^ (y >> 1);
                if y & 1 != 0 {
                    v ^= 0x9908_b0df;
                }
                self.state[k] = v;
            }
            self.index = 0;
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// Draws one 32-bit word and drops it (what `random.getrandbits(k)` does for k ≤ 32).
    pub(crate) fn discard_word(&mut self) {
        self.next_u32();
    }

    /// `random.random()`: a float in [0, 1) from two draws.
    pub(crate) fn random(&mut self) -> f64 {
        let a = f64::from(self.next_u32() >> 5);
        let b = f64::from(self.next_u32() >> 6);
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }
}

#[cfg(test)]
mod tests {
    use super::PythonRandom;

    #[test]
    fn the_stream_is_pythons() {
        // python3 -c "import random; random.seed(0); print([random.random() for _ in range(3)])"
        let mut r = PythonRandom::seeded(0);
        assert_eq!([r.random(), r.random(), r.random()], [0.8444218515250481, 0.7579544029403025, 0.420571580830845]);
        // random.seed(42); random.random(), and the 1000th draw (past one refill of the state).
        let mut r = PythonRandom::seeded(42);
        assert_eq!(r.random(), 0.6394267984578837);
        let thousandth = (1..1000).fold(0.0, |_, _| r.random());
        assert_eq!(thousandth, PYTHON_SEED_42_DRAW_1000);
        // After random.getrandbits(24): random.seed(0); random.getrandbits(24); random.random()
        let mut r = PythonRandom::seeded(0);
        r.discard_word();
        assert_eq!(r.random(), PYTHON_SEED_0_AFTER_ONE_WORD);
        // A seed wider than 32 bits: random.seed(2**40 + 5).
        assert_eq!(PythonRandom::seeded((1 << 40) + 5).random(), 0.5043802970418443);
    }

    const PYTHON_SEED_0_AFTER_ONE_WORD: f64 = 0.3852453064766108;
    const PYTHON_SEED_42_DRAW_1000: f64 = 0.8554501933059546;
}
