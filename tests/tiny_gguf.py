"""Write a tiny but real llama-architecture GGUF model (seeded random weights) for the `llama` tests.

llama.cpp (through llama-cpp-python's OpenAI-compatible server) loads it and serves
/v1/chat/completions; with a JSON-schema grammar even random weights answer JSON of
the required shape, so the llm engine meets a real server without a real model (as
tests/argos_package.py builds a tiny real Argos package).

* architecture `llama`: 2 blocks of width 64, 4 heads, SwiGLU FFN of 128, RMSNorm,
  RoPE; every tensor F32, so no quantisation code is needed;
* a SentencePiece-style vocabulary with byte fallback (any UTF-8 text tokenizes),
  a few words and Chinese characters;
* `tokenizer.chat_template`: a small Jinja template llama-cpp-python renders.

The same arguments give a byte-identical file (each tensor's RNG is seeded by
(seed, crc32(name))). Needs `gguf` (the test extra).
"""

from __future__ import annotations

import zlib
from pathlib import Path

import gguf
import numpy as np

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\\n' + message['content'] + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)

WORDS = (
    "OpenStack", "Nova", "Neutron", "Cinder", "Keystone", "Glance", "Swift", "Summit",
    "the", "and", "of", "to", "in", "is", "cloud", "translations", "text", "id",
)
CHINESE = "峰会在东京举行开发者用户社区云计算存储网络镜像身份认证对象块服务基金会的和是了"


def vocabulary() -> tuple[list[str], list[float], list[int]]:
    """Tokens, scores and token types (gguf.TokenType) of the tiny SPM vocabulary."""
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
    types += [gguf.TokenType.BYTE] * 256
    pieces = ["\u2581"] + [chr(c) for c in range(0x21, 0x7F)]
    pieces += [f"\u2581{w}" for w in WORDS] + list(dict.fromkeys(CHINESE))
    tokens += pieces
    types += [gguf.TokenType.NORMAL] * len(pieces)
    scores = [0.0] * 259 + [float(len(p)) for p in pieces]
    return tokens, scores, [int(t) for t in types]


def _normal(seed: int, name: str, shape: tuple[int, ...], std: float) -> np.ndarray:
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    return (rng.standard_normal(shape, dtype=np.float32) * np.float32(std)).astype(np.float32)


def tensors(n_vocab: int, layers: int, embd: int, ff: int, seed: int) -> dict[str, np.ndarray]:
    """Every tensor llama.cpp's llama loader needs; numpy shape = reversed ggml ne."""
    out: dict[str, np.ndarray] = {
        "token_embd.weight": _normal(seed, "token_embd.weight", (n_vocab, embd), 1.0),
        "output_norm.weight": np.ones(embd, dtype=np.float32),
        "output.weight": _normal(seed, "output.weight", (n_vocab, embd), embd**-0.5),
    }
    for i in range(layers):
        shapes = {
            "attn_q": (embd, embd), "attn_k": (embd, embd), "attn_v": (embd, embd),
            "attn_output": (embd, embd), "ffn_gate": (ff, embd), "ffn_up": (ff, embd),
            "ffn_down": (embd, ff),
        }
        out[f"blk.{i}.attn_norm.weight"] = np.ones(embd, dtype=np.float32)
        out[f"blk.{i}.ffn_norm.weight"] = np.ones(embd, dtype=np.float32)
        for part, shape in shapes.items():
            name = f"blk.{i}.{part}.weight"
            out[name] = _normal(seed, name, shape, shape[1] ** -0.5)
    return out


def write(path: Path, *, seed: int = 0, layers: int = 2, embd: int = 64, heads: int = 4,
          ff: int = 128, context: int = 4096) -> Path:
    tokens, scores, types = vocabulary()
    writer = gguf.GGUFWriter(str(path), arch="llama")
    writer.add_name("tiny-random-llama")
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_context_length(context)
    writer.add_embedding_length(embd)
    writer.add_block_count(layers)
    writer.add_feed_forward_length(ff)
    writer.add_head_count(heads)
    writer.add_head_count_kv(heads)
    writer.add_rope_dimension_count(embd // heads)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(len(tokens))
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_chat_template(CHAT_TEMPLATE)
    for name, array in tensors(len(tokens), layers, embd, ff, seed).items():
        writer.add_tensor(name, array)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
