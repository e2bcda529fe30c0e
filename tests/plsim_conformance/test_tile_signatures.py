"""``pl.tile.<op>`` keywords as pypto's signatures have them (plsim/ops/tile_signatures.py;
kernels/tile_keyword_kernels.py, verdicts measured with pypto and a2a3sim). plsim's pl.tile ops
shared pl.<op>'s functions, so it took ``pl.tile.matmul(..., out_dtype=)``, which pypto refuses,
and refused pypto's own parameter names (``pl.tile.exp(tile=x)``)."""

from __future__ import annotations

import json
import subprocess
import sys

import ml_dtypes
import numpy as np
import pytest
from conformance_support import load, marked_line

import plsim
from plsim.ops.tile_signatures import PYPTO_TILE_PARAMS

K = load("tile_keyword_kernels.py")
FILE = "tile_keyword_kernels.py"


def test_a_keyword_pyptos_tile_op_lacks_is_refused():
    a = np.ones((K.M, K.K), ml_dtypes.bfloat16)
    b = np.ones((K.K, K.N), ml_dtypes.bfloat16)
    with pytest.raises(plsim.DSLError, match="unexpected keyword argument 'out_dtype'") as err:
        plsim.run(K.tile_matmul_out_dtype, a, b, np.zeros((K.M, K.N), np.float32))
    assert f"{marked_line(FILE, 'out_dtype')} " in str(err.value)
    assert "pl.tile.matmul(lhs, rhs)" in str(err.value)
    with pytest.raises(plsim.DSLError, match="'high_precision'"):
        plsim.run(K.tile_exp_high_precision, np.ones((K.ROWS, K.COLS), np.float32),
                  np.zeros((K.ROWS, K.COLS), np.float32))  # fmt: skip


def test_pyptos_parameter_names_are_taken():
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (K.ROWS, K.COLS)).astype(np.float32)
    col = rng.uniform(-1, 1, (K.ROWS, 1)).astype(np.float32)
    exps, scaled = np.zeros_like(x), np.zeros_like(x)
    sums = np.zeros((K.ROWS, 1), np.float32)
    plsim.run(K.pypto_keyword_names, x, col, exps, scaled, sums)
    np.testing.assert_allclose(exps, np.exp(x.astype(np.float64)), rtol=1e-6)
    np.testing.assert_array_equal(scaled, x * col)
    np.testing.assert_allclose(sums, x.astype(np.float64).sum(axis=1, keepdims=True), rtol=1e-5)


def test_the_table_is_the_installed_wheels():
    from golden.compiler import compiler_available

    if not compiler_available():
        pytest.skip("the real pypto compiler is not installed (pip install its wheel)")
    # pypto and plsim never share a process: read the signatures in a child
    code = (
        "import inspect, json, sys\n"
        "import pypto.language as pl\n"
        "names = json.loads(sys.argv[1])\n"
        "print(json.dumps({n: [p for p in inspect.signature(getattr(pl.tile, n)).parameters]\n"
        "                  for n in names if hasattr(pl.tile, n)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, json.dumps(sorted(PYPTO_TILE_PARAMS))],
                         capture_output=True, text=True, check=True)  # fmt: skip
    wheel = json.loads(out.stdout.strip().splitlines()[-1])
    assert {n: tuple(p) for n, p in wheel.items()} == PYPTO_TILE_PARAMS
