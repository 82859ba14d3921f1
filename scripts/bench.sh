#!/usr/bin/env bash
# End-to-end benchmark of the bundled models: setup, prove and verify time, proof.bin size (with
# and without the embedded verifying key), peak memory of `prove`. Writes one JSON file per model
# to target/bench/<model>.json and prints a table.
#
#   scripts/bench.sh            # every bundled model
#   scripts/bench.sh --quick    # the MLP only (CI)
#
# Uses a fresh SRS cache and model cache under target/bench/ (a local SRS is created on first use
# and reused by later runs of this script).
set -euo pipefail
cd "$(dirname "$0")/.."
models=(mlp lenet5 resnet_small)
[[ "${1:-}" == "--quick" ]] && models=(mlp)
cargo build --release --quiet
bin=target/release/zktorch
out=target/bench
mkdir -p "$out"
export ZKTORCH_SRS_DIR="$out/srs" ZKTORCH_CACHE_DIR="$out/models"
now() { date +%s.%N; }
printf "%-14s %9s %9s %9s %12s %12s %10s\n" model setup_s prove_s verify_ms proof_bytes with_vk peak_MB
for m in "${models[@]}"; do
  rm -rf "$ZKTORCH_CACHE_DIR"
  s0=$(now); $bin setup "models/$m.onnx" -o "$out/$m.vk" >/dev/null; s1=$(now)
  $bin prove "models/$m.onnx" "models/$m.input.json" -o "$out/$m.proof" --no-embed-vk \
    --json "$out/$m.prove.json" >/dev/null
  $bin prove "models/$m.onnx" "models/$m.input.json" -o "$out/$m.vk.proof" >/dev/null
  v0=$(now); $bin verify "$out/$m.proof" --vk "$out/$m.vk" >/dev/null; v1=$(now)
  python3 - "$m" "$s0" "$s1" "$v0" "$v1" "$out" <<'PY'
import json, os, sys
m, s0, s1, v0, v1, out = sys.argv[1:7]
setup_s = float(s1) - float(s0)
verify_ms = (float(v1) - float(v0)) * 1000
p = json.load(open(f"{out}/{m}.prove.json"))
r = {
    "model": m,
    "setup_s": round(setup_s, 3),
    "prove_s": round(p["stages_s"]["prove"], 3),
    "prove_total_s": round(p["total_s"], 3),
    "verify_ms": round(verify_ms, 1),
    "proof_bytes": os.path.getsize(f"{out}/{m}.proof"),
    "proof_bytes_with_vk": os.path.getsize(f"{out}/{m}.vk.proof"),
    "vk_bytes": os.path.getsize(f"{out}/{m}.vk"),
    "prove_peak_rss_bytes": p["peak_rss_bytes"],
}
json.dump(r, open(f"{out}/{m}.json", "w"), indent=2)
print(f"{m:<14} {r['setup_s']:>9.2f} {r['prove_s']:>9.2f} {r['verify_ms']:>9.1f} "
      f"{r['proof_bytes']:>12} {r['proof_bytes_with_vk']:>12} {r['prove_peak_rss_bytes']/1e6:>10.0f}")
PY
done
