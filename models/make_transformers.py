#!/usr/bin/env python3
"""Build the bundled transformer models (issue #12) with torch, their sample inputs and
onnxruntime's float outputs.

Usage (from the repository root; torch is needed here only, the tests read the files):

    pip install torch onnx==1.22.0 onnxruntime numpy
    python3 models/make_transformers.py

Writes, into models/:

    gpt2_tiny.onnx            GPT-2-style decoder: vocab 256, width 64, 4 heads, context 16,
                              2 layers (token + learned position embeddings, pre-LayerNorm,
                              fused QKV Linear split into heads, causal mask by masked_fill(-inf)
                              on a tril buffer, softmax, GELU (erf) MLP, final LayerNorm, LM head),
                              exported by torch.onnx.export's legacy exporter at opset 17
    gpt2_tiny.input.json      16 token ids: {"input_data": [[...]]}
    gpt2_tiny.expected.json   onnxruntime's float logits for them

Weights are random (seeded), the architecture is GPT-2's at a small size.
"""

import json
import math
import os

import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))


class Block(nn.Module):
    def __init__(self, d, h, t):
        super().__init__()
        self.h = h
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.out = nn.Linear(4 * d, d)
        self.register_buffer("mask", torch.tril(torch.ones(t, t)).view(1, 1, t, t))

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        heads = lambda z: z.view(b, t, self.h, c // self.h).transpose(1, 2)  # noqa: E731
        q, k, v = heads(q), heads(k), heads(v)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(c // self.h))
        att = att.masked_fill(self.mask[:, :, :t, :t] == 0, float("-inf"))
        att = att.softmax(-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
        x = x + self.proj(y)
        return x + self.out(nn.functional.gelu(self.fc(self.ln2(x))))


class Gpt(nn.Module):
    def __init__(self, vocab=256, d=64, h=4, t=16, layers=2):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(t, d)
        self.blocks = nn.ModuleList([Block(d, h, t) for _ in range(layers)])
        self.lnf = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)

    def forward(self, idx):
        _, t = idx.shape
        x = self.wte(idx) + self.wpe(torch.arange(0, t, dtype=torch.long))
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.lnf(x))


def main():
    torch.manual_seed(0)
    model = Gpt().eval()
    ids = torch.randint(0, 256, (1, 16), generator=torch.Generator().manual_seed(1))
    path = os.path.join(HERE, "gpt2_tiny.onnx")
    torch.onnx.export(
        model, (ids,), path, opset_version=17, dynamo=False,
        input_names=["idx"], output_names=["logits"],
    )
    with open(os.path.join(HERE, "gpt2_tiny.input.json"), "w") as f:
        json.dump({"input_data": [[int(v) for v in ids.reshape(-1)]]}, f)
        f.write("\n")
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (logits,) = sess.run(None, {"idx": ids.numpy().astype(np.int64)})
    with open(os.path.join(HERE, "gpt2_tiny.expected.json"), "w") as f:
        json.dump({"output": [float(v) for v in logits.reshape(-1)],
                   "argmax": [int(v) for v in logits.reshape(16, -1).argmax(-1)]}, f)
        f.write("\n")
    print("wrote gpt2_tiny.onnx")


if __name__ == "__main__":
    main()
