#!/usr/bin/env bash
# End-to-end benchmark of the bundled models: setup, prove (cold: empty model cache, setup
# included; warm: the key cached), verify, proof.bin size (with and without the embedded
# verifying key), peak memory of `prove`, and prove time and memory per activation entry.
# Writes one JSON file per model to target/bench/<model>.json, a summary
# target/bench/summary.json, prints a table, and (when matplotlib is importable) draws
# docs/bench.png: prove time and peak memory against activation entries.
#
#   scripts/bench.sh                  # every bundled model
#   scripts/bench.sh --quick          # the MLP only (CI)
#   scripts/bench.sh lenet5 resnet8   # these models
#
# Uses a fresh model cache under target/bench/ and an SRS store there (a local SRS is created on
# first use and reused by later runs of this script; its creation is not in any number below).
# verify_first_ms is the first `verify` of a key on this machine (it checks the key against its
# SRS and architecture, docs/PROTOCOLS.md §6); verify_ms a later one (the check is recorded).
set -euo pipefail
cd "$(dirname "$0")/.."
models=(mlp lenet5 resnet_small resnet8 mobilenet_tiny resnet14 resnet20 resnet8_w32)
if [[ "${1:-}" == "--quick" ]]; then
  models=(mlp)
elif [[ $# -gt 0 ]]; then
  models=("$@")
fi
cargo build --release --quiet
bin=target/release/zktorch
out=target/bench
mkdir -p "$out"
export ZKTORCH_SRS_DIR="$out/srs" ZKTORCH_CACHE_DIR="$out/models"
now() { date +%s.%N; }
printf "%-15s %9s %9s %8s %8s %9s %8s %8s %9s %9s %9s\n" model entries setup_s cold_s \
  warm_s verify_ms proof_B with_vk peak_MB us/entry kB/entry
for m in "${models[@]}"; do
  rm -rf "$ZKTORCH_CACHE_DIR" "$out/$m.vk"
  $bin inspect "models/$m.onnx" "models/$m.input.json" --json > "$out/$m.inspect.json" || true
  $bin prove "models/$m.onnx" "models/$m.input.json" -o "$out/$m.vk.proof" \
    --json "$out/$m.cold.json" >/dev/null
  $bin prove "models/$m.onnx" "models/$m.input.json" -o "$out/$m.proof" --no-embed-vk \
    --json "$out/$m.prove.json" >/dev/null
  cp "$ZKTORCH_CACHE_DIR"/*/model.vk "$out/$m.vk"
  v0=$(now); $bin verify "$out/$m.proof" --vk "$out/$m.vk" >/dev/null; v1=$(now)
  $bin verify "$out/$m.proof" --vk "$out/$m.vk" >/dev/null; v2=$(now)
  python3 - "$m" "$v0" "$v1" "$v2" "$out" <<'PY'
import json, os, sys
m, v0, v1, v2, out = sys.argv[1:6]
cold = json.load(open(f"{out}/{m}.cold.json"))
warm = json.load(open(f"{out}/{m}.prove.json"))
inspect = json.load(open(f"{out}/{m}.inspect.json"))
entries = inspect["tensor_entries"]["activation"]
stage = warm["stages_s"]["prove"]
r = {
    "model": m,
    "activation_entries": entries,
    "setup_s": round(cold["stages_s"].get("setup", 0.0), 3),
    "prove_cold_s": round(cold["total_s"], 3),
    "prove_warm_s": round(warm["total_s"], 3),
    "prove_stage_s": round(stage, 3),
    "warm_key_rebuild_s": round(warm["stages_s"].get("setup", 0.0), 3),
    "verify_first_ms": round((float(v1) - float(v0)) * 1000, 1),
    "verify_ms": round((float(v2) - float(v1)) * 1000, 1),
    "proof_bytes": os.path.getsize(f"{out}/{m}.proof"),
    "proof_bytes_with_vk": os.path.getsize(f"{out}/{m}.vk.proof"),
    "vk_bytes": os.path.getsize(f"{out}/{m}.vk"),
    "prove_peak_rss_bytes": warm["peak_rss_bytes"],
    "prove_us_per_entry": round(stage * 1e6 / max(entries, 1), 1),
    "peak_bytes_per_entry": round(warm["peak_rss_bytes"] / max(entries, 1)),
    "segments": len((inspect.get("plan") or {}).get("segments", [])),
    "memory_estimate_bytes": (inspect.get("plan") or {}).get("memory_estimate"),
}
json.dump(r, open(f"{out}/{m}.json", "w"), indent=2)
print(f"{m:<15} {entries:>9} {r['setup_s']:>9.2f} {r['prove_cold_s']:>8.2f} "
      f"{r['prove_warm_s']:>8.2f} {r['verify_ms']:>9.1f} {r['proof_bytes']:>8} "
      f"{r['proof_bytes_with_vk']:>8} {r['prove_peak_rss_bytes']/1e6:>9.0f} "
      f"{r['prove_us_per_entry']:>9.1f} {r['peak_bytes_per_entry']/1e3:>9.1f}")
PY
done
python3 - "$out" "${models[@]}" <<'PY'
import json, sys
out, models = sys.argv[1], sys.argv[2:]
rows = [json.load(open(f"{out}/{m}.json")) for m in models]
json.dump(rows, open(f"{out}/summary.json", "w"), indent=2)
PY
if [[ ${#models[@]} -gt 2 ]] && python3 -c "import matplotlib" 2>/dev/null; then
  python3 scripts/plot_bench.py "$out/summary.json" docs/bench.png
fi
