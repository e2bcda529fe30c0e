"""A pypto-lib-style L3 file for the runner tests: its specs list the output before the inputs
(not in parameter order), which the upstream harness binds by name for an L3 program."""

import pypto.language as pl
import pypto.language.distributed as pld

N = 64
RANKS = 2

VERDICTS = {"add_weight": "compiles", "l3_add_weight": "compiles"}

#: What a2a3sim does with each kernel on the recorded shapes (kinds: tests/plsim_conformance/
#: sim_agreement.py); re-measured by tests/plsim_conformance/test_a2a3sim_agreement.py.
A2A3SIM = {
    "add_weight": "pass",
    "l3_add_weight": "not run: a distributed @pl.jit.host kernel (a2a3sim here runs one chip)",
}


@pl.jit
def add_weight(
    x: pl.Tensor[[1, N], pl.FP32],
    w: pl.Tensor[[1, N], pl.FP32],
    y: pl.Out[pl.Tensor[[1, N], pl.FP32]],
):
    with pl.at(level=pl.Level.CORE_GROUP, name_hint="add_w"):
        y = pl.store(pl.add(pl.load(x, [0, 0], [1, N]), pl.load(w, [0, 0], [1, N])), [0, 0], y)
    return y


@pl.jit.host
def l3_add_weight(
    xs: pl.Tensor[[RANKS, 1, N], pl.FP32],
    w: pl.Tensor[[1, N], pl.FP32],
    ys: pl.Out[pl.Tensor[[RANKS, 1, N], pl.FP32]],
):
    for r in pl.range(pld.world_size()):
        add_weight(xs[r], w, ys[r], device=r)


if __name__ == "__main__":
    import torch
    from pypto.ir.distributed_compiled_program import DistributedConfig

    from golden import TensorSpec, run_jit

    def golden(values):
        values["ys"][:] = values["xs"] + values["w"]

    result = run_jit(
        fn=l3_add_weight,
        specs=[
            TensorSpec("ys", [RANKS, 1, N], torch.float32, is_output=True),
            TensorSpec("w", [1, N], torch.float32, init_value=torch.randn),
            TensorSpec("xs", [RANKS, 1, N], torch.float32, init_value=torch.randn),
        ],
        golden_fn=golden,
        compile_cfg=dict(distributed_config=DistributedConfig(device_ids=[0, 1])),
        runtime_cfg=dict(platform="a2a3sim"),
        rtol=1e-6,
        atol=1e-6,
    )
    if not result.passed:
        raise SystemExit(1)
