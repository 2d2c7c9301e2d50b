//! Helpers shared by the crate's tests.

/// A seeded xorshift generator: each call gives a number below `n` (`n` > 0), the same
/// sequence for the same seed, so randomised tests fail the same way twice.
pub(crate) fn below(seed: u64) -> impl FnMut(u64) -> u64 {
    let mut x = seed;
    move |n| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    }
}
