#!/usr/bin/env python3
"""Draws the default model card's pictures from a training log and benchmark results.

Usage (matplotlib is the only dependency: python3 -m venv v && v/bin/pip install matplotlib):
    plot_model_card.py TRAIN_LOG.jsonl LATENCY_QUALITY.json OUT_DIR [VALID_FROM_STEP]

The log's validation rows (`eval_nats_per_token`) are drawn from VALID_FROM_STEP on (the default
model's rows before step 3000 came from a bug since fixed: stale EMA weights on the bf16 path).

TRAIN_LOG.jsonl is `sedd train`'s log (one JSON object per step). LATENCY_QUALITY.json is a list of
{"steps", "p50Ms", "p95Ms", "exactMatch", "editSimilarity"} rows (as scripts/summarize_model_card.py
writes them: exactMatch on rest-of-line spans, editSimilarity on all; either may be
null where not measured). Writes OUT_DIR/default-model-loss.png and default-model-quality.png.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(log_path, latency_path, out_dir, valid_from="0"):
    every = [json.loads(line) for line in open(log_path) if line.strip()]
    rows = [r for r in every if "loss" in r and not r.get("skipped")]  # evaluation rows have no loss
    valid = [r for r in every if "eval_nats_per_token" in r and r["step"] >= int(valid_from)]
    length = 512
    steps = [r["step"] for r in rows]
    # The loss is summed over a block's positions; per token it is the ELBO's nats per token.
    per_token = [r["loss"] / length for r in rows]
    window = 50
    smooth = [sum(per_token[max(0, i - window + 1): i + 1]) / (i - max(0, i - window + 1) + 1) for i in range(len(per_token))]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(steps, per_token, color="#bbbbbb", linewidth=0.6, label="per step")
    ax.plot(steps, smooth, color="#1f5fa8", linewidth=1.6, label=f"mean of {window} steps")
    if valid:
        ax.plot([r["step"] for r in valid], [r["eval_nats_per_token"] for r in valid], color="#c0392b", marker="o",
                markersize=3, linewidth=1.2, label="validation (EMA weights)")
    ax.set_xlabel("optimizer step (8 blocks of 512 tokens)")
    ax.set_ylabel("training loss, nats per token")
    ax.set_title("sedd default model: score-entropy loss")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(f"{out_dir}/default-model-loss.png", dpi=110)

    table = json.load(open(latency_path))
    fig, ax = plt.subplots(figsize=(7, 4))
    xs = [r["p50Ms"] for r in table]
    ax.plot(xs, [r["editSimilarity"] if r.get("editSimilarity") is not None else float("nan") for r in table],
            marker="o", label="edit similarity, all spans (true hole)")
    ax.plot(xs, [r["exactMatch"] if r.get("exactMatch") is not None else float("nan") for r in table],
            marker="s", label="exact match, rest-of-line spans (true hole)")
    for r in table:
        ax.annotate(f'{r["steps"]} steps', (r["p50Ms"], r.get("editSimilarity") or 0), fontsize=8,
                    textcoords="offset points", xytext=(4, 4))
    ax.set_xscale("log")
    ax.set_xlabel("p50 latency of one infill, ms (32-token hole, 512-token window, 2 cores)")
    ax.set_ylabel("score on the test split's spans")
    ax.set_title("quality against latency: the step count")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(f"{out_dir}/default-model-quality.png", dpi=110)


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    main(*sys.argv[1:])
