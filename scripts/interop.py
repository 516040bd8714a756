#!/usr/bin/env python3
"""Hugging Face `transformers` against mull on an exported checkpoint (`just interop`, by hand).

Usage: interop.py MULL CHECKPOINT EXPORT_DIR [PRM_EXPORT_DIR]

1. `transformers` loads EXPORT_DIR (`AutoModelForCausalLM`, `AutoTokenizer`), renders each
   prompt with the exported chat template, which must give the text mull renders, and decodes
   greedily; mull decodes the same prompts greedily from CHECKPOINT (`mull sample
   --temperature 0`). The two texts must be the same (up to where mull stopped: its end of
   sequence, its stop string, or the token limit).
2. With PRM_EXPORT_DIR: `AutoModelForTokenClassification` loads the PRM export and scores a
   chain (two labels per token).

Needs `torch` and `transformers` (`just interop` installs them into target/interop-venv).
"""

import subprocess
import sys

import torch
from transformers import AutoModelForCausalLM, AutoModelForTokenClassification, AutoTokenizer

PROMPTS = [
    "Compute 12 + 7 * 3.",
    "Solve for x: 3x + 4 = 19.",
    "Decode the Caesar cipher with shift 3: khoor",
    "Using 3, 5 and 7 once each, with + - * /, make 26.",
]
MAX_NEW = 64


def mull_greedy(mull, checkpoint, prompt):
    out = subprocess.run(
        [mull, "sample", "--model", checkpoint, "--prompt", prompt, "-n", "1",
         "--temperature", "0", "--max-new-tokens", str(MAX_NEW)],
        capture_output=True, text=True, check=True,
    ).stdout
    header, _, text = out.partition("\n")
    assert header.startswith("── attempt 0 ("), out
    finish = header.split("(")[1].split(",")[0]
    return finish, text[:-2] if text.endswith("\n\n") else text


def main():
    mull, checkpoint, export = sys.argv[1:4]
    prm_export = sys.argv[4] if len(sys.argv) > 4 else None
    tok = AutoTokenizer.from_pretrained(export)
    model = AutoModelForCausalLM.from_pretrained(export, dtype=torch.float32).eval()
    same = 0
    for prompt in PROMPTS:
        rendered = tok.apply_chat_template(
            [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=False
        )
        if "<|im_start|>" not in tok.get_vocab():
            # mull's plain template (models/src/chat_template.rs).
            assert rendered == f"User: {prompt}\n\nAssistant:", rendered
        ids = tok(rendered, add_special_tokens=False, return_tensors="pt").input_ids
        with torch.no_grad():
            out = model.generate(ids, max_new_tokens=MAX_NEW, do_sample=False,
                                 pad_token_id=tok.pad_token_id)
        generated = out[0][ids.shape[1]:]
        hf_text = tok.decode(generated, skip_special_tokens=True)
        finish, mull_text = mull_greedy(mull, checkpoint, prompt)
        if finish == "stop":
            ok = hf_text.startswith(mull_text)
        else:
            ok = hf_text == mull_text
        same += ok
        print(f"{'same' if ok else 'DIFFERENT'}: {prompt!r}: {len(generated)} tokens "
              f"(mull: {finish}) {hf_text[:60]!r}")
        if not ok:
            print(f"  mull: {mull_text!r}\n  hf:   {hf_text!r}")
    print(f"interop: transformers {__import__('transformers').__version__} and mull decode the same "
          f"greedy text for {same}/{len(PROMPTS)} prompts, with the exported chat template")
    if prm_export:
        prm = AutoModelForTokenClassification.from_pretrained(prm_export, dtype=torch.float32).eval()
        prm_tok = AutoTokenizer.from_pretrained(prm_export)
        chain = "User: Compute 2 + 3.\n\nAssistant: <think>\n2 + 3 = 5\n</think>\nAnswer: 5"
        ids = prm_tok(chain, add_special_tokens=False, return_tensors="pt").input_ids
        with torch.no_grad():
            logits = prm(ids).logits
        assert logits.shape == (1, ids.shape[1], prm.config.num_labels), logits.shape
        print(f"interop: the PRM export loads as {type(prm).__name__}, {prm.config.num_labels} "
              f"labels per token over a {ids.shape[1]}-token chain")
    return 0 if same == len(PROMPTS) else 1


if __name__ == "__main__":
    sys.exit(main())
