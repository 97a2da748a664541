//! Quality tiers for localnet miners: `--quality 1..4` on either subnet, 4 best. A validator
//! scores the tiers of a subnet in strictly decreasing order, with margins meant to survive
//! noisy rounds and a loaded CPU (`tests/tiers.rs`; `docs/subnets.md` has the figures).
//!
//! | rank | text ([`Quality`]) | forecast ([`forecaster_from_spec`]) |
//! |---|---|---|
//! | 4 | `honest`: the model's greedy answer | `fitted`: trend + season + AR(1) residuals |
//! | 3 | `ramble:24:2`: ≤ 24 tokens, then two filler words per word | `biased:2`: fitted + 2 mean steps |
//! | 2 | `ramble:12:4`: ≤ 12 tokens, four fillers per word | `biased:4` |
//! | 1 | `ramble:4:10`: ≤ 4 tokens, ten fillers per word | `biased:8` |
//!
//! Text degrades by cutting the answer and padding it: the start survives (known-answer checks
//! still pass), similarity to the reference falls with the cut and the padding, and a degraded
//! answer never equals the honest one (so the copy rule never fires between tiers). Forecasts
//! degrade by a fixed shift measured in the validator's own error scale, so the expected score
//! `1/(1 + MAE/scale)` falls by a wide, noise-proof margin at each rank; the realistic models
//! (fitted > MA(8) > naive) are only 0.03-0.05 apart on average, too close to rank reliably
//! within a few tempos.

use crate::forecast::{Forecaster, forecaster_from_spec};
use crate::text::Quality;

/// The lowest rank.
pub const MIN_RANK: u8 = 1;
/// The highest (best) rank.
pub const MAX_RANK: u8 = 4;

/// `"1"`..`"4"` (or `tier1`..`tier4`) as a rank; `None` for anything else.
pub fn parse_rank(s: &str) -> Option<u8> {
    let t = s.trim();
    let t = t.strip_prefix("tier").unwrap_or(t);
    t.parse::<u8>()
        .ok()
        .filter(|r| (MIN_RANK..=MAX_RANK).contains(r))
}

/// The text quality of a rank.
pub fn text_quality(rank: u8) -> Quality {
    match rank {
        4.. => Quality::Honest,
        3 => Quality::Ramble {
            max_tokens: 24,
            pad: 2,
        },
        2 => Quality::Ramble {
            max_tokens: 12,
            pad: 4,
        },
        _ => Quality::Ramble {
            max_tokens: 4,
            pad: 10,
        },
    }
}

/// The forecaster spec of a rank.
pub fn forecast_spec(rank: u8) -> &'static str {
    match rank {
        4.. => "fitted",
        3 => "biased:2",
        2 => "biased:4",
        _ => "biased:8",
    }
}

/// `--quality` for a text miner: a rank `1..4` or a named [`Quality`].
pub fn text_quality_from(s: &str) -> Result<Quality, String> {
    match parse_rank(s) {
        Some(r) => Ok(text_quality(r)),
        None => s.parse::<Quality>(),
    }
}

/// A forecasting miner's model from `--quality` (a rank `1..4`) and/or `--forecaster SPEC`
/// (which wins when both are given); `fitted` when neither is.
pub fn forecaster_from(
    quality: Option<&str>,
    forecaster: Option<&str>,
) -> Result<Box<dyn Forecaster>, String> {
    if let Some(spec) = forecaster {
        return forecaster_from_spec(spec);
    }
    match quality {
        None => forecaster_from_spec("fitted"),
        Some(q) => match parse_rank(q) {
            Some(r) => forecaster_from_spec(forecast_spec(r)),
            None if q == "honest" => forecaster_from_spec("fitted"),
            None => forecaster_from_spec(q).map_err(|_| {
                format!("bad quality `{q}` for forecasting: use 1..4, or --forecaster SPEC")
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_parse() {
        assert_eq!(parse_rank("4"), Some(4));
        assert_eq!(parse_rank("tier2"), Some(2));
        assert_eq!(parse_rank("0"), None);
        assert_eq!(parse_rank("5"), None);
        assert_eq!(text_quality_from("4"), Ok(Quality::Honest));
        assert_eq!(text_quality_from("empty"), Ok(Quality::Empty));
        assert!(text_quality_from("x").is_err());
        assert_eq!(forecaster_from(Some("3"), None).unwrap().name(), "biased:2");
        assert_eq!(
            forecaster_from(Some("1"), Some("naive")).unwrap().name(),
            "naive"
        );
        assert_eq!(forecaster_from(None, None).unwrap().name(), "seasonal");
        assert!(forecaster_from(Some("bogus"), None).is_err());
    }
}
