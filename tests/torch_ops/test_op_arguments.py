"""Bad arguments raise one TypeError / ValueError naming the argument and what was expected,
before any work: no kernel runs, no pool changes. The kernel functions and the reference
check alike."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="the torch API needs torch (a CPU build will do)")

import deepseek_v4_pypto_ops.ops as ops  # noqa: E402
from deepseek_v4_pypto_ops.ops import IndexerWeights, reference  # noqa: E402
from deepseek_v4_pypto_ops.ops.weights import as_tensor  # noqa: E402

from golden.case import CaseConfig  # noqa: E402
from models.deepseek_v4.cases import decode_indexer as indexer_case  # noqa: E402
from models.deepseek_v4.cases import prefill_indexer as indexer_prefill_case  # noqa: E402

POOLS = ("kv_state", "score_state", "index_cache", "index_cache_scale")


@pytest.fixture(scope="module")
def step() -> dict:
    config = indexer_case.resolve_config(
        CaseConfig(batch=3, start_pos="5,-1,900", cache_format="c8", topk_only=True)
    )
    return indexer_case.make_inputs(config)


def _decode_args(inputs: dict) -> dict:
    names = ("x", "qr", "position_ids", "kv_seq_lens", "block_table", "slot_mapping",
             "state_slots", *POOLS)  # fmt: skip
    args = {n: as_tensor(inputs[n]) for n in names}
    args["weights"] = IndexerWeights.from_arrays(inputs)
    return args


def _bad(args: dict, name: str, value) -> dict:
    return {**args, name: value}


def _decode_cases(args: dict) -> list[tuple[str, dict, type]]:
    """(argument named in the message, the call's arguments, the error type)."""
    cache = args["index_cache"]
    weights = args["weights"]
    rows = tuple(args["position_ids"].shape)  # one top-k offset per token
    return [
        ("x", _bad(args, "x", args["x"].float()), TypeError),
        ("x", _bad(args, "x", args["x"].float().numpy()), TypeError),
        (
            "qr",
            _bad(args, "qr", torch.empty(args["qr"].shape, dtype=torch.bfloat16, device="meta")),
            ValueError,
        ),
        ("x", _bad(args, "x", args["x"].repeat(1, 5, 1)), ValueError),  # 5 tokens per step
        ("qr", _bad(args, "qr", args["qr"][:2]), ValueError),
        ("position_ids", _bad(args, "position_ids", args["position_ids"].long()), TypeError),
        ("block_table", _bad(args, "block_table", args["block_table"][:, None]), ValueError),
        (
            "kv_state",
            _bad(args, "kv_state", args["kv_state"].transpose(1, 2).contiguous().transpose(1, 2)),
            ValueError,
        ),
        ("index_cache", _bad(args, "index_cache", cache[:, :24].contiguous()), ValueError),
        ("index_cache_scale", _bad(args, "index_cache_scale", None), ValueError),
        ("index_cache_scale", _bad(args, "index_cache", cache.to(torch.bfloat16)), ValueError),
        ("slot_mapping", _bad(args, "slot_mapping", args["slot_mapping"] + 1), ValueError),
        ("kv_seq_lens", _bad(args, "kv_seq_lens", args["kv_seq_lens"] + 100000), ValueError),
        (
            "weights.wq_b",
            _bad(
                args,
                "weights",
                IndexerWeights(**{**weights.__dict__, "wq_b": weights.wq_b.float()}),
            ),
            TypeError,
        ),
        ("index_topk", {**args, "index_topk": 100}, ValueError),
        ("index_topk", {**args, "index_topk": 4096}, ValueError),
        ("offset", {**args, "offset": -1}, ValueError),
        ("offset", {**args, "offset": 1.5}, TypeError),
        ("offset", {**args, "offset": torch.full((1, 1), 128, dtype=torch.int32)}, ValueError),
        ("offset", {**args, "offset": torch.full(rows, 128)}, TypeError),
        ("offset", {**args, "offset": torch.full(rows, 1 << 21, dtype=torch.int32)}, ValueError),
        ("score_width", {**args, "return_scores": True, "score_width": 1000}, ValueError),
    ]


def _call_decode(fn, args: dict):
    args = dict(args)
    return fn(args.pop("x"), args.pop("qr"), args.pop("weights"), **args)


@pytest.mark.parametrize("fn", [ops.indexer_decode, reference.indexer_decode],
                         ids=["kernel", "reference"])  # fmt: skip
def test_decode_arguments(step, fn):
    ops.set_platform("plsim")
    try:
        for name, args, error in _decode_cases(_decode_args(step)):
            pools = {n: args[n].clone() for n in POOLS if isinstance(args.get(n), torch.Tensor)}
            before = ops.artifacts("plsim")
            with pytest.raises(error) as raised:
                _call_decode(fn, args)
            assert str(raised.value).startswith(f"{name}:"), (name, str(raised.value))
            assert ops.artifacts("plsim") == before, name  # nothing ran
            for n, saved in pools.items():
                assert torch.equal(args[n], saved), (name, n)  # nothing written
    finally:
        ops.set_platform(None)


def test_prefill_arguments():
    config = indexer_prefill_case.resolve_config(CaseConfig(prompt_lens="3,9", prefix_lens="0,40"))
    inputs = indexer_prefill_case.make_inputs(config)
    names = ("x", "qr", "position_ids", "cu_seqlens", "block_table", "slot_mapping",
             "state_slots", "kv_state", "score_state", "index_cache")  # fmt: skip
    args = {n: as_tensor(inputs[n]) for n in names}
    args["weights"] = IndexerWeights.from_arrays(inputs)
    cases = [
        ("cu_seqlens", _bad(args, "cu_seqlens", args["cu_seqlens"].flip(0)), ValueError),
        ("position_ids", _bad(args, "position_ids", args["position_ids"][:-1]), ValueError),
        ("state_slots", _bad(args, "state_slots", args["state_slots"][:1]), ValueError),
        ("block_table", _bad(args, "block_table", args["block_table"].float()), TypeError),
    ]
    for fn in (ops.indexer_prefill, reference.indexer_prefill):
        for name, bad, error in cases:
            with pytest.raises(error) as raised:
                _call_decode(fn, bad)
            assert str(raised.value).startswith(f"{name}:"), (name, str(raised.value))


def _lightning_args(step: dict) -> dict:
    batch, seq = step["position_ids"].shape
    return {
        "query": torch.zeros((batch, seq, 64, 128), dtype=torch.bfloat16),
        "key": as_tensor(step["index_cache"]).unsqueeze(2),
        "weights": torch.zeros((batch, seq, 64)),
        "actual_seq_lengths_key": as_tensor(step["kv_seq_lens"]),
        "block_table": as_tensor(step["block_table"]),
        "layout_query": "BSND",
        "layout_key": "PA_BSND",
        "sparse_count": 512,
        "sparse_mode": 3,
        "key_dequant_scale": as_tensor(step["index_cache_scale"]),
    }


def test_lightning_indexer_arguments(step):
    args = _lightning_args(step)
    batch, seq = step["position_ids"].shape
    tnd = {**args, "layout_query": "TND", "query": args["query"].reshape(batch * seq, 64, 128),
           "weights": args["weights"].reshape(batch * seq, 64)}  # fmt: skip
    cases = [
        ("layout_query", {**args, "layout_query": "BNSD"}, ValueError),
        ("layout_key", {**args, "layout_key": "BSND"}, ValueError),
        ("sparse_count", {**args, "sparse_count": 0}, ValueError),
        ("sparse_count", {**args, "sparse_count": 2049}, ValueError),
        ("sparse_mode", {**args, "sparse_mode": 1}, ValueError),
        ("return_value", {**args, "return_value": True}, ValueError),
        ("query", {**args, "query": args["query"].half()}, TypeError),
        ("query", {**args, "query": args["query"][:, :, :32].contiguous()}, ValueError),
        ("weights", {**args, "weights": args["weights"][:, :, :32].contiguous()}, ValueError),
        ("key", {**args, "key": args["key"][:, :8].contiguous()}, ValueError),
        ("key_dequant_scale", {**args, "key_dequant_scale": None}, ValueError),
        ("actual_seq_lengths_key", {**args, "actual_seq_lengths_key": None}, ValueError),
        ("block_table", {**args, "block_table": None}, ValueError),
        ("actual_seq_lengths_query", tnd, ValueError),  # TND needs the cumulative counts
        (
            "actual_seq_lengths_query",
            {**tnd, "actual_seq_lengths_query": torch.tensor([1, 3, 3], dtype=torch.int32)},
            ValueError,
        ),  # unequal counts
    ]
    for fn in (ops.lightning_indexer, reference.lightning_indexer):
        for name, bad, error in cases:
            with pytest.raises(error) as raised:
                fn(**bad)
            assert str(raised.value).startswith(f"{name}:"), (name, str(raised.value))


def test_unknown_platform_is_refused():
    with pytest.raises(ValueError, match=r"^platform: expected one of"):
        ops.set_platform("gpu")
