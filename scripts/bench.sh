#!/usr/bin/env bash
# End-to-end benchmark of the bundled models: setup, prove and verify time, proof.bin size (with
# and without the embedded verifying key), peak memory of `prove`, and prove time and memory per
# activation entry. Writes one JSON file per model to target/bench/<model>.json and prints a
# table.
#
#   scripts/bench.sh            # every bundled model
#   scripts/bench.sh --quick    # the MLP only (CI)
#
# Uses a fresh model cache under target/bench/ and an SRS store there (a local SRS is created on
# first use and reused by later runs of this script; its creation is not in any number below).
# verify_first_ms is the first `verify` of a key on this machine (it checks the key against its
# SRS and architecture, docs/PROTOCOLS.md §6); verify_ms a later one (the check is recorded).
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
printf "%-14s %8s %8s %9s %9s %9s %9s %9s %10s %9s\n" model setup_s prove_s verify1_ms \
  verify_ms proof_B with_vk_B peak_MB us/entry kB/entry
for m in "${models[@]}"; do
  rm -rf "$ZKTORCH_CACHE_DIR" "$out/$m.vk"
  $bin inspect "models/$m.onnx" --json > "$out/$m.inspect.json" || true
  s0=$(now); $bin setup "models/$m.onnx" -o "$out/$m.vk" >/dev/null; s1=$(now)
  $bin prove "models/$m.onnx" "models/$m.input.json" -o "$out/$m.proof" --no-embed-vk \
    --json "$out/$m.prove.json" >/dev/null
  $bin prove "models/$m.onnx" "models/$m.input.json" -o "$out/$m.vk.proof" >/dev/null
  v0=$(now); $bin verify "$out/$m.proof" --vk "$out/$m.vk" >/dev/null; v1=$(now)
  $bin verify "$out/$m.proof" --vk "$out/$m.vk" >/dev/null; v2=$(now)
  python3 - "$m" "$s0" "$s1" "$v0" "$v1" "$v2" "$out" <<'PY'
import json, os, sys
m, s0, s1, v0, v1, v2, out = sys.argv[1:8]
p = json.load(open(f"{out}/{m}.prove.json"))
entries = json.load(open(f"{out}/{m}.inspect.json"))["tensor_entries"]["activation"]
prove_s = p["stages_s"]["prove"]
r = {
    "model": m,
    "setup_s": round(float(s1) - float(s0), 3),
    "prove_s": round(prove_s, 3),
    "prove_total_s": round(p["total_s"], 3),
    "verify_first_ms": round((float(v1) - float(v0)) * 1000, 1),
    "verify_ms": round((float(v2) - float(v1)) * 1000, 1),
    "proof_bytes": os.path.getsize(f"{out}/{m}.proof"),
    "proof_bytes_with_vk": os.path.getsize(f"{out}/{m}.vk.proof"),
    "vk_bytes": os.path.getsize(f"{out}/{m}.vk"),
    "prove_peak_rss_bytes": p["peak_rss_bytes"],
    "activation_entries": entries,
    "prove_us_per_entry": round(prove_s * 1e6 / max(entries, 1), 1),
    "peak_bytes_per_entry": round(p["peak_rss_bytes"] / max(entries, 1)),
}
json.dump(r, open(f"{out}/{m}.json", "w"), indent=2)
print(f"{m:<14} {r['setup_s']:>8.2f} {r['prove_s']:>8.2f} {r['verify_first_ms']:>9.1f} "
      f"{r['verify_ms']:>9.1f} {r['proof_bytes']:>9} {r['proof_bytes_with_vk']:>9} "
      f"{r['prove_peak_rss_bytes']/1e6:>9.0f} {r['prove_us_per_entry']:>10.1f} "
      f"{r['peak_bytes_per_entry']/1e3:>9.1f}")
PY
done
