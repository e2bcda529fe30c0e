"""The toy case's own consistency: its shape constants match the kernel file's."""

from __future__ import annotations

import ast

from golden.case import CaseConfig
from golden.toy import case as toy


def _module_constants(path):
    tree = ast.parse(path.read_text())
    return {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
    }


def test_case_constants_match_kernel():
    kernel = _module_constants(toy.KERNEL_FILE)
    assert (kernel["ROW_TILE"], kernel["K_DIM"], kernel["N_DIM"]) == (
        toy.ROW_TILE,
        toy.K_DIM,
        toy.N_DIM,
    )


def test_wrong_golden_really_differs_from_golden():
    config = toy.resolve_config(CaseConfig())
    from golden.inputs import build_inputs

    inputs = build_inputs(toy.make_specs(config), 0)
    right = toy.golden(inputs, config)["out"]
    wrong = toy.wrong_golden(inputs, config)["out"]
    # Rows whose largest magnitude is negative get a different scale under the wrong policy.
    x = inputs["x"].astype("float32")
    negative_peak = (-x.min(axis=1)) > x.max(axis=1)
    assert negative_peak.any() and (~negative_peak).any()
    assert (right[negative_peak] != wrong[negative_peak]).all()
    assert (right[~negative_peak] == wrong[~negative_peak]).all()
