"""The shapes the harness sizes memory from agree with the cases' own parameters."""

from __future__ import annotations

import pytest

from golden import registry
from golden.case import CaseConfig
from golden.spec import TensorSpec


@pytest.mark.parametrize("name", ["deepseek_v4.indexer", "deepseek_v4.indexer_compressor"])
@pytest.mark.parametrize(
    "fields",
    [
        {"batch": 1, "seq": 1},
        {"batch": 3, "seq": 4},
        {"batch": 4, "seq": 2, "mixed": True, "cache_format": "c8", "block_size": 48},
    ],
)
def test_footprint_matches_make_specs(name, fields):
    case = registry.get_case(name)
    config = case.resolve_config(CaseConfig(**fields))
    specs = case.make_specs(config)
    actual = {s.name: (tuple(s.shape), s.dtype) for s in specs if isinstance(s, TensorSpec)}
    assert case.param_shapes is not None
    assert case.param_shapes(config) == actual
