"""The shapes the harness sizes memory from (and --compile-only compiles for) agree with the
cases' own parameters, and the prefill pools do not follow the chunk."""

from __future__ import annotations

import pytest

from golden import registry
from golden.case import CaseConfig
from golden.spec import ScalarSpec, TensorSpec

DECODE = ["deepseek_v4.indexer", "deepseek_v4.indexer_compressor"]
PREFILL = ["deepseek_v4.indexer_prefill", "deepseek_v4.indexer_compressor_prefill"]


def _spec_parts(case, config):
    specs = case.make_specs(config)
    tensors = {s.name: (tuple(s.shape), s.dtype) for s in specs if isinstance(s, TensorSpec)}
    scalars = [(s.name, s.dtype, s.value) for s in specs if isinstance(s, ScalarSpec)]
    return tensors, scalars


def _check(name, fields):
    case = registry.get_case(name)
    config = case.resolve_config(CaseConfig(**fields))
    tensors, scalars = _spec_parts(case, config)
    assert case.param_shapes is not None and case.scalar_specs is not None
    assert case.param_shapes(config) == tensors
    assert [(s.name, s.dtype, s.value) for s in case.scalar_specs(config)] == scalars


@pytest.mark.parametrize("name", DECODE)
@pytest.mark.parametrize(
    "fields",
    [
        {"batch": 1, "seq": 1},
        {"batch": 3, "seq": 4},
        {"batch": 4, "seq": 2, "mixed": True, "cache_format": "c8", "block_size": 48},
    ],
)
def test_footprint_matches_make_specs(name, fields):
    _check(name, fields)


@pytest.mark.parametrize("name", PREFILL)
@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"prompt_lens": "3,200", "prefix_lens": "0,33", "cache_format": "c8", "block_size": 48},
        {"prompt_lens": "129", "prefix_lens": "1000", "max_seq_len": 2048},
    ],
)
def test_prefill_footprint_matches_make_specs(name, fields):
    _check(name, fields)


@pytest.mark.parametrize("name", ["toy.scale_matmul"])
def test_toy_footprint_matches_make_specs(name):
    _check(name, {"batch": 2, "seq": 3})


@pytest.mark.parametrize("name", PREFILL)
def test_prefill_shapes_do_not_depend_on_the_prefixes(name):
    """A serving engine sizes its pools once: chunks that differ only in their prefixes have
    the same parameter shapes (the same compiled artifact)."""
    case = registry.get_case(name)
    shapes = [
        case.param_shapes(case.resolve_config(CaseConfig(prompt_lens="5,40", prefix_lens=p)))
        for p in ("0", "0,1000", "3000,17")
    ]
    assert shapes[0] == shapes[1] == shapes[2]
