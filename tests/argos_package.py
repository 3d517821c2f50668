"""Build a tiny but *real* Argos Translate package (zh→en) from scratch.

The package is produced offline and deterministically:

* a SentencePiece unigram model is trained on :data:`TRAINING_LINES` (a few
  dozen mixed Chinese/English OpenStack-ish lines, including the XLIFF-like
  placeholders ``<x1/>``, ``<g2>``, ``</g2>``) with ``byte_fallback=True``, so
  any character that is not a piece is encoded as ``<0xNN>`` byte pieces and
  never as ``<unk>``;
* a CTranslate2 Transformer encoder-decoder is built from seeded random
  weights (:class:`ctranslate2.specs.TransformerSpec`), with the SentencePiece
  pieces as its shared source/target vocabulary;
* both are packed with a ``metadata.json`` into a ``*.argosmodel`` zip with a
  single top-level directory, exactly the layout that
  ``argostranslate.package.install_from_path`` and
  ``argostranslate.package.Package`` expect.

Same arguments → byte-identical files (``model/model.bin``,
``model/config.json``, ``model/shared_vocabulary.json``,
``sentencepiece.model``, ``metadata.json``) and a byte-identical zip.

Vocabulary / special-token layout (ids are identical in SentencePiece and in
the CTranslate2 vocabulary, which is a single ``shared_vocabulary.json``)::

    0 "<unk>"   1 "<s>"   2 "</s>"   3..258 "<0x00>".."<0xFF>" (byte fallback)
    259.. learned pieces ("▁", "▁OpenStack", "峰", "<", "x", "/", ">", ...);
          845 pieces in all with the current corpus (every corpus character is
          a piece: character_coverage=1.0)
    then, only if ``vocab_size`` asks for more, filler pieces "▁w00000"...

``config.json`` uses CTranslate2's defaults: unk ``<unk>``, bos/decoder start
``<s>``, eos ``</s>``, no source bos/eos.  Filler pieces are also appended to
the SentencePiece model (as NORMAL pieces with a very low score, so they never
win a segmentation) so that whatever the model emits can be decoded.

The weights are random, so the "translation" is gibberish: greedy decoding
typically never emits ``</s>`` and stops at ``max_decoding_length`` — callers
must pass it.  The output projection bias is ``-1e4`` for ``<unk>``, ``<s>``
and the 256 byte pieces, so the model only emits normal (printable) pieces or
``</s>``, and decoded hypotheses are clean strings (no ``⁇``, no U+FFFD).
Other weights: ``N(0, 1/fan_in)`` for linear layers, ``N(0, 1/d_model)`` for
embeddings (CTranslate2 scales them by ``sqrt(d_model)``), small random
biases, layer-norm gamma 1 / beta 0, sinusoidal position encodings (left
unset, CTranslate2 computes them).  Every variable gets its own RNG seeded by
``(seed, crc32(variable name))``, so, e.g., changing the vocabulary size does
not change the layer weights.

Command line (for humans)::

    python tests/argos_package.py OUT_DIR [--bench-size] [--quantization int8]
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import shutil
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import ctranslate2
import numpy as np
import sentencepiece as spm

__all__ = [
    "BENCH_SIZE",
    "TRAINING_LINES",
    "build_bench_package",
    "build_package",
    "package_dir_name",
    "write_package_dir",
]

#: Small built-in corpus the SentencePiece model is trained on.
TRAINING_LINES: tuple[str, ...] = (
    "OpenStack峰会在东京举行，来自56个国家的5000多名参会者参加了会议。",
    "The OpenStack Summit was held in Tokyo, with 5000+ attendees from 56 countries.",
    "每隔半年一次的OpenStack开发者和用户峰会在东京开始了为期5天的日程。",
    "OpenStack得到多达550多家公司的支持，7M+行的代码。",
    "超过12个分会场，无论是开发者、架构师、运维人员还是市场人员都会目不暇接。",
    "我们从两个角度来看下此次OpenStack峰会：基金会的演讲和分会场的安排。",
    "首先，OpenStack推出了系统管理员认证（COA），打算与高校合作。",
    "然后，按照惯例，峰会也会发布OpenStack的一个大的版本：Liberty。",
    "Nova、Neutron、Cinder、Keystone、Glance和Swift是OpenStack的核心项目。",
    "Nova, Neutron, Cinder, Keystone, Glance and Swift are the core projects.",
    "混合云正在成为今后企业云形态的主流，容器和Kubernetes (k8s) 也占有一席之地。",
    "Hybrid cloud is becoming the mainstream; containers and k8s matter too.",
    "中国移动作为世界上最大的移动电话服务商，已经率先使用OpenStack了。",
    "社区正在帮助更多的企业参与到OpenStack中，安全问题也被提上议程。",
    "The community is helping more enterprises join OpenStack; security is on the agenda.",
    "每天有170万个测试任务，每小时2000+个任务，每天10-20k台虚拟机。",
    "1.7 million test jobs every day; 2000+ jobs per hour; 10-20k VMs per day.",
    "虚拟机、网络、存储、计算、镜像、身份认证、对象存储和块存储服务。",
    "请参见<x1/>和<g2>部署指南</g2>。",
    "详细信息请访问<g1>https://www.openstack.org/</g1>或者阅读<x2/>文档。",
    "See <g1>the install guide</g1> and <x2/> for details.",
    "在<g3>Barcelona</g3>峰会上，第二天的Keynote介绍了Multi-Cloud。",
    "悉尼峰会（Sydney Summit）第一天：边缘计算（Edge Computing）成为热点。",
    "柏林峰会感想：开放基础设施（Open Infrastructure）与CI/CD流水线。",
    "波士顿峰会：私有云的成本比公有云更低，性能和可靠性也更好。",
    "Zuul、Gerrit和Nodepool组成了OpenStack的持续集成系统。",
    "Zuul, Gerrit and Nodepool form the OpenStack CI system.",
    "版本发布：Kilo、Liberty、Mitaka、Newton、Ocata、Pike、Queens、Rocky、Stein。",
    "运维人员关心升级、高可用、监控、日志、备份和故障排除。",
    "Operators care about upgrades, HA, monitoring, logging, backup and troubleshooting.",
    "用户调查显示，生产环境中的部署数量增长了44%。",
    "The user survey shows a 44% growth of production deployments.",
    "数据库使用MySQL/MariaDB，消息队列使用RabbitMQ，缓存使用Memcached。",
    "配置文件是/etc/nova/nova.conf，端口号是8774，版本v2.1。",
    "The config file is /etc/nova/nova.conf; port 8774; API v2.1.",
    "命令：openstack server create --flavor m1.small --image cirros vm-01",
    "问题：为什么要选择OpenStack？答案：可扩展性、速度、成本、互操作性。",
    "Why OpenStack? Scalability, speed, cost & interoperability!",
    "数字0123456789，符号!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~。",
    "<x1/><x2/><x3/><g1></g1><g2></g2><g3></g3><g4>标签</g4>",
    "英特尔、红帽、华为、IBM、惠普、思科和AT&T都是基金会的成员。",
    "这是一次云计算的盛宴，也是对质疑OpenStack方向的一个回击。",
)

#: Keyword arguments of :func:`build_package` for a transformer-base-sized model.
BENCH_SIZE: dict[str, Any] = {
    "num_layers": (6, 6),
    "d_model": 512,
    "num_heads": 8,
    "ffn_dim": 2048,
    "vocab_size": 32000,
    "quantization": "int8",
}

_SP_TARGET_VOCAB = 1000  # upper bound; hard_vocab_limit=False lets SP stop earlier
_FILLER_SCORE = -1.0e4
_SUPPRESS_BIAS = -1.0e4
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def package_dir_name(
    name: str = "translate-zh_en", package_version: str = "0.0.1"
) -> str:
    """Name of the package's top-level directory (and of the zip, minus suffix).

    Follows Argos' convention, e.g. ``translate-zh_en-0_0_1``.
    """
    return f"{name}-{package_version.replace('.', '_')}"


# --------------------------------------------------------------------------
# SentencePiece
# --------------------------------------------------------------------------


def _train_sentencepiece(vocab_size: int | None) -> bytes:
    """Train the SentencePiece model; pad it with filler pieces up to vocab_size."""
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(TRAINING_LINES),
        model_writer=buffer,
        model_type="unigram",
        vocab_size=_SP_TARGET_VOCAB,
        hard_vocab_limit=False,
        character_coverage=1.0,
        byte_fallback=True,
        num_threads=1,
        shuffle_input_sentence=False,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        minloglevel=2,
    )
    proto = buffer.getvalue()
    size = spm.SentencePieceProcessor(model_proto=proto).get_piece_size()
    if vocab_size is None or vocab_size == size:
        return proto
    if vocab_size < size:
        raise ValueError(
            f"vocab_size={vocab_size} is smaller than the SentencePiece vocabulary ({size})"
        )
    # Imported lazily: needs protobuf, only required for padded vocabularies.
    sp_pb2: Any = importlib.import_module("sentencepiece.sentencepiece_model_pb2")

    model = sp_pb2.ModelProto()
    model.ParseFromString(proto)
    existing = {piece.piece for piece in model.pieces}
    index = 0
    while len(model.pieces) < vocab_size:
        filler = f"\u2581w{index:05d}"
        index += 1
        if filler in existing:
            continue
        piece = model.pieces.add()
        piece.piece = filler
        piece.score = _FILLER_SCORE
        piece.type = sp_pb2.ModelProto.SentencePiece.NORMAL
    return bytes(model.SerializeToString(deterministic=True))


def _pieces(sp_model: bytes) -> list[str]:
    processor = spm.SentencePieceProcessor(model_proto=sp_model)
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


# --------------------------------------------------------------------------
# CTranslate2 Transformer spec
# --------------------------------------------------------------------------


def _iter_layers(
    spec: Any, scope: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Yield ``(scope, layer_spec)`` for ``spec`` and every nested LayerSpec.

    List attributes are named ``<attr>_<i>`` like CTranslate2 does.
    """
    layer_spec_cls = ctranslate2.specs.LayerSpec
    yield scope, spec
    for attr, value in list(vars(spec).items()):
        if attr.startswith("_"):
            continue
        if isinstance(value, layer_spec_cls):
            yield from _iter_layers(value, (*scope, attr))
        elif isinstance(value, list):
            for i, elem in enumerate(value):
                if isinstance(elem, layer_spec_cls):
                    yield from _iter_layers(elem, (*scope, f"{attr}_{i}"))


def _linear_shape(
    scope: tuple[str, ...], d_model: int, ffn_dim: int, vocab: int
) -> tuple[int, int]:
    """(out_features, in_features) of a LinearSpec, inferred from its scope."""
    name = scope[-1]
    parent = scope[-2] if len(scope) > 1 else ""
    d = d_model
    shapes = {
        ("decoder", "projection"): (vocab, d),
        ("ffn", "linear_0"): (ffn_dim, d),
        ("ffn", "linear_1"): (d, ffn_dim),
        ("self_attention", "linear_0"): (3 * d, d),  # fused QKV
        ("self_attention", "linear_1"): (d, d),  # output
        ("attention", "linear_0"): (d, d),  # query
        ("attention", "linear_1"): (2 * d, d),  # fused KV (from encoder output)
        ("attention", "linear_2"): (d, d),  # output
    }
    if (parent, name) in shapes:
        return shapes[(parent, name)]
    raise ValueError(f"cannot infer the shape of linear layer {'/'.join(scope)}")


def _rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def _normal(seed: int, name: str, shape: tuple[int, ...], std: float) -> np.ndarray:
    values = _rng(seed, name).standard_normal(shape, dtype=np.float32)
    values *= np.float32(std)
    return values


def _fill_spec(
    spec: Any,
    *,
    d_model: int,
    ffn_dim: int,
    vocab: int,
    seed: int,
    suppressed_ids: Sequence[int],
) -> None:
    """Set every required (``None``) weight of ``spec`` plus the linear biases."""
    common = ctranslate2.specs.common_spec
    for scope, layer in _iter_layers(spec):
        path = "/".join(scope)
        if isinstance(layer, common.LinearSpec):
            out_dim, in_dim = _linear_shape(scope, d_model, ffn_dim, vocab)
            if layer.weight is None:
                layer.weight = _normal(
                    seed, path + "/weight", (out_dim, in_dim), in_dim**-0.5
                )
            bias = _normal(seed, path + "/bias", (out_dim,), 0.02)
            if scope[-1] == "projection":
                bias[list(suppressed_ids)] = _SUPPRESS_BIAS
            layer.bias = bias
        elif isinstance(layer, common.LayerNormSpec):
            if getattr(layer, "gamma", "") is None:
                layer.gamma = np.ones(d_model, dtype=np.float32)
            if getattr(layer, "beta", "") is None:
                layer.beta = np.zeros(d_model, dtype=np.float32)
        elif isinstance(layer, common.EmbeddingsSpec) and layer.weight is None:
            layer.weight = _normal(
                seed, path + "/weight", (vocab, d_model), d_model**-0.5
            )
    missing = sorted(
        "/".join((*scope, attr))
        for scope, layer in _iter_layers(spec)
        for attr, value in vars(layer).items()
        if not attr.startswith("_") and value is None
    )
    if missing:
        raise ValueError(f"unsupported spec variables left unset: {missing}")


def _write_model(
    model_dir: Path,
    tokens: list[str],
    *,
    num_layers: tuple[int, int],
    d_model: int,
    num_heads: int,
    ffn_dim: int,
    quantization: str | None,
    seed: int,
) -> None:
    if d_model % num_heads:
        raise ValueError(f"d_model={d_model} is not divisible by num_heads={num_heads}")
    spec = ctranslate2.specs.TransformerSpec.from_config(
        num_layers=tuple(num_layers), num_heads=num_heads
    )
    suppressed = [
        i
        for i, tok in enumerate(tokens)
        if tok in ("<unk>", "<s>") or _is_byte_piece(tok)
    ]
    _fill_spec(
        spec,
        d_model=d_model,
        ffn_dim=ffn_dim,
        vocab=len(tokens),
        seed=seed,
        suppressed_ids=suppressed,
    )
    spec.register_source_vocabulary(tokens)
    spec.register_target_vocabulary(tokens)
    spec.validate()
    spec.optimize(quantization=quantization)
    model_dir.mkdir(parents=True)
    spec.save(str(model_dir))


def _is_byte_piece(token: str) -> bool:
    return len(token) == 6 and token.startswith("<0x") and token.endswith(">")


# --------------------------------------------------------------------------
# Package
# --------------------------------------------------------------------------


def write_package_dir(
    dest_dir: Path,
    *,
    name: str | None = None,
    package_version: str = "0.0.1",
    from_code: str = "zh",
    from_name: str = "Chinese",
    to_code: str = "en",
    to_name: str = "English",
    target_prefix: str = "",
    num_layers: tuple[int, int] = (2, 2),
    d_model: int = 64,
    num_heads: int = 4,
    ffn_dim: int = 128,
    vocab_size: int | None = None,
    quantization: str | None = None,
    seed: int = 0,
) -> Path:
    """Write the unpacked package directory into ``dest_dir`` and return its path.

    The directory is ``dest_dir / package_dir_name(name, package_version)``
    and must not exist yet.  It can be loaded directly with
    ``argostranslate.package.Package(path)`` (no install needed).  See
    :func:`build_package` for the arguments.
    """
    if name is None:
        name = f"translate-{from_code}_{to_code}"
    pkg_dir = Path(dest_dir) / package_dir_name(name, package_version)
    pkg_dir.mkdir(parents=True)
    sp_model = _train_sentencepiece(vocab_size)
    tokens = _pieces(sp_model)
    (pkg_dir / "sentencepiece.model").write_bytes(sp_model)
    _write_model(
        pkg_dir / "model",
        tokens,
        num_layers=num_layers,
        d_model=d_model,
        num_heads=num_heads,
        ffn_dim=ffn_dim,
        quantization=quantization,
        seed=seed,
    )
    metadata = {
        "package_version": package_version,
        "argos_version": "1.0",
        "from_code": from_code,
        "from_name": from_name,
        "to_code": to_code,
        "to_name": to_name,
        "type": "translate",
        "links": [],
        "target_prefix": target_prefix,
    }
    (pkg_dir / "metadata.json").write_text(
        json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (pkg_dir / "README.md").write_text(
        f"# {name} {package_version} (synthetic test package)\n\n"
        "Random-weight CTranslate2 Transformer "
        f"(layers={tuple(num_layers)}, d_model={d_model}, heads={num_heads}, "
        f"ffn={ffn_dim}, vocab={len(tokens)}, "
        f"quantization={quantization}, seed={seed}) built by tests/argos_package.py.\n"
        "Its translations are gibberish; it exists to exercise real inference.\n",
        encoding="utf-8",
    )
    return pkg_dir


def _zip_dir(src: Path, zip_path: Path) -> None:
    """Zip ``src`` (as the single top-level directory) deterministically."""
    entries = sorted(src.rglob("*"), key=lambda p: p.relative_to(src.parent).as_posix())
    with zipfile.ZipFile(zip_path, "w") as zf:
        for path in [src, *entries]:
            arcname = path.relative_to(src.parent).as_posix()
            if path.is_dir():
                info = zipfile.ZipInfo(arcname + "/", date_time=_ZIP_DATE)
                info.external_attr = (0o40755 << 16) | 0x10
                info.create_system = 3
                zf.writestr(info, b"", compress_type=zipfile.ZIP_STORED)
            else:
                info = zipfile.ZipInfo(arcname, date_time=_ZIP_DATE)
                info.external_attr = 0o100644 << 16
                info.create_system = 3
                data = path.read_bytes()
                if path.name == "model.bin":
                    # Random weights do not compress (deflate saves <8 % of a
                    # bench-size model for ~3 s of CPU): store them.
                    zf.writestr(info, data, compress_type=zipfile.ZIP_STORED)
                else:
                    zf.writestr(
                        info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6
                    )


def build_package(
    dest_dir: Path,
    *,
    name: str | None = None,
    package_version: str = "0.0.1",
    from_code: str = "zh",
    from_name: str = "Chinese",
    to_code: str = "en",
    to_name: str = "English",
    target_prefix: str = "",
    num_layers: tuple[int, int] = (2, 2),
    d_model: int = 64,
    num_heads: int = 4,
    ffn_dim: int = 128,
    vocab_size: int | None = None,
    quantization: str | None = None,
    seed: int = 0,
) -> Path:
    """Build a real ``.argosmodel`` package and return the path of the zip.

    Args:
      dest_dir: Directory the zip is written to (created if needed).  The
        file is ``dest_dir / (package_dir_name(name, package_version) +
        ".argosmodel")`` and is overwritten if it exists.
      name: Package base name; default ``f"translate-{from_code}_{to_code}"``
        (``translate-zh_en``).
      package_version, from_code, from_name, to_code, to_name, target_prefix:
        Written to ``metadata.json`` (with ``argos_version "1.0"``,
        ``type "translate"``, ``links []``).
      num_layers: (encoder layers, decoder layers).
      d_model, num_heads, ffn_dim: Transformer sizes.
      vocab_size: Vocabulary size; ``None`` = the SentencePiece vocabulary
        (a few hundred pieces).  Larger values append filler pieces
        ``"▁w00000"``, … to both the SentencePiece model and the model
        vocabulary.
      quantization: CTranslate2 weight type (``None`` = float32, ``"int8"``,
        ``"int8_float32"``, ``"float16"``, …).
      seed: Seed of the random weights.

    The zip holds one top-level directory with ``metadata.json``,
    ``README.md``, ``sentencepiece.model`` and ``model/`` (``model.bin``,
    ``config.json``, ``shared_vocabulary.json``); entries are sorted and
    timestamped 1980-01-01, so the same arguments give a byte-identical zip
    (``model.bin`` is stored, the rest deflated).
    """
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="argos-package-") as tmp:
        pkg_dir = write_package_dir(
            Path(tmp),
            name=name,
            package_version=package_version,
            from_code=from_code,
            from_name=from_name,
            to_code=to_code,
            to_name=to_name,
            target_prefix=target_prefix,
            num_layers=num_layers,
            d_model=d_model,
            num_heads=num_heads,
            ffn_dim=ffn_dim,
            vocab_size=vocab_size,
            quantization=quantization,
            seed=seed,
        )
        zip_path = dest_dir / f"{pkg_dir.name}.argosmodel"
        partial = zip_path.with_name(zip_path.name + ".partial")
        _zip_dir(pkg_dir, partial)
        partial.replace(zip_path)
    return zip_path


def build_bench_package(
    dest_dir: Path, *, seed: int = 0, quantization: str | None = "int8"
) -> Path:
    """Build a transformer-base-sized package (:data:`BENCH_SIZE`): 6+6 layers,
    d_model 512, 8 heads, FFN 2048, 32000 vocabulary, int8 by default."""
    kwargs = dict(BENCH_SIZE)
    kwargs["quantization"] = quantization
    return build_package(dest_dir, seed=seed, **kwargs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument(
        "--bench-size",
        action="store_true",
        help="transformer-base size (6+6 layers, 512, 32k vocab, int8)",
    )
    parser.add_argument(
        "--quantization",
        default=None,
        help="e.g. int8, float16 (default: float32, int8 with --bench-size)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--unpacked",
        action="store_true",
        help="also leave the unpacked package directory in OUT_DIR",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.bench_size:
        quant = args.quantization if args.quantization is not None else "int8"
        path = build_bench_package(args.out_dir, seed=args.seed, quantization=quant)
    else:
        path = build_package(
            args.out_dir, seed=args.seed, quantization=args.quantization
        )
    elapsed = time.perf_counter() - start
    if args.unpacked:
        target = args.out_dir / path.name.removesuffix(".argosmodel")
        shutil.rmtree(target, ignore_errors=True)
        with zipfile.ZipFile(path) as zf:
            zf.extractall(args.out_dir)
    print(f"{path} ({path.stat().st_size / 1e6:.1f} MB) built in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
