//! Synthetic subnets for the benchmarks and the timing example (shared by `#[path]`).

#![allow(
    clippy::arithmetic_side_effects,
    clippy::expect_used,
    clippy::as_conversions,
    dead_code
)]

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use yuma::{EpochInput, EpochParams, EpochState, LiquidAlphaParams, epoch};

/// A subnet of `n` uids whose first `validators` uids hold stake and set weights on every other
/// uid (`dense`) or on a random 10% of them.
pub fn subnet(
    n: u16,
    validators: u16,
    dense: bool,
    yuma3: bool,
) -> (EpochParams, EpochInput, EpochState) {
    subnet_with_penalty(
        n,
        validators,
        dense,
        yuma3,
        EpochParams::default().bonds_penalty,
    )
}

/// [`subnet`] with a given bonds penalty (0 makes liquid alpha see raw weights above
/// consensus, so nearly every bond needs its own `exp`: the liquid-alpha worst case).
pub fn subnet_with_penalty(
    n: u16,
    validators: u16,
    dense: bool,
    yuma3: bool,
    bonds_penalty: u16,
) -> (EpochParams, EpochInput, EpochState) {
    // Seeded by the shape, so runs are comparable.
    let mut rng =
        StdRng::seed_from_u64(0x9E37_79B9_7F4A_7C15 ^ u64::from(n) ^ (u64::from(dense) << 20));
    let nu = usize::from(n);
    let params = EpochParams {
        yuma3,
        liquid_alpha: LiquidAlphaParams {
            enabled: yuma3,
            ..LiquidAlphaParams::default()
        },
        max_allowed_validators: validators,
        bonds_penalty,
        ..EpochParams::default()
    };
    let alpha_stake: Vec<u64> = (0..n)
        .map(|i| {
            if i < validators {
                1_000_000_000 + rng.gen_range(0..1_000_000_000_000)
            } else {
                0
            }
        })
        .collect();
    let weights: Vec<Vec<(u16, u16)>> = (0..n)
        .map(|i| {
            if i >= validators {
                return Vec::new();
            }
            let mut row: Vec<(u16, u16)> = Vec::new();
            for j in 0..n {
                if j != i && (dense || rng.gen_range(0..10) == 0) {
                    row.push((j, rng.gen_range(1..=65535u16)));
                }
            }
            // set_weights stores rows max-upscaled to 65535.
            let max = row.iter().map(|(_, w)| u32::from(*w)).max().unwrap_or(1);
            for (_, w) in &mut row {
                *w = ((u32::from(*w) * 65535 + max / 2) / max) as u16;
            }
            row
        })
        .collect();
    let input = EpochInput {
        n,
        current_block: 10_000,
        last_mechanism_step_block: 0,
        alpha_stake,
        tao_stake: Vec::new(),
        last_update: vec![9_990; nu],
        block_at_registration: vec![1; nu],
        weights,
        commit_blocks: Vec::new(),
        rao_emission: 1_000_000_000,
    };
    // One epoch to hand out permits, one to build bonds: the measured epoch starts from there.
    let mut state = EpochState::empty(n);
    for _ in 0..2 {
        state = epoch(&params, &input, &state)
            .expect("valid input")
            .next_state();
    }
    (params, input, state)
}
