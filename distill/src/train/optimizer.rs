//! AdamW whose state mull owns, so that a checkpoint holds it and a resumed run continues
//! exactly: first and second moments per parameter and the step count. (candle's `AdamW` keeps
//! its moments private.)
//!
//! The update is candle's and PyTorch's (decoupled weight decay):
//! `θ ← θ·(1 − lr·λ)`, `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
//! `θ ← θ − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)`. One-dimensional parameters (the RMSNorm
//! gains) get no weight decay, as is usual. Before the update the gradients are scaled so that
//! their global L2 norm is at most `clip`. On the CPU the update is one fused pass per
//! parameter (`fused_adamw`) and the moments are plain vectors; elsewhere it runs as
//! tensor ops.

use std::collections::HashMap;
use std::path::Path;

use candle_core::backprop::GradStore;
use candle_core::{Tensor, Var};

use super::fused_adamw::{self, with_cpu_f32, Coefficients};
use super::TrainError;

/// One moment of one parameter: a vector the fused CPU pass updates in place, or a tensor.
enum Moment {
    Host(Vec<f32>),
    Device(Tensor),
}

impl Moment {
    /// Zeros shaped like `p`: on the host when `p` is a contiguous `f32` CPU tensor.
    fn zeros(p: &Var) -> Result<Self, TrainError> {
        match with_cpu_f32(p.as_tensor(), <[f32]>::len) {
            Some(n) => Ok(Moment::Host(vec![0.0; n])),
            None => Ok(Moment::Device(p.as_tensor().zeros_like()?)),
        }
    }

    /// The moment as a tensor shaped like `p` (for saving).
    fn tensor(&self, p: &Var) -> Result<Tensor, TrainError> {
        match self {
            Moment::Host(x) => Ok(Tensor::from_slice(x, p.dims(), p.device())?),
            Moment::Device(t) => Ok(t.clone()),
        }
    }

    /// A saved tensor as the same kind of moment as `self`.
    fn replaced_by(&self, t: &Tensor) -> Result<Self, TrainError> {
        match self {
            Moment::Host(_) => Ok(Moment::Host(t.flatten_all()?.to_vec1::<f32>()?)),
            Moment::Device(_) => Ok(Moment::Device(t.clone())),
        }
    }
}

/// AdamW settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamWParams {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub clip: f64,
}

/// The optimizer: parameters in a fixed (name) order and their moments.
pub struct AdamW {
    params: Vec<(String, Var)>,
    m: Vec<Moment>,
    v: Vec<Moment>,
    step: u64,
    settings: AdamWParams,
}

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepReport {
    /// The gradients' global L2 norm before clipping.
    pub grad_norm: f64,
}

impl AdamW {
    /// Fresh state (zero moments) for `params`, which are sorted by name.
    pub fn new(mut params: Vec<(String, Var)>, settings: AdamWParams) -> Result<Self, TrainError> {
        params.sort_by(|a, b| a.0.cmp(&b.0));
        let m = params
            .iter()
            .map(|(_, p)| Moment::zeros(p))
            .collect::<Result<_, _>>()?;
        let v = params
            .iter()
            .map(|(_, p)| Moment::zeros(p))
            .collect::<Result<_, _>>()?;
        Ok(AdamW {
            params,
            m,
            v,
            step: 0,
            settings,
        })
    }

    /// Fresh state for every variable of `varmap`.
    pub fn from_varmap(
        varmap: &candle_nn::VarMap,
        settings: AdamWParams,
    ) -> Result<Self, TrainError> {
        let params: Vec<(String, Var)> = varmap
            .data()
            .lock()
            .map_err(|_| TrainError::Invalid("a variable map was poisoned".into()))?
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        Self::new(params, settings)
    }

    /// The parameters, by name.
    pub fn params(&self) -> &[(String, Var)] {
        &self.params
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// One update at learning rate `lr` from `grads`.
    pub fn step(&mut self, grads: &GradStore, lr: f64) -> Result<StepReport, TrainError> {
        let s = self.settings;
        let mut squares = 0f64;
        let mut gs = Vec::with_capacity(self.params.len());
        for (name, p) in &self.params {
            let g = grads
                .get(p.as_tensor())
                .ok_or_else(|| TrainError::Invalid(format!("no gradient for {name}")))?
                .clone();
            squares += match with_cpu_f32(&g, fused_adamw::sum_of_squares) {
                Some(s) => s,
                None => g.sqr()?.sum_all()?.to_scalar::<f32>()? as f64,
            };
            gs.push(g);
        }
        let grad_norm = squares.sqrt();
        let scale = if grad_norm > s.clip {
            s.clip / (grad_norm + 1e-6)
        } else {
            1.0
        };
        self.step += 1;
        let t = self.step as i32;
        let (bc1, bc2) = (1.0 - s.beta1.powi(t), 1.0 - s.beta2.powi(t));
        for (i, (name, p)) in self.params.iter().enumerate() {
            let decay = if p.as_tensor().rank() > 1 {
                s.weight_decay
            } else {
                0.0
            };
            match (&mut self.m[i], &mut self.v[i]) {
                (Moment::Host(m), Moment::Host(v)) => {
                    let c = Coefficients {
                        scale: scale as f32,
                        beta1: s.beta1 as f32,
                        beta2: s.beta2 as f32,
                        keep: (1.0 - lr * decay) as f32,
                        lr: lr as f32,
                        bc1: bc1 as f32,
                        bc2: bc2 as f32,
                        eps: s.eps as f32,
                    };
                    with_cpu_f32(&gs[i], |g| fused_adamw::update(p.as_tensor(), g, m, v, c))
                        .ok_or_else(|| {
                            TrainError::Invalid(format!("the gradient of {name} is not on the CPU"))
                        })??;
                }
                (Moment::Device(m), Moment::Device(v)) => {
                    let g = (&gs[i] * scale)?;
                    let m_new = ((&*m * s.beta1)? + (&g * (1.0 - s.beta1))?)?;
                    let v_new = ((&*v * s.beta2)? + (g.sqr()? * (1.0 - s.beta2))?)?;
                    let theta = (p.as_tensor() * (1.0 - lr * decay))?;
                    let update = ((&m_new / bc1)? / ((&v_new / bc2)?.sqrt()? + s.eps)?)?;
                    p.set(&(theta - (update * lr)?)?)?;
                    *m = m_new;
                    *v = v_new;
                }
                _ => {
                    return Err(TrainError::Invalid(format!(
                        "the moments of {name} are of two kinds"
                    )))
                }
            }
        }
        Ok(StepReport { grad_norm })
    }

    /// Writes the moments (`m.NAME`, `v.NAME`) to a safetensors file (the checkpoint writes it
    /// under a temporary name and renames it).
    pub fn save(&self, path: &Path) -> Result<(), TrainError> {
        let mut tensors = HashMap::new();
        for (i, (name, p)) in self.params.iter().enumerate() {
            tensors.insert(format!("m.{name}"), self.m[i].tensor(p)?);
            tensors.insert(format!("v.{name}"), self.v[i].tensor(p)?);
        }
        Ok(candle_core::safetensors::save(&tensors, path)?)
    }

    /// Restores moments saved by [`AdamW::save`] and the step count.
    pub fn load(&mut self, path: &Path, step: u64) -> Result<(), TrainError> {
        let device = self
            .params
            .first()
            .map(|(_, p)| p.device().clone())
            .unwrap_or(candle_core::Device::Cpu);
        let tensors = candle_core::safetensors::load(path, &device)?;
        for (i, (name, p)) in self.params.iter().enumerate() {
            for (kind, slot) in [("m", &mut self.m[i]), ("v", &mut self.v[i])] {
                let key = format!("{kind}.{name}");
                let t = tensors.get(&key).ok_or_else(|| TrainError::Checkpoint {
                    path: path.to_path_buf(),
                    message: format!("no tensor {key}"),
                })?;
                if t.dims() != p.dims() {
                    return Err(TrainError::Checkpoint {
                        path: path.to_path_buf(),
                        message: format!("{key} has shape {:?}, not {:?}", t.dims(), p.dims()),
                    });
                }
                *slot = slot.replaced_by(t)?;
            }
        }
        self.step = step;
        Ok(())
    }
}
