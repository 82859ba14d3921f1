#!/usr/bin/env python3
"""Export common PyTorch modules to ONNX (legacy exporter, opset 17) and run `zktorch inspect`
on each with a random input: which lower, and the error against the float run.

    pip install torch onnx onnxruntime
    python3 scripts/torch_modules.py [--zktorch target/release/zktorch] [case ...]

Writes the models to a temporary directory. Not run by CI (torch is large); docs/DESIGN.md,
"What PyTorch modules export to", records its last result.
"""
import argparse, json, os, subprocess, sys, tempfile, warnings

import torch, torch.nn as nn, torch.nn.functional as F

warnings.filterwarnings("ignore")
torch.manual_seed(0)
class M(nn.Module):
    def __init__(s, f): super().__init__(); s.f = f
    def forward(s, x): return s.f(x)
class SDPA(nn.Module):
    def __init__(s): super().__init__(); s.q=nn.Linear(16,48)
    def forward(s,x):
        q,k,v=s.q(x).view(1,6,3,2,8).permute(2,0,3,1,4)
        return F.scaled_dot_product_attention(q,k,v,is_causal=True).transpose(1,2).reshape(1,6,16)
class LSTMm(nn.Module):
    def __init__(s): super().__init__(); s.l=nn.LSTM(8,6,batch_first=True)
    def forward(s,x): return s.l(x)[0]
class GRUm(nn.Module):
    def __init__(s): super().__init__(); s.l=nn.GRU(8,6,batch_first=True)
    def forward(s,x): return s.l(x)[0]
class MHA(nn.Module):
    def __init__(s): super().__init__(); s.a=nn.MultiheadAttention(16,2,batch_first=True)
    def forward(s,x): return s.a(x,x,x,need_weights=False)[0]
cases = {
 "bn1d": (nn.Sequential(nn.Conv1d(3,8,3,padding=1), nn.BatchNorm1d(8), nn.ReLU()), (1,3,20)),
 "groupnorm": (nn.Sequential(nn.Conv2d(3,8,3,padding=1), nn.GroupNorm(2,8), nn.SiLU()), (1,3,8,8)),
 "upsample_bilinear": (nn.Sequential(nn.Conv2d(3,4,3,padding=1), nn.Upsample(scale_factor=2, mode='bilinear')), (1,3,6,6)),
 "upsample_nearest": (nn.Sequential(nn.Conv2d(3,4,3,padding=1), nn.Upsample(scale_factor=2)), (1,3,6,6)),
 "mish": (nn.Sequential(nn.Linear(8,8), nn.Mish()), (2,8)),
 "adaptive_pool": (nn.Sequential(nn.Conv2d(3,4,3), nn.AdaptiveAvgPool2d((2,2)), nn.Flatten()), (1,3,10,10)),
 "sdpa": (SDPA(), (1,6,16)),
 "lstm": (LSTMm(), (1,5,8)),
 "gru": (GRUm(), (1,5,8)),
 "mha": (MHA(), (1,6,16)),
 "encoder": (nn.TransformerEncoderLayer(16,2,32,batch_first=True,dropout=0.0), (1,6,16)),
 "pixelshuffle": (nn.Sequential(nn.Conv2d(3,8,3,padding=1), nn.PixelShuffle(2)), (1,3,4,4)),
 "convT_outpad": (nn.ConvTranspose2d(3,4,3,stride=2,padding=1,output_padding=1), (1,3,5,5)),
 "maxpool_ceil": (nn.Sequential(nn.Conv2d(3,4,3), nn.MaxPool2d(2, ceil_mode=True)), (1,3,9,9)),
 "avgpool1d": (nn.Sequential(nn.Conv1d(2,4,5,stride=2), nn.AvgPool1d(3), nn.Flatten(), nn.LogSoftmax(dim=1)), (1,2,30)),
 "glu_softmin": (M(lambda x: F.softmin(F.glu(x, dim=-1), dim=-1)), (2,8)),
 "cumsum": (M(lambda x: torch.cumsum(x, dim=1)), (2,8)),
 "layernorm_gelu": (nn.Sequential(nn.Linear(8,8), nn.LayerNorm(8), nn.GELU()), (2,8)),
 "hardtanh_elu": (nn.Sequential(nn.Linear(8,8), nn.Hardtanh(), nn.ELU(), nn.Linear(8,3)), (2,8)),
 "instnorm": (nn.Sequential(nn.Conv2d(3,4,3), nn.InstanceNorm2d(4, affine=True)), (1,3,8,8)),
 "std_mean": (M(lambda x: (x - x.mean(-1, keepdim=True)) / x.std(-1, keepdim=True)), (2,8)),
 "topk_sort": (M(lambda x: torch.sort(x, dim=-1)[0]), (2,8)),
 "norm_l2": (M(lambda x: F.normalize(x, dim=-1)), (2,8)),
}
parser = argparse.ArgumentParser()
parser.add_argument("--zktorch", default="target/release/zktorch")
parser.add_argument("cases", nargs="*")
args = parser.parse_args()
zk = os.path.abspath(args.zktorch)
os.chdir(tempfile.mkdtemp(prefix="zktorch-torch-"))
for name in args.cases or list(cases):
    mod, shape = cases[name]
    mod.eval()
    x = torch.randn(*shape)
    try:
        torch.onnx.export(mod, (x,), f"{name}.onnx", opset_version=17, dynamo=False)
    except Exception as e:
        print(f"{name:18} EXPORT FAILED {str(e)[:100]}"); continue
    json.dump({"input_data": [x.numpy().flatten().tolist()]}, open(f"{name}.input.json", "w"))
    r = subprocess.run([zk, "inspect", f"{name}.onnx", f"{name}.input.json"], capture_output=True, text=True)
    lines = (r.stdout + r.stderr).strip().splitlines()
    bad = [l for l in lines if l.startswith("error")]
    print(f"{name:18}", (lines[-1] if lines else "")[:150] if not bad else " | ".join(bad)[:200])
