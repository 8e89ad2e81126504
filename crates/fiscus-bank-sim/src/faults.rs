//! The fault flags of the simulator and its seeded random draws. Ratios are parts per million
//! (integers: no floats), parsed from decimal text such as `0.1`.

use std::sync::Mutex;

/// A probability in parts per million.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ratio(pub u32);

pub const PPM: u32 = 1_000_000;

impl Ratio {
    /// `0`, `1`, `0.25`, `.5`: a decimal in 0..=1 with up to six decimals.
    pub fn parse(text: &str) -> Result<Ratio, String> {
        let bad = || format!("{text} is not a ratio between 0 and 1 (at most six decimals)");
        let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty())
            || !digits(whole)
            || !digits(fraction)
            || fraction.len() > 6
        {
            return Err(bad());
        }
        let whole: u32 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let mut fraction_ppm: u32 = 0;
        for (index, digit) in fraction.bytes().enumerate() {
            let place = 10u32.pow(5 - u32::try_from(index).map_err(|_| bad())?);
            fraction_ppm += u32::from(digit - b'0') * place;
        }
        let ppm = whole
            .checked_mul(PPM)
            .and_then(|w| w.checked_add(fraction_ppm))
            .ok_or_else(bad)?;
        if ppm > PPM {
            return Err(bad());
        }
        Ok(Ratio(ppm))
    }
}

/// What can go wrong between the bank and finance, and how often.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// Each delivery waits a random time in this range (ms) before its first attempt.
    pub delay_ms: (u64, u64),
    /// A delivered message is delivered again (same envelope, same `MsgId`).
    pub duplicate_ratio: Ratio,
    /// Messages travel independently, so random delays reorder them.
    pub reorder: bool,
    /// An attempt is lost: inbound requests get 503 without effect; outbound attempts are
    /// not sent and are retried.
    pub drop_ratio: Ratio,
    /// A message is first sent with a corrupted signature, then correctly.
    pub corrupt_signature_ratio: Ratio,
    /// A paid voucher is refunded in full later (account numbers ending in 9999 always are).
    pub refund_ratio: Ratio,
    /// How long after the payment a refund comes.
    pub refund_delay_ms: u64,
}

/// A seeded generator (SplitMix64) shared by the simulator's tasks.
#[derive(Debug)]
pub struct SimRng(Mutex<u64>);

impl SimRng {
    pub fn new(seed: u64) -> SimRng {
        SimRng(Mutex::new(seed))
    }

    pub fn next_u64(&self) -> u64 {
        let Ok(mut state) = self.0.lock() else {
            return 0;
        };
        *state = state.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }

    /// True with the given probability.
    pub fn hit(&self, ratio: Ratio) -> bool {
        ratio.0 > 0 && (self.next_u64() % u64::from(PPM)) < u64::from(ratio.0)
    }

    /// Uniform in `min..=max` (`min` when the range is empty).
    pub fn between(&self, min: u64, max: u64) -> u64 {
        if max <= min {
            return min;
        }
        min + self.next_u64() % (max - min + 1)
    }

    /// A 32-hex-digit id, for when the operating system's randomness fails.
    pub fn id(&self) -> String {
        format!("{:016x}{:016x}", self.next_u64(), self.next_u64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios() {
        for (text, ppm) in [
            ("0", 0),
            ("1", PPM),
            ("0.1", 100_000),
            (".5", 500_000),
            ("0.000001", 1),
        ] {
            assert_eq!(Ratio::parse(text), Ok(Ratio(ppm)), "{text}");
        }
        for bad in ["", ".", "1.5", "2", "-0.1", "0.0000001", "abc", "0,5"] {
            assert!(Ratio::parse(bad).is_err(), "{bad}");
        }
    }
}
