"""A pypto-lib-style file (specs, torch golden, __main__ calling golden.run_jit) for the runner
tests; the ``--wrong-golden`` option makes its golden disagree with the kernel."""

import pypto.language as pl

ROWS = 64
COLS = 128


@pl.jit
def scale_rows(
    x: pl.Tensor[[ROWS, COLS], pl.FP32],
    y: pl.Out[pl.Tensor[[ROWS, COLS], pl.FP32]],
):
    for r in pl.parallel(0, ROWS, 16):
        with pl.at(level=pl.Level.CORE_GROUP, name_hint="scale"):
            y[r : r + 16, 0:COLS] = pl.mul(x[r : r + 16, 0:COLS], 2.0)
    return y


if __name__ == "__main__":
    import argparse

    import torch

    from golden import TensorSpec, run_jit

    parser = argparse.ArgumentParser()
    parser.add_argument("--wrong-golden", action="store_true")
    args = parser.parse_args()
    factor = 3.0 if args.wrong_golden else 2.0

    def golden(values):
        values["y"][:] = values["x"] * factor

    result = run_jit(
        fn=scale_rows,
        specs=[
            TensorSpec("x", [ROWS, COLS], torch.float32, init_value=torch.randn),
            TensorSpec("y", [ROWS, COLS], torch.float32, is_output=True),
        ],
        golden_fn=golden,
        runtime_cfg=dict(platform="a2a3sim"),
        rtol=1e-6,
        atol=1e-6,
    )
    if not result.passed:
        raise SystemExit(1)
