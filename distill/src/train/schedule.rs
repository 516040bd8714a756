//! The learning rate at each step: linear warm-up from zero, then cosine decay to a floor.

/// The learning rate of optimizer step `step` (1-based) of `total`.
pub fn learning_rate(step: u64, total: u64, warmup: u64, peak: f64, floor: f64) -> f64 {
    if warmup > 0 && step <= warmup {
        return peak * step as f64 / warmup as f64;
    }
    let span = total.saturating_sub(warmup).max(1) as f64;
    let progress = ((step - warmup.min(step)) as f64 / span).clamp(0.0, 1.0);
    floor + 0.5 * (peak - floor) * (1.0 + (std::f64::consts::PI * progress).cos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warms_up_then_decays_to_the_floor() {
        let lr = |s| learning_rate(s, 100, 10, 1.0, 0.1);
        assert!((lr(1) - 0.1).abs() < 1e-12);
        assert!((lr(10) - 1.0).abs() < 1e-12);
        assert!((lr(55) - 0.55).abs() < 1e-12, "half-way down: {}", lr(55));
        assert!((lr(100) - 0.1).abs() < 1e-12);
        assert!(lr(30) > lr(31));
    }
}
