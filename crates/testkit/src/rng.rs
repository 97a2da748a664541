//! One seeded random generator for tests that need randomness: the seed comes from an
//! environment variable when set (to replay a failure) or from the clock, and is printed.

use rand::SeedableRng;
use rand::rngs::StdRng;

/// The seed in `var` if it is set and a number, otherwise one from the clock. Prints which,
/// and how to replay it.
pub fn seed_from_env(var: &str) -> u64 {
    let seed = std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(clock_seed);
    println!("seed: {seed} (replay with {var}={seed})");
    seed
}

fn clock_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    // The low 64 bits change fastest.
    u64::try_from(nanos & u128::from(u64::MAX)).unwrap_or_default()
}

/// A generator that gives the same numbers for the same seed.
pub fn seeded(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn the_same_seed_gives_the_same_numbers() {
        assert_eq!(
            seeded(7).gen_range(0..1_000_000u64),
            seeded(7).gen_range(0..1_000_000u64)
        );
        let x: Vec<u64> = {
            let mut r = seeded(42);
            (0..8).map(|_| r.r#gen()).collect()
        };
        let y: Vec<u64> = {
            let mut r = seeded(42);
            (0..8).map(|_| r.r#gen()).collect()
        };
        assert_eq!(x, y);
        let z: Vec<u64> = {
            let mut r = seeded(43);
            (0..8).map(|_| r.r#gen()).collect()
        };
        assert_ne!(x, z);
    }

    // set_var and remove_var are unsafe since edition 2024 (another thread may read the
    // environment); nextest runs each test in its own process.
    #[allow(unsafe_code)]
    #[test]
    fn the_variable_chooses_the_seed() {
        let var = "TESTKIT_RNG_TEST_SEED";
        // SAFETY: this test alone reads or writes this variable.
        unsafe { std::env::set_var(var, "12345") };
        assert_eq!(seed_from_env(var), 12345);
        // SAFETY: as above.
        unsafe { std::env::set_var(var, "not a number") };
        assert_ne!(seed_from_env(var), 12345);
        // SAFETY: as above.
        unsafe { std::env::remove_var(var) };
    }
}
