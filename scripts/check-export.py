"""Reads an exported model directory with the Python `safetensors` and `tokenizers` packages,
as a Hugging Face user's tools would.

Usage: python3 scripts/check-export.py EXPORT_DIR
Checks that every tensor a Llama of the exported config needs is there with its shape (HF
names), that the safetensors metadata says `format: pt`, that the tokenizer round-trips text,
and that the chat template renders as `transformers` renders it (jinja2, with its settings) to
mull's plain prompt.
"""
import json
import os
import sys

from jinja2.sandbox import ImmutableSandboxedEnvironment
from safetensors import safe_open
from tokenizers import Tokenizer

out = sys.argv[1]
config = json.load(open(os.path.join(out, "config.json")))
h, inter = config["hidden_size"], config["intermediate_size"]
heads, kv = config["num_attention_heads"], config.get("num_key_value_heads") or config["num_attention_heads"]
hd = h // heads
vocab = config["vocab_size"]
want = {"model.embed_tokens.weight": [vocab, h], "model.norm.weight": [h]}
for i in range(config["num_hidden_layers"]):
    p = f"model.layers.{i}."
    want.update({
        p + "self_attn.q_proj.weight": [heads * hd, h],
        p + "self_attn.k_proj.weight": [kv * hd, h],
        p + "self_attn.v_proj.weight": [kv * hd, h],
        p + "self_attn.o_proj.weight": [h, heads * hd],
        p + "mlp.gate_proj.weight": [inter, h],
        p + "mlp.up_proj.weight": [inter, h],
        p + "mlp.down_proj.weight": [h, inter],
        p + "input_layernorm.weight": [h],
        p + "post_attention_layernorm.weight": [h],
    })
if "LlamaForTokenClassification" in config["architectures"]:
    want["score.weight"] = [config["num_labels"], h]
    want["score.bias"] = [config["num_labels"]]  # zero: transformers' head has a bias
elif not config.get("tie_word_embeddings"):
    want["lm_head.weight"] = [vocab, h]
with safe_open(os.path.join(out, "model.safetensors"), framework="numpy") as f:
    assert f.metadata().get("format") == "pt", f.metadata()
    got = {k: list(f.get_slice(k).get_shape()) for k in f.keys()}
assert got == want, f"tensors differ: missing {set(want) - set(got)}, extra {set(got) - set(want)}, " \
    f"shapes {[(k, got[k], want[k]) for k in want if k in got and got[k] != want[k]]}"
tok = Tokenizer.from_file(os.path.join(out, "tokenizer.json"))
text = "User: Compute 12 * 7.\n\nAssistant: <think>\n12 * 7 = 84\n</think>\nAnswer: 84"
ids = tok.encode(text, add_special_tokens=False).ids
assert tok.decode(ids, skip_special_tokens=False) == text, tok.decode(ids)
tok_config = json.load(open(os.path.join(out, "tokenizer_config.json")))
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
rendered = env.from_string(tok_config["chat_template"]).render(
    messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Compute 12 * 7."}],
    add_generation_prompt=True,
)
if tok.token_to_id("<|im_start|>") is None:
    want_text = "System: Be brief.\n\nUser: Compute 12 * 7.\n\nAssistant:"
else:
    want_text = ("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nCompute 12 * 7.<|im_end|>\n"
                 "<|im_start|>assistant\n")
assert rendered == want_text, repr(rendered)
print(f"check-export: {len(got)} tensors with HF names and shapes, format pt, tokenizer round trip "
      f"of {len(text)} characters, chat template as mull's")
