//! Pure statistics: medians, percentiles, pair-by-pair ratios and `[min..max]` summaries.
//!
//! Every comparison in `wsr bench` is taken pair by pair (rep *i* of A over rep *i* of B)
//! and then summarised by its median, so slow drifts of a shared machine cancel out.

use serde::Serialize;

/// The median, min and max of a set of values.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// The median (mean of the two middle values for an even count).
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
    /// How many values.
    pub n: usize,
}

impl Summary {
    /// Summarises `values`; `None` when there is no finite value.
    pub fn of(values: &[f64]) -> Option<Summary> {
        let sorted = sorted_finite(values);
        let median = median_sorted(&sorted)?;
        let (min, max) = (*sorted.first()?, *sorted.last()?);
        Some(Summary { median, min, max, n: sorted.len() })
    }
}

/// The median of the finite values, `None` when there is none.
pub fn median(values: &[f64]) -> Option<f64> {
    median_sorted(&sorted_finite(values))
}

/// The `p`-th percentile (0 to 100) by the nearest-rank method: the smallest value with at
/// least `p` % of the values at or below it. `None` for no finite value or `p` out of range.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if !(0.0..=100.0).contains(&p) {
        return None;
    }
    let sorted = sorted_finite(values);
    // The epsilon keeps float error (0.999 * 1000 = 999.000...1) from moving up a rank.
    let rank = (p * sorted.len() as f64 / 100.0 - 1e-9).ceil() as usize;
    sorted.get(rank.max(1) - 1).copied()
}

/// `a[i] / b[i]` for every rep `i` both have, skipping pairs where either is missing, not
/// finite, or `b[i]` is zero.
pub fn pairwise_ratios(a: &[Option<f64>], b: &[Option<f64>]) -> Vec<f64> {
    a.iter()
        .zip(b)
        .filter_map(|pair| match pair {
            (Some(x), Some(y)) if x.is_finite() && y.is_finite() && *y != 0.0 => Some(x / y),
            _ => None,
        })
        .collect()
}

fn sorted_finite(values: &[f64]) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    sorted
}

fn median_sorted(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

#[cfg(test)]
mod tests;
