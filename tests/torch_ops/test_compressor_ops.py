"""``ops.compressor_decode`` and ``ops.compressor_prefill`` on plsim against the compressor
goldens, with the cases' pool comparisons (written rows within one BF16 ulp / one code, every
other pool row bit-exact, states close)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="the torch API needs torch (a CPU build will do)")

import deepseek_v4_pypto_ops.ops as ops  # noqa: E402
from deepseek_v4_pypto_ops.ops.weights import as_numpy, as_tensor  # noqa: E402
from torch_ops.weights_support import compressor_weights  # noqa: E402

from golden.case import CaseConfig  # noqa: E402
from models.deepseek_v4.cases import decode_compressor as compressor_case  # noqa: E402
from models.deepseek_v4.cases import prefill_compressor as compressor_prefill_case  # noqa: E402

POOLS = ("kv_state", "score_state", "index_cache", "index_cache_scale")


@pytest.fixture
def on_plsim():
    ops.set_platform("plsim")
    yield
    ops.set_platform(None)


def _check(case, config, inputs: dict, pools: dict) -> None:
    expected = case.golden(inputs, config)
    actual = {n: as_numpy(t) for n, t in pools.items()}
    for name, check in case.comparisons(config).items():
        result = check(actual[name], expected[name], actual_outputs=actual,
                       expected_outputs=expected, inputs=inputs)  # fmt: skip
        assert result.passed, f"{name}: {result.message}"


@pytest.mark.parametrize("cache_format", ["c16", "c8"])
def test_compressor_decode_matches_the_golden(on_plsim, cache_format):
    config = compressor_case.resolve_config(
        CaseConfig(mixed=True, batch=6, seq=4, cache_format=cache_format, block_size=16)
    )
    inputs = compressor_case.make_inputs(config)
    pools = {n: as_tensor(inputs[n]) for n in POOLS if n in inputs}
    index = {n: as_tensor(inputs[n]) for n in ("position_ids", "slot_mapping", "state_slots")}
    ops.compressor_decode(as_tensor(inputs["x"]), compressor_weights(inputs), **index, **pools)
    assert int((inputs["slot_mapping"] >= 0).sum()) >= 4  # windows were written
    _check(compressor_case.CASE, config, inputs, pools)


def test_compressor_prefill_matches_the_golden(on_plsim):
    config = compressor_prefill_case.CASE.resolve_config(
        CaseConfig(prompt_lens="5,40", prefix_lens="0,1001", cache_format="c8")
    )
    inputs = compressor_prefill_case.make_inputs(config)
    pools = {n: as_tensor(inputs[n]) for n in POOLS if n in inputs}
    names = ("position_ids", "cu_seqlens", "slot_mapping", "state_slots")
    index = {n: as_tensor(inputs[n]) for n in names}
    ops.compressor_prefill(as_tensor(inputs["x"]), compressor_weights(inputs), **index, **pools)
    _check(compressor_prefill_case.CASE, config, inputs, pools)
