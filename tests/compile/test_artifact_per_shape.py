"""One compiled artifact per shape: what the compiler specializes on (parameter names, shapes,
dtypes and scalar values) does not change with the step's positions, lengths, tables or mappings.

Runs without the compiler: it compares the compile arguments the harness builds.
"""

from __future__ import annotations

import pytest

from golden.case import CaseConfig
from golden.compiler import spec_args
from golden.registry import get_case


@pytest.mark.parametrize("case_name", ["deepseek_v4.indexer", "deepseek_v4.indexer_compressor"])
@pytest.mark.parametrize("cache_format", ["c16", "c8"])
def test_different_steps_of_one_shape_give_the_same_compile_arguments(case_name, cache_format):
    case = get_case(case_name)
    steps = [
        CaseConfig(batch=3, seq=2, start_pos="5,-1,1203", cache_format=cache_format),
        CaseConfig(batch=3, seq=2, start_pos="4000,17,0", cache_format=cache_format),
        CaseConfig(batch=3, seq=2, mixed=True, cache_format=cache_format, seed=9),
    ]
    keys = []
    for step in steps:
        config = case.resolve_config(step)
        specs = case.make_specs(config)
        values = {s.name: s.init for s in specs if hasattr(s, "init")}
        keys.append((case.kernel_for(config), spec_args(specs)))
        assert values["position_ids"] is not None  # positions travel as tensor data
    assert keys[0] == keys[1] == keys[2]
