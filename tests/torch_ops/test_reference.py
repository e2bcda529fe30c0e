"""The PyTorch reference against the NumPy goldens.

Bit for bit: INT8 codes and FP32 scales of the quant chain, exact INT8 products, the query
stages (q codes, q scales, head weights), and scores and top-k indices given the same cache.
Within the kernels' tolerances (the case's pool comparisons): the compressor's outputs, since
the golden's float32 ``exp`` is NumPy's (not correctly rounded) and the reference's is
correctly rounded, so a pooled value may differ by a float32 ulp and a cache row by one BF16
ulp. Scores and top-k of a whole step are therefore checked against the golden's scoring of the
reference's own cache.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the torch API needs torch (a CPU build will do)")

from deepseek_v4_pypto_ops.ops import IndexerWeights, reference  # noqa: E402
from deepseek_v4_pypto_ops.ops.reference.quant import int_matmul, round_half_away_  # noqa: E402
from deepseek_v4_pypto_ops.ops.reference.quant import quantize_rows as torch_quantize  # noqa: E402
from deepseek_v4_pypto_ops.ops.reference.query import quantized_query as torch_query  # noqa: E402
from deepseek_v4_pypto_ops.ops.weights import as_numpy, as_tensor  # noqa: E402
from torch_ops.weights_support import compressor_weights  # noqa: E402

from golden.case import CaseConfig  # noqa: E402
from models.deepseek_v4.cases import decode_compressor as compressor_case  # noqa: E402
from models.deepseek_v4.cases import decode_indexer as indexer_case  # noqa: E402
from models.deepseek_v4.cases import prefill_indexer as indexer_prefill_case  # noqa: E402
from models.deepseek_v4.cases.decode_compare import pool_comparisons  # noqa: E402
from models.deepseek_v4.contract.decode import visible_rows  # noqa: E402
from models.deepseek_v4.reference.decode_compressor import compressor_paged_golden  # noqa: E402
from models.deepseek_v4.reference.decode_indexer import paged_scores, quantized_query, topk_rows  # noqa: E402
from models.deepseek_v4.reference.prefill import (  # noqa: E402
    compressor_prefill_golden,
    request_spans,
    token_rows_as_step,
)
from models.deepseek_v4.reference.quant import fp32_to_int32_round, int32_matmul, quantize_rows  # noqa: E402

POOLS = ("kv_state", "score_state", "index_cache", "index_cache_scale")
STEP = ("position_ids", "kv_seq_lens", "block_table", "slot_mapping", "state_slots")
CHUNK = ("position_ids", "cu_seqlens", "block_table", "slot_mapping", "state_slots")


def _pools_match(cache_format: str, actual: dict, expected: dict, inputs: dict) -> None:
    comparisons = pool_comparisons(cache_format, state_atol=1e-5, state_rtol=1e-5,
                                   cache_max_ulp=1)  # fmt: skip
    for name, check in comparisons.items():
        result = check(actual[name], expected[name], actual_outputs=actual,
                       expected_outputs=expected, inputs=inputs)  # fmt: skip
        assert result.passed, f"{name}: {result.message}"


def _torch_args(inputs: dict, names: tuple[str, ...]) -> dict:
    args = {n: as_tensor(inputs[n]) for n in names if n in inputs}
    args.update({n: as_tensor(inputs[n]) for n in POOLS if n in inputs})
    return args


def _structured_rows() -> np.ndarray:
    """Rows that exercise the quant chain: a wide spread of scales, exact .5 ties, zeros,
    values below the amax floor, one huge row."""
    rng = np.random.default_rng(3)
    rows = rng.standard_normal((600, 128)) * np.exp(rng.normal(0.0, 3.0, (600, 1)))
    rows[0] = 0.0
    rows[1] = (np.arange(128) - 64) * (127.0 / 64) / 127.0  # codes land on .5 ties
    rows[2] = 1e-7
    rows[3] = 3e30
    return rows.astype(np.float32)


def test_quant_chain_is_the_goldens_bit_for_bit():
    rows = _structured_rows()
    codes, scale = quantize_rows(rows)
    got_codes, got_scale = torch_quantize(torch.from_numpy(rows))
    np.testing.assert_array_equal(got_codes.numpy(), codes)
    np.testing.assert_array_equal(got_scale.numpy(), scale)
    assert (np.abs(codes) == 127).any() and (codes == 0).any()


def test_rounding_is_the_goldens_near_every_tie():
    values = []
    for n in range(128):  # 64 float32 neighbours on each side of every n + 0.5, and n itself
        for toward in (-1.0, 200.0):
            v = np.float32(n + 0.5)
            for _ in range(64):
                values.append(v)
                v = np.nextafter(v, np.float32(toward))
    values += list(np.linspace(0.0, 1.0, 100_001, dtype=np.float32))
    x = np.array(values, np.float32)
    x = np.concatenate([x, -x])
    got = round_half_away_(torch.from_numpy(x.copy()))
    np.testing.assert_array_equal(got.numpy(), fp32_to_int32_round(x).astype(np.float32))


@pytest.mark.parametrize("k", [128, 1024, 1536])  # FP32-exact sums, and the float64 path
def test_int8_products_are_exact(k):
    rng = np.random.default_rng(k)
    a = rng.integers(-127, 128, (16, k)).astype(np.int8)
    b = rng.integers(-127, 128, (k, 40)).astype(np.int8)
    b[:, 0] = 127
    a[0] = 127  # the largest sum, 127 * 127 * k
    got = int_matmul(torch.from_numpy(a), torch.from_numpy(b))
    np.testing.assert_array_equal(got.numpy(), int32_matmul(a, b).astype(np.float32))


def test_query_stages_are_the_goldens_bit_for_bit():
    config = indexer_case.resolve_config(CaseConfig(mixed=True, batch=9, seq=3, topk_only=True))
    inputs = indexer_case.make_inputs(config)
    expected = quantized_query(inputs)
    tokens = 27
    codes, scale, weights = torch_query(
        as_tensor(inputs["x"]).reshape(tokens, -1), as_tensor(inputs["qr"]).reshape(tokens, -1),
        as_tensor(inputs["position_ids"]).reshape(-1), IndexerWeights.from_arrays(inputs),
    )  # fmt: skip
    np.testing.assert_array_equal(codes.numpy(), expected["q_codes"].reshape(tokens, 64, 128))
    np.testing.assert_array_equal(scale.numpy(), expected["q_scale"].reshape(tokens, 64))
    np.testing.assert_array_equal(weights.numpy(), expected["weights"].reshape(tokens, 64))


@pytest.mark.parametrize("cache_format", ["c16", "c8"])
def test_decode_step_matches_the_golden(cache_format):
    config = indexer_case.resolve_config(
        CaseConfig(mixed=True, batch=8, seq=3, cache_format=cache_format, block_size=48)
    )
    inputs = indexer_case.make_inputs(config)
    width = inputs["score"].shape[2]
    expected = indexer_case.golden(inputs, config)
    args = _torch_args(inputs, STEP)
    idx, score = reference.indexer_decode(
        as_tensor(inputs["x"]), as_tensor(inputs["qr"]), IndexerWeights.from_arrays(inputs),
        **args, return_scores=True, score_width=width,
    )  # fmt: skip
    actual = {n: as_numpy(args[n]) for n in POOLS if n in args}
    _pools_match(cache_format, actual, expected, inputs)
    # Scores and top-k: the golden's math on the reference's cache, bit for bit.
    scale = actual.get("index_cache_scale")
    want = paged_scores(inputs, quantized_query(inputs), actual["index_cache"], scale, width)
    visible = visible_rows(inputs["position_ids"])
    np.testing.assert_array_equal(score.numpy(), want)
    np.testing.assert_array_equal(idx.numpy(), topk_rows(want, visible, 512, 128))
    assert (visible > 512).any()  # a real choice


@pytest.mark.parametrize("cache_format", ["c16", "c8"])
def test_prefill_chunk_matches_the_golden(cache_format):
    config = indexer_prefill_case.resolve_config(
        CaseConfig(prompt_lens="3,40,130", prefix_lens="0,700,2100", cache_format=cache_format)
    )
    inputs = indexer_prefill_case.make_inputs(config)
    width = inputs["score"].shape[1]
    expected = indexer_prefill_case.golden(inputs, config)
    args = _torch_args(inputs, CHUNK)
    idx, score = reference.indexer_prefill(
        as_tensor(inputs["x"]), as_tensor(inputs["qr"]), IndexerWeights.from_arrays(inputs),
        **args, return_scores=True, score_width=width,
    )  # fmt: skip
    actual = {n: as_numpy(args[n]) for n in POOLS if n in args}
    _pools_match(cache_format, actual, expected, inputs)
    query = quantized_query(token_rows_as_step(inputs))
    want = np.full(score.shape, np.finfo(np.float32).min, np.float32)
    for r, first, end in request_spans(inputs):
        view = {"position_ids": inputs["position_ids"][None, first:end],
                "block_table": inputs["block_table"][r : r + 1]}  # fmt: skip
        rows = {name: value[first:end, 0][None] for name, value in query.items()}
        want[first:end] = paged_scores(view, rows, actual["index_cache"],
                                       actual.get("index_cache_scale"), width)[0]  # fmt: skip
    visible = visible_rows(inputs["position_ids"][None])
    np.testing.assert_array_equal(score.numpy(), want)
    np.testing.assert_array_equal(idx.numpy(), topk_rows(want[None], visible, 512, 128)[0])


@pytest.mark.parametrize("cache_format", ["c16", "c8"])
def test_compressor_alone_matches_the_golden(cache_format):
    config = compressor_case.resolve_config(
        CaseConfig(mixed=True, batch=7, seq=4, cache_format=cache_format, block_size=16)
    )
    inputs = compressor_case.make_inputs(config)
    expected = compressor_paged_golden(dict(inputs))
    args = _torch_args(inputs, ("position_ids", "slot_mapping", "state_slots"))
    reference.compressor_decode(as_tensor(inputs["x"]), compressor_weights(inputs), **args)
    actual = {n: as_numpy(args[n]) for n in POOLS if n in args}
    _pools_match(cache_format, actual, expected, inputs)
    assert (np.asarray(inputs["slot_mapping"]) >= 0).sum() >= 4  # windows were written


def test_compressor_prefill_matches_the_golden():
    config = indexer_prefill_case.resolve_config(
        CaseConfig(prompt_lens="1,9,64", prefix_lens="0,3,1001", cache_format="c8")
    )
    inputs = indexer_prefill_case.make_inputs(config)
    expected = compressor_prefill_golden(inputs)
    args = _torch_args(inputs, ("position_ids", "cu_seqlens", "slot_mapping", "state_slots"))
    reference.compressor_prefill(as_tensor(inputs["x"]), IndexerWeights.from_arrays(inputs),
                                 **args)  # fmt: skip
    actual = {n: as_numpy(args[n]) for n in POOLS if n in args}
    _pools_match("c8", actual, expected, inputs)
