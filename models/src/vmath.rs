//! Deterministic vector math for the hot loops of sampling and attention: an `exp` and lane sums
//! that give the same bits on every machine and in every build of the loop (AVX-512, AVX2+FMA,
//! portable).
//!
//! `f32::exp` calls the platform's libm: a function call per element that does not vectorize,
//! and whose last bit can differ between libm versions, so a sampled dataset could depend on the
//! machine's C library. [`exp`] uses only IEEE additions, multiplications and fused
//! multiply-adds (`mul_add` is exactly rounded everywhere, in hardware or not), so each build of
//! a loop over it computes the same values, eight or sixteen at a time where the CPU can.
//!
//! Sums run over eight lanes combined in a fixed tree: the last `len mod 8` elements start lanes
//! 0.., then each full chunk of eight adds its element `j` to lane `j`. A vector unit follows that
//! order naturally, and it does not depend on the CPU.

/// Below this, `exp` is 0 (the result would be subnormal; the callers weigh probabilities).
const MIN_ARG: f32 = -87.0;
/// Above this, `exp` is +∞.
const MAX_ARG: f32 = 88.72;
const LOG2E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split in two (Cody–Waite): the high part has few bits, so `n · LN2_HI` is exact.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// 1.5 · 2²³: adding and subtracting it rounds an f32 of magnitude below 2²² to an integer (ties
/// to even), in any vector width.
const ROUND: f32 = 12_582_912.0;

/// `e^x` to about one unit in the last place; 0 below −87, +∞ above 88.72, NaN for NaN.
/// Branch-free, so loops over it vectorize.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    // `max`/`min` drop a NaN (`clamp` would keep it), so everything below stays finite; NaN is
    // put back at the end.
    #[allow(clippy::manual_clamp)]
    let xc = x.max(MIN_ARG).min(MAX_ARG);
    // x = n·ln2 + r with |r| <= ln2/2; the integer n also sits in the low bits of `k`.
    let k = xc * LOG2E + ROUND;
    let n = k - ROUND;
    let ni = k.to_bits() as i32 - ROUND.to_bits() as i32;
    let r = n.mul_add(-LN2_HI, xc);
    let r = n.mul_add(-LN2_LO, r);
    // e^r = 1 + r + r²·p(r) (Cephes' expf polynomial).
    let p = 1.987_569_1e-4f32
        .mul_add(r, 1.398_199_9e-3)
        .mul_add(r, 8.333_452e-3)
        .mul_add(r, 4.166_579_6e-2)
        .mul_add(r, 0.166_666_65)
        .mul_add(r, 0.5);
    let er = (p * r).mul_add(r, r) + 1.0;
    // 2ⁿ in two factors, each a normal float for n in [-126, 128].
    let (n1, n2) = (ni >> 1, ni - (ni >> 1));
    let pow2 = |e: i32| f32::from_bits(((e + 127) as u32) << 23);
    let y = er * pow2(n1) * pow2(n2);
    let y = if x < MIN_ARG { 0.0 } else { y };
    let y = if x > MAX_ARG { f32::INFINITY } else { y };
    if x.is_nan() {
        x
    } else {
        y
    }
}

/// Lanes of the sums.
const LANES: usize = 8;

/// Lane sums combined in a fixed tree.
#[inline(always)]
fn combine(l: [f64; LANES]) -> f64 {
    ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]))
}

/// Compiles one body three times (AVX-512, AVX2+FMA, portable) and runs the best the CPU has.
/// The body may only use operations whose results do not depend on the build (no `f32::exp`).
macro_rules! multiversion {
    ($(#[$doc:meta])* pub fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty $body:block) => {
        $(#[$doc])*
        pub fn $name($($arg: $ty),*) -> $ret {
            #[inline(always)]
            fn body($($arg: $ty),*) -> $ret $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx2,fma")]
                fn avx512($($arg: $ty),*) -> $ret { body($($arg),*) }
                #[target_feature(enable = "avx2,fma")]
                fn avx2($($arg: $ty),*) -> $ret { body($($arg),*) }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU has AVX-512F.
                    return unsafe { avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: the CPU has AVX2 and FMA.
                    return unsafe { avx2($($arg),*) };
                }
            }
            body($($arg),*)
        }
    };
}

pub(crate) use multiversion;

/// `Σ x[i]` in f64 over eight lanes.
#[inline(always)]
pub fn lane_sum(x: &[f32]) -> f64 {
    let mut lanes = [0f64; LANES];
    let chunks = x.chunks_exact(LANES);
    for (lane, &v) in lanes.iter_mut().zip(chunks.remainder()) {
        *lane += f64::from(v);
    }
    for c in chunks {
        for i in 0..LANES {
            lanes[i] += f64::from(c[i]);
        }
    }
    combine(lanes)
}

multiversion! {
    /// `out[i] = exp(x[i] - shift)`, returning `Σ out[i]` summed in f64 over eight lanes.
    pub fn exp_shifted_sum(x: &[f32], shift: f32, out: &mut [f32]) -> f64 {
        assert_eq!(x.len(), out.len(), "exp_shifted_sum lengths");
        for (o, &v) in out.iter_mut().zip(x) {
            *o = exp(v - shift);
        }
        lane_sum(out)
    }
}

multiversion! {
    /// `out[i] = exp(f32((x[i] - shift) · scale))` with the difference and product in f64 (a
    /// tiny temperature makes `scale` huge), returning `Σ out[i]` summed in f64 over eight lanes.
    pub fn exp_scaled_sum(x: &[f32], shift: f64, scale: f64, out: &mut [f32]) -> f64 {
        assert_eq!(x.len(), out.len(), "exp_scaled_sum lengths");
        for (o, &v) in out.iter_mut().zip(x) {
            *o = exp(((f64::from(v) - shift) * scale) as f32);
        }
        lane_sum(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_two_ulp_of_f64_over_its_range() {
        let mut worst = 0f64;
        let mut x = -87.0f32;
        while x < 88.0 {
            let want = f64::from(x).exp();
            let got = f64::from(exp(x));
            let ulp = f64::from(f32::EPSILON) * want;
            worst = worst.max((got - want).abs() / ulp);
            x += 0.001_37;
        }
        assert!(worst < 2.0, "worst error {worst} ulp");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-100.0), 0.0);
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp(100.0), f32::INFINITY);
        assert!(exp(f32::NAN).is_nan());
    }

    #[test]
    fn every_build_gives_the_same_bits() {
        // The dispatched build against the portable body, element by element and in the sums.
        let x: Vec<f32> = (0..1003)
            .map(|i| ((i * 7919) % 2000) as f32 * -0.05)
            .collect();
        let mut out = vec![0f32; x.len()];
        let sum = exp_shifted_sum(&x, -3.0, &mut out);
        for (i, (&v, &o)) in x.iter().zip(&out).enumerate() {
            assert_eq!(o.to_bits(), exp(v + 3.0).to_bits(), "element {i}");
        }
        assert_eq!(sum.to_bits(), portable_sum(&out).to_bits());
        let sum2 = exp_scaled_sum(&x, 0.0, 1.25, &mut out);
        for (i, (&v, &o)) in x.iter().zip(&out).enumerate() {
            let e = exp((f64::from(v) * 1.25) as f32);
            assert_eq!(o.to_bits(), e.to_bits(), "element {i}");
        }
        assert_eq!(sum2.to_bits(), portable_sum(&out).to_bits());
    }

    /// The documented sum, written out: the tail (the last `len mod 8` elements) starts lanes
    /// 0.., then the full chunks of eight add element `j` of each to lane `j`.
    fn portable_sum(x: &[f32]) -> f64 {
        let full = x.len() / LANES * LANES;
        let mut lanes = [0f64; LANES];
        for (j, &v) in x[full..].iter().enumerate() {
            lanes[j] += f64::from(v);
        }
        for (i, &v) in x[..full].iter().enumerate() {
            lanes[i % LANES] += f64::from(v);
        }
        combine(lanes)
    }
}
