use super::*;
use candle_core::{Device, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

fn quantized(rows: usize, cols: usize, dtype: GgmlDType, seed: u64) -> QTensor {
    let w = Tensor::from_vec(random(rows * cols, seed), (rows, cols), &Device::Cpu).unwrap();
    QTensor::quantize(&w, dtype).unwrap()
}

/// `x Wᵀ` in f64 from the dequantized weights.
fn reference(w: &[f32], x: &[f32], m: usize, rows: usize, cols: usize) -> Vec<f64> {
    let mut out = vec![0f64; m * rows];
    for i in 0..m {
        for r in 0..rows {
            out[i * rows + r] = (0..cols)
                .map(|c| w[r * cols + c] as f64 * x[i * cols + c] as f64)
                .sum();
        }
    }
    out
}

/// The kernels this CPU can run.
fn kernels_here() -> Vec<kernel::Kernel> {
    [
        kernel::Kernel::Portable,
        kernel::Kernel::Avx2,
        kernel::Kernel::Avx512,
    ]
    .into_iter()
    .filter(|&k| runs(k))
    .collect()
}

fn runs(k: kernel::Kernel) -> bool {
    match k {
        kernel::Kernel::Portable => true,
        #[cfg(target_arch = "x86_64")]
        kernel::Kernel::Avx2 => {
            std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
        }
        #[cfg(target_arch = "x86_64")]
        kernel::Kernel::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
        #[allow(unreachable_patterns)]
        _ => false,
    }
}

#[test]
fn integers_dequantize_exactly_as_ggml() {
    for dtype in [GgmlDType::Q4_0, GgmlDType::Q4_1, GgmlDType::Q8_0] {
        let q = quantized(5, 96, dtype, 1);
        let m = BlockInt8Matrix::from_qtensor(&q).unwrap().unwrap();
        let ggml: Vec<f32> = q
            .dequantize(&Device::Cpu)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        assert_eq!(m.dequantize(), ggml, "{dtype:?}");
    }
    let q = quantized(4, 256, GgmlDType::Q4K, 1);
    assert!(BlockInt8Matrix::from_qtensor(&q).unwrap().is_none());
}

#[test]
fn matmul_matches_the_dequantized_weights_in_f64() {
    let (rows, cols, m) = (70, 192, 6);
    for dtype in [GgmlDType::Q4_0, GgmlDType::Q4_1, GgmlDType::Q8_0] {
        let w = BlockInt8Matrix::from_qtensor(&quantized(rows, cols, dtype, 2))
            .unwrap()
            .unwrap();
        let x = random(m * cols, 3);
        let want = reference(&w.dequantize(), &x, m, rows, cols);
        let got = w.matmul(&x, m);
        for (g, r) in got.iter().zip(&want) {
            assert!((*g as f64 - r).abs() < 1e-4, "{dtype:?}: {g} vs {r}");
        }
        // Every kernel this CPU runs agrees with the f64 reference.
        for k in kernels_here() {
            let y = w.matmul_with(k, &x, m);
            for (g, r) in y.iter().zip(&want) {
                assert!((*g as f64 - r).abs() < 1e-4, "{k:?} {dtype:?}: {g} vs {r}");
            }
        }
    }
}

#[test]
fn a_row_gives_the_same_bits_alone_and_in_any_batch() {
    let (rows, cols) = (100, 128);
    let w = BlockInt8Matrix::from_qtensor(&quantized(rows, cols, GgmlDType::Q4_1, 4))
        .unwrap()
        .unwrap();
    let x = random(9 * cols, 5);
    for k in kernels_here() {
        let batched = w.matmul_with(k, &x, 9);
        for i in 0..9 {
            let alone = w.matmul_with(k, &x[i * cols..(i + 1) * cols], 1);
            assert_eq!(alone, batched[i * rows..(i + 1) * rows], "{k:?} row {i}");
        }
        let five = w.matmul_with(k, &x[2 * cols..7 * cols], 5);
        assert_eq!(five, batched[2 * rows..7 * rows], "{k:?}");
    }
}

#[test]
fn stacked_rows_multiply_like_their_parts() {
    let cols = 64;
    let a = BlockInt8Matrix::from_qtensor(&quantized(8, cols, GgmlDType::Q4_1, 6))
        .unwrap()
        .unwrap();
    let b = BlockInt8Matrix::from_qtensor(&quantized(3, cols, GgmlDType::Q4_1, 7))
        .unwrap()
        .unwrap();
    let c = BlockInt8Matrix::from_qtensor(&quantized(3, cols, GgmlDType::Q8_0, 7))
        .unwrap()
        .unwrap();
    assert!(BlockInt8Matrix::stack(&[&a, &c]).is_none());
    let ab = BlockInt8Matrix::stack(&[&a, &b]).unwrap();
    let x = random(2 * cols, 8);
    let (ya, yb, yab) = (a.matmul(&x, 2), b.matmul(&x, 2), ab.matmul(&x, 2));
    for i in 0..2 {
        assert_eq!(yab[i * 11..i * 11 + 8], ya[i * 8..(i + 1) * 8]);
        assert_eq!(yab[i * 11 + 8..(i + 1) * 11], yb[i * 3..(i + 1) * 3]);
    }
}

#[test]
fn the_candle_op_checks_its_input() {
    let w = BlockInt8Matrix::from_qtensor(&quantized(4, 64, GgmlDType::Q8_0, 9))
        .unwrap()
        .unwrap();
    let x = Tensor::from_vec(random(3 * 64, 10), (3, 64), &Device::Cpu).unwrap();
    let y = x.apply_op1_no_bwd(&BlockInt8MatMul(&w)).unwrap();
    assert_eq!(y.dims(), &[3, 4]);
    let want = w.matmul(&x.flatten_all().unwrap().to_vec1().unwrap(), 3);
    assert_eq!(y.flatten_all().unwrap().to_vec1::<f32>().unwrap(), want);
    let strided = Tensor::from_vec(random(64 * 3, 11), (64, 3), &Device::Cpu)
        .unwrap()
        .t()
        .unwrap();
    assert!(strided.apply_op1_no_bwd(&BlockInt8MatMul(&w)).is_err());
    let narrow = Tensor::zeros((3, 32), candle_core::DType::F32, &Device::Cpu).unwrap();
    assert!(narrow.apply_op1_no_bwd(&BlockInt8MatMul(&w)).is_err());
}
