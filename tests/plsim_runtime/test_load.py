"""Kernel files with `import pypto.language as pl` load and run unchanged."""

from __future__ import annotations

import sys
import types

import numpy as np
from support import KERNELS, load

import plsim
from plsim import language


def test_sibling_config_import_and_run():
    mod = load("sub/elementwise_kernel.py")
    x = np.arange(16 * 64, dtype=np.float32).reshape(16, 64)
    y = np.full((16, 64), 0.5, np.float32)
    out = np.zeros((16, 64), np.float32)
    run = plsim.run(mod.scale_add, x, y, out)
    assert np.array_equal(out, 2 * x + 0.5)
    assert np.array_equal(run.returns[0], out)
    assert mod.pl is language
    assert "config" not in sys.modules and "pypto" not in sys.modules


def test_sibling_module_that_imports_pl_gets_plsim():
    mod = load("sub/inline_kernel.py")
    x = np.arange(16 * 64, dtype=np.float32).reshape(16, 64)
    out = np.zeros((16, 64), np.float32)
    plsim.run(mod.doubled, x, out)
    assert np.array_equal(out, 2 * x)
    assert "helpers" not in sys.modules


def test_package_relative_import():
    mod = load("plsim_fixture_pkg/rel_kernel.py")
    x = np.arange(8 * 32, dtype=np.float32).reshape(8, 32)
    out = np.zeros((8, 32), np.float32)
    plsim.run(mod.negate, x, out)
    assert np.array_equal(out, -x)


def test_an_installed_pypto_is_left_alone():
    real = types.ModuleType("pypto")
    real_language = types.ModuleType("pypto.language")
    real.language = real_language
    sys.modules["pypto"], sys.modules["pypto.language"] = real, real_language
    try:
        mod = plsim.load(KERNELS / "sub" / "elementwise_kernel.py")
        assert mod.pl is language
        assert sys.modules["pypto"] is real and sys.modules["pypto.language"] is real_language
    finally:
        del sys.modules["pypto"], sys.modules["pypto.language"]


def test_calling_the_kernel_directly_runs_it_on_plsim():
    mod = load("sub/elementwise_kernel.py")
    x = np.ones((16, 64), np.float32)
    out = np.zeros((16, 64), np.float32)
    result = mod.scale_add(x, x, out)
    assert np.array_equal(result, np.full((16, 64), 3.0, np.float32))


def test_missing_file_is_an_argument_error():
    try:
        plsim.load(KERNELS / "does_not_exist.py")
    except plsim.ArgumentError as exc:
        assert "does_not_exist.py" in str(exc)
    else:
        raise AssertionError("expected ArgumentError")
