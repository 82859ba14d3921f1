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
    gpt2_tiny_dynamo.onnx     the same model exported by the dynamo exporter (opset 20, native
                              LayerNormalization, weights in gpt2_tiny_dynamo.onnx.data)
    bert_tiny.onnx            BERT-style encoder: vocab 256, width 64, 4 heads, 16 tokens,
                              2 post-LayerNorm layers, bidirectional attention, [CLS] pooler with
                              tanh, 4-class head; legacy exporter, opset 17
    bert_tiny.input.json, bert_tiny.expected.json, bert_tiny_dynamo.onnx(.data) likewise

and tests/fixtures/onnx/gpt_micro.onnx (+ .input.json): the GPT-2-style decoder at vocab 16,
width 8, 2 heads, context 4, one layer, for the tamper test of tests/model.rs.

Weights are random (seeded), the architectures are GPT-2's and BERT's at a small size. The
dynamo exporter needs onnxscript (pip install onnxscript).
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


class EncoderLayer(nn.Module):
    def __init__(self, d, h):
        super().__init__()
        self.h = h
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln1 = nn.LayerNorm(d, eps=1e-12)
        self.fc = nn.Linear(d, 4 * d)
        self.out = nn.Linear(4 * d, d)
        self.ln2 = nn.LayerNorm(d, eps=1e-12)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        heads = lambda z: z.view(b, t, self.h, c // self.h).transpose(1, 2)  # noqa: E731
        q, k, v = heads(q), heads(k), heads(v)
        att = ((q @ k.transpose(-2, -1)) / math.sqrt(c // self.h)).softmax(-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
        x = self.ln1(x + self.proj(y))
        return self.ln2(x + self.out(nn.functional.gelu(self.fc(x))))


class Bert(nn.Module):
    def __init__(self, vocab=256, d=64, h=4, t=16, layers=2, classes=4):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(t, d)
        self.ln = nn.LayerNorm(d, eps=1e-12)
        self.layers = nn.ModuleList([EncoderLayer(d, h) for _ in range(layers)])
        self.pool = nn.Linear(d, d)
        self.cls = nn.Linear(d, classes)

    def forward(self, idx):
        _, t = idx.shape
        x = self.ln(self.tok(idx) + self.pos(torch.arange(0, t, dtype=torch.long)))
        for layer in self.layers:
            x = layer(x)
        return self.cls(torch.tanh(self.pool(x[:, 0])))


def export(model, name, ids, output, positions):
    """Both exports of one model, the sample input and onnxruntime's output."""
    path = os.path.join(HERE, f"{name}.onnx")
    torch.onnx.export(
        model, (ids,), path, opset_version=17, dynamo=False,
        input_names=["idx"], output_names=[output],
    )
    dyn = os.path.join(HERE, f"{name}_dynamo.onnx")
    torch.onnx.export(
        model, (ids,), dyn, dynamo=True, external_data=True,
        input_names=["idx"], output_names=[output],
    )
    with open(os.path.join(HERE, f"{name}.input.json"), "w") as f:
        json.dump({"input_data": [[int(v) for v in ids.reshape(-1)]]}, f)
        f.write("\n")
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (out,) = sess.run(None, {"idx": ids.numpy().astype(np.int64)})
    with open(os.path.join(HERE, f"{name}.expected.json"), "w") as f:
        json.dump({"output": [float(v) for v in out.reshape(-1)],
                   "argmax": [int(v) for v in out.reshape(positions, -1).argmax(-1)]}, f)
        f.write("\n")
    print(f"wrote {name}.onnx and {name}_dynamo.onnx")


def main():
    torch.manual_seed(0)
    gpt = Gpt().eval()
    ids = torch.randint(0, 256, (1, 16), generator=torch.Generator().manual_seed(1))
    export(gpt, "gpt2_tiny", ids, "logits", 16)
    torch.manual_seed(1)
    bert = Bert().eval()
    ids = torch.randint(0, 256, (1, 16), generator=torch.Generator().manual_seed(2))
    export(bert, "bert_tiny", ids, "logits", 1)
    torch.manual_seed(2)
    micro = Gpt(vocab=16, d=8, h=2, t=4, layers=1).eval()
    ids = torch.tensor([[3, 15, 0, 7]])
    fixtures = os.path.join(os.path.dirname(HERE), "tests", "fixtures", "onnx")
    torch.onnx.export(
        micro, (ids,), os.path.join(fixtures, "gpt_micro.onnx"), opset_version=17,
        dynamo=False, input_names=["idx"], output_names=["logits"],
    )
    with open(os.path.join(fixtures, "gpt_micro.input.json"), "w") as f:
        json.dump({"input_data": [[3, 15, 0, 7]]}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
