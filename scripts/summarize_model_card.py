#!/usr/bin/env python3
"""Turns scripts/evaluate-default-model's output folder into the model card's tables (markdown on
stdout) and OUT/latency-quality.json (the quality-against-latency picture's input).

Usage: summarize_model_card.py OUT_DIR [CORPUS_DIR]
With CORPUS_DIR, per-file `xz -9e` bits per byte of the test split (per language) and of the held-out
repositories are computed for the ELBO table (a few minutes on one core).
"""
import glob
import json
import lzma
import os
import sys

STEPS = [2, 4, 8, 16, 32, 64]


def xz_bits(jsonl):
    by_language = {}
    for line in open(jsonl):
        row = json.loads(line)
        data = row["text"].encode()
        packed = lzma.compress(data, preset=9 | lzma.PRESET_EXTREME)
        bytes_, bits = by_language.get(row.get("language"), (0, 0))
        by_language[row.get("language")] = (bytes_ + len(data), bits + 8 * len(packed))
    return by_language


def main(out, corpus=None):
    print("### Latency and quality by step count\n")
    print("| steps | p50 ms | p95 ms | floor ms | exact match, all spans (true hole) | exact match, rest-of-line (true hole) | "
          "exact match, rest-of-line (default hole) | edit similarity (true / default hole) | span bits/byte (true hole) |")
    print("|---|---|---|---|---|---|---|---|---|")
    table = []
    for steps in STEPS:
        lat_path, det_path = f"{out}/latency-{steps}.json", f"{out}/infill-{steps}-details.jsonl"
        if not os.path.exists(lat_path):
            continue
        lat = json.load(open(lat_path))
        row = {"steps": steps, "p50Ms": lat["p50Ms"], "p95Ms": lat["p95Ms"], "exactMatch": None, "editSimilarity": None}
        cells = ["-"] * 5
        if os.path.exists(det_path):
            cases = [json.loads(l) for l in open(det_path) if l.strip()]
            rest = [c for c in cases if c["kind"] == "restOfLine"]

            def share(rows, hole):
                return sum(c[hole]["exactMatch"] for c in rows) / max(1, len(rows))

            def mean(rows, hole, key):
                return sum(c[hole][key] for c in rows) / max(1, len(rows))

            bits = [(c["trueHole"]["bitsPerByte"], c["spanBytes"]) for c in cases if c["trueHole"]["bitsPerByte"] is not None]
            row["exactMatch"] = share(rest, "trueHole")
            row["editSimilarity"] = mean(cases, "trueHole", "editSimilarity")
            cells = [
                f"{share(cases, 'trueHole'):.1%} of {len(cases)}",
                f"{share(rest, 'trueHole'):.1%} of {len(rest)}",
                f"{share(rest, 'defaultHole'):.1%}",
                f"{mean(cases, 'trueHole', 'editSimilarity'):.3f} / {mean(cases, 'defaultHole', 'editSimilarity'):.3f}",
                f"{sum(b * n for b, n in bits) / max(1, sum(n for _, n in bits)):.2f}",
            ]
        table.append(row)
        print(f"| {steps} | {lat['p50Ms']:.0f} | {lat['p95Ms']:.0f} | {lat['floorMs']:.0f} | " + " | ".join(cells) + " |")
    json.dump(table, open(f"{out}/latency-quality.json", "w"), indent=1)

    print("\n### ELBO bits per byte\n")
    xz_test = xz_bits(f"{corpus}/test.jsonl") if corpus else {}
    xz_held = xz_bits(f"{corpus}/heldout.jsonl") if corpus else {}
    print("| data | bytes | ELBO bits/byte | xz -9e bits/byte | ratio |")
    print("|---|---|---|---|---|")
    total_bits = total_bytes = xz_all_bits = 0
    for path in sorted(glob.glob(f"{out}/elbo-*.json")):
        name = os.path.basename(path)[5:-5]
        if name == "heldout":
            continue
        r = json.load(open(path))
        bits = r["totalNats"] / 0.6931471805599453
        total_bits += bits
        total_bytes += r["bytes"]
        xb = xz_test.get(name)
        xz = xb[1] / xb[0] if xb else None
        if xb:
            xz_all_bits += xb[1]
        print(f"| {name} | {r['bytes']:,} | {bits / r['bytes']:.2f} | {xz:.2f} | {bits / r['bytes'] / xz:.2f} |" if xz else
              f"| {name} | {r['bytes']:,} | {bits / r['bytes']:.2f} | - | - |")
    if total_bytes:
        xz = xz_all_bits / total_bytes if xz_all_bits else None
        line = f"| **test split, all** | {total_bytes:,} | **{total_bits / total_bytes:.2f}** |"
        print(line + (f" {xz:.2f} | **{total_bits / total_bytes / xz:.2f}** |" if xz else " - | - |"))
    held = f"{out}/elbo-heldout.json"
    if os.path.exists(held) and os.path.getsize(held) > 0:
        r = json.load(open(held))
        bits = r["totalNats"] / 0.6931471805599453 / r["bytes"]
        xb = [v for v in xz_held.values()]
        xz = sum(b for _, b in xb) / sum(n for n, _ in xb) if xb else None
        print(f"| held-out Swift repositories | {r['bytes']:,} | {bits:.2f} | " + (f"{xz:.2f} | {bits / xz:.2f} |" if xz else "- | - |"))


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    main(*sys.argv[1:])
