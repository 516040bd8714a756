//! A process reward model: the decoder with a per-token score head, as HF's
//! `LlamaForTokenClassification` lays it out (`model.*` and `score.weight` of shape
//! (labels, hidden), no `lm_head`). With two labels, the softmax's second column is the
//! probability that the step ending at that token is correct.

use candle_core::Tensor;
use candle_nn::{Init, VarBuilder};

use super::config::Config;
use super::model::Llama;
use crate::error::Result;

pub struct LlamaScorer {
    body: Llama,
    score: Tensor, // (labels, d)
}

impl LlamaScorer {
    /// Builds the scorer from `vb` (`model.*`, `score.weight`). The body is built with tied
    /// embeddings, so no `lm_head` variable is made; a checkpoint's `lm_head` is ignored.
    pub fn new(cfg: &Config, labels: usize, vb: VarBuilder) -> Result<Self> {
        let body_cfg = Config {
            tie_word_embeddings: true,
            ..cfg.clone()
        };
        let body = Llama::new(&body_cfg, vb.clone())?;
        let score = vb.pp("score").get_with_hints(
            (labels, cfg.hidden_size),
            "weight",
            Init::Randn {
                mean: 0.0,
                stdev: 0.02,
            },
        )?;
        Ok(LlamaScorer { body, score })
    }

    pub fn config(&self) -> &Config {
        self.body.config()
    }

    pub fn device(&self) -> &candle_core::Device {
        self.body.device()
    }

    /// `tokens` (b, t) → scores (b, t, labels) at every position.
    pub fn forward_train(&self, tokens: &Tensor) -> Result<Tensor> {
        let h = self.body.hidden_train(tokens)?; // (b, t, d)
        Ok(h.broadcast_matmul(&self.score.t()?)?)
    }

    /// `tokens` (b, t) → scores (b, t, labels) and the tied language-model head's logits
    /// (b, t, vocab) from the same hidden states: for an auxiliary next-token loss.
    pub fn forward_train_with_logits(&self, tokens: &Tensor) -> Result<(Tensor, Tensor)> {
        let h = self.body.hidden_train(tokens)?; // (b, t, d)
        let scores = h.broadcast_matmul(&self.score.t()?)?;
        Ok((scores, self.body.logits_of(&h)?))
    }

    /// The tensors to save: the body's (without `lm_head`) and `score.weight`.
    pub fn named_tensors(&self) -> Result<Vec<(String, Tensor)>> {
        let mut out: Vec<(String, Tensor)> = self
            .body
            .named_tensors()?
            .into_iter()
            .filter(|(n, _)| n != "lm_head.weight")
            .collect();
        out.push(("score.weight".into(), self.score.clone()));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device};
    use candle_nn::VarMap;

    #[test]
    fn scores_every_position_and_saves_without_lm_head() {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let scorer = LlamaScorer::new(&Config::tiny(40), 2, vb).unwrap();
        let tokens = Tensor::new(&[[1u32, 5, 7], [2, 3, 4]], &Device::Cpu).unwrap();
        assert_eq!(scorer.forward_train(&tokens).unwrap().dims(), [2, 3, 2]);
        let (scores, logits) = scorer.forward_train_with_logits(&tokens).unwrap();
        assert_eq!(
            (scores.dims(), logits.dims()),
            (&[2, 3, 2][..], &[2, 3, 40][..])
        );
        let names: Vec<String> = scorer
            .named_tensors()
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert!(names.contains(&"score.weight".to_string()));
        assert!(!names.iter().any(|n| n == "lm_head.weight"));
        assert!(!varmap.data().lock().unwrap().contains_key("lm_head.weight"));
    }
}
