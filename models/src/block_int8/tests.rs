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
    .filter(|k| k.runs_here())
    .collect()
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
fn matmul_matches_the_dequantized_weights_and_rounded_activations_in_f64() {
    // 70 rows: four full tiles and a partial one.
    let (rows, cols, m) = (70, 192, 6);
    for dtype in [GgmlDType::Q4_0, GgmlDType::Q4_1, GgmlDType::Q8_0] {
        let w = BlockInt8Matrix::from_qtensor(&quantized(rows, cols, dtype, 2))
            .unwrap()
            .unwrap();
        let x = random(m * cols, 3);
        let rounded = QuantizedRows::new(&x, cols, true).dequantize();
        let want = reference(&w.dequantize(), &rounded, m, rows, cols);
        let exact = reference(&w.dequantize(), &x, m, rows, cols);
        let got = w.matmul(&x, m);
        for ((g, r), e) in got.iter().zip(&want).zip(&exact) {
            assert!((*g as f64 - r).abs() < 1e-4, "{dtype:?}: {g} vs {r}");
            // Rounding the activations to 16 bits moves a product of 192 terms of magnitude <= 1
            // by at most 192 · (1/32767) / 2.
            assert!((r - e).abs() < 3e-3, "{dtype:?}: {r} vs {e}");
        }
        // Every kernel this CPU runs gives the same bits: the integer sums are exact and the
        // floating-point steps are the same in each.
        for k in kernels_here() {
            assert_eq!(w.matmul_with(k, &x, m), got, "{k:?} {dtype:?}");
        }
    }
}

#[test]
fn activations_round_within_half_a_step_of_their_block() {
    let cols = 96;
    let mut x = random(2 * cols, 12);
    x[5] *= 1e4; // one large value coarsens its own block only
    x[40..72].fill(0.0); // parts of blocks 1 and 2
    x[96..128].fill(0.0); // all of block 3
    for v in &mut x[128..160] {
        *v *= 1e-20; // a small block keeps its relative precision
    }
    let q = QuantizedRows::new(&x, cols, true);
    let back = q.dequantize();
    for (b, (xb, yb)) in x.chunks(BLOCK).zip(back.chunks(BLOCK)).enumerate() {
        let amax = xb.iter().fold(0f32, |m, v| m.max(v.abs()));
        let step = q.scales[b];
        assert_eq!(step, amax / 32767.0, "block {b}");
        for (v, r) in xb.iter().zip(yb) {
            assert!(
                (v - r).abs() <= step * 0.5 * (1.0 + 1e-5),
                "block {b}: {v} vs {r}"
            );
        }
        let sum: i32 = q.q[b * BLOCK..(b + 1) * BLOCK]
            .iter()
            .map(|&v| v as i32)
            .sum();
        assert_eq!(q.sums[b], step * sum as f32);
    }
    assert!(q.q[40..72].iter().all(|&v| v == 0) && q.scales[1] != 0.0);
    assert!(q.scales[3] == 0.0 && q.q[96..128].iter().all(|&v| v == 0));
    // Below 2^-100 a block rounds to zeros (its reciprocal scale could overflow).
    let tiny = QuantizedRows::new(&[1e-35; 32], 32, true);
    assert!(tiny.scales == [0.0] && tiny.q.iter().all(|&v| v == 0) && tiny.sums == [0.0]);
}

#[test]
fn extreme_integers_do_not_overflow() {
    // Q8_0's most negative weight against activations that round to -32767: every block's
    // integer sum is 32 · 128 · 32767, the largest any kernel accumulates.
    let (rows, cols) = (16, 256);
    let w = BlockInt8Matrix::pack(RowMajor {
        rows,
        cols,
        qs: vec![-128; rows * cols],
        scales: vec![0.5; rows * cols / BLOCK],
        mins: None,
    });
    let x = vec![-3.0f32; 2 * cols];
    let want = 128.0 * 0.5 * 3.0 * cols as f64;
    for k in kernels_here() {
        let y = w.matmul_with(k, &x, 2);
        for v in &y {
            assert!(
                (*v as f64 - want).abs() <= want * 1e-6,
                "{k:?}: {v} vs {want}"
            );
        }
    }
}

#[test]
fn a_non_finite_activation_makes_its_outputs_nan() {
    let w = BlockInt8Matrix::from_qtensor(&quantized(20, 64, GgmlDType::Q4_1, 13))
        .unwrap()
        .unwrap();
    let mut x = random(2 * 64, 14);
    x[70] = f32::NAN; // row 1
    x[3] = f32::INFINITY; // row 0
    for k in kernels_here() {
        let y = w.matmul_with(k, &x, 2);
        assert!(y.iter().all(|v| v.is_nan()), "{k:?}: {y:?}");
    }
    x[3] = 0.5;
    let y = w.matmul(&x, 2);
    assert!(y[..20].iter().all(|v| v.is_finite()) && y[20..].iter().all(|v| v.is_nan()));
}

#[test]
fn a_row_gives_the_same_bits_alone_and_in_any_batch() {
    // 100 rows (six full tiles and a partial one); 19 activation rows take the AVX-512 kernel's
    // row groups of 8, 8, 2 and 1, and 5 rows (below) its groups of 4 and 1.
    let (rows, cols) = (100, 128);
    let x = random(19 * cols, 5);
    for (dtype, k) in [GgmlDType::Q4_0, GgmlDType::Q4_1, GgmlDType::Q8_0]
        .into_iter()
        .flat_map(|d| kernels_here().into_iter().map(move |k| (d, k)))
    {
        let w = BlockInt8Matrix::from_qtensor(&quantized(rows, cols, dtype, 4))
            .unwrap()
            .unwrap();
        let batched = w.matmul_with(k, &x, 19);
        for i in 0..19 {
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
