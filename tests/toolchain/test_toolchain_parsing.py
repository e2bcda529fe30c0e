"""golden.build_stages: a failure's stage, message and kernel line, from the texts the real
toolchain prints (copied from runs of its ptoas 0.43-dd147df4, clang++-19 and simpler)."""

from __future__ import annotations

from golden import build_stages
from golden.platforms import _runtime_detail

PTOAS_TEXT = (
    "ptoas compilation failed: loc(\"/work/k/stage_probe.py\":7:9): error: 'pto.alloc_tile' op "
    "expects result boxed tile rows to be a multiple of innerRows (16), but got 8"
)
CXX_TEXT = "\n".join([
    "SimKernel compilation failed with exit code 1:",
    "In file included from /tmp/b/_jit_row_bcast_1/kernels/aiv/bcast.cpp:18:",
    "build/pto-isa/include/pto/cpu/trace.hpp:135:13: warning: enumeration values 'HIF4_A_ZZ' "
    "not handled in switch [-Wswitch]",
    "build/pto-isa/include/pto/common/pto_instr.hpp:182:5: error: no matching function for call "
    "to 'TADD_IMPL'",
    "  182 |     MAP_INSTR_IMPL(TADD, dst, src0, src1);",
    "/tmp/b/_jit_row_bcast_1/kernels/aiv/bcast.cpp:73:3: note: in instantiation of function "
    "template specialization 'pto::TADD<...>' requested here",
    "   73 |   TADD(v15, v8, v13);",
    "1 warning and 1 error generated.",
])  # fmt: skip
RUNTIME_LOG = "\n".join([
    "[ERROR] report_deadlock: [pto_ring_buffer.cpp:142] FATAL: Dependency Pool Deadlock "
    "Detected!",
    "[mono_ns=2236892759989][T0x7fb3405c8b80][ERROR] drain_execution: [device_runner.cpp:669] "
    "AICPU execution failed with rc=-4",
    "[mono_ns=2236892803087][T0x7fb3405c8b80][ERROR] validate_runtime_impl: "
    "[runtime_maker.cpp:1019] error detail: orch_error_code=4 DEP_POOL_OVERFLOW - a task's "
    "producer dependencies exceeded the runtime's available fanin representation capacity",
])  # fmt: skip


def test_ptoas_message_and_kernel_line():
    message, location = build_stages.ptoas_summary(PTOAS_TEXT)
    assert location == "/work/k/stage_probe.py:7"
    assert message == (
        "'pto.alloc_tile' op expects result boxed tile rows to be a multiple of innerRows (16), "
        "but got 8"
    )


def test_cxx_message_names_the_error_and_the_generated_kernel():
    message, kernel = build_stages.cxx_summary(CXX_TEXT)
    assert message == (
        "pto_instr.hpp:182: no matching function for call to 'TADD_IMPL' "
        "(instantiated at bcast.cpp:73: TADD(v15, v8, v13);)"
    )
    assert kernel == "bcast"


def _raise_from(function_name: str, message: str) -> BaseException:
    namespace: dict = {}
    exec(f"def {function_name}():\n    raise RuntimeError({message!r})\n", namespace)
    try:
        namespace[function_name]()
    except RuntimeError as exc:
        return exc
    raise AssertionError("did not raise")


def test_stage_from_the_function_that_raised():
    assert build_stages.stage_of(_raise_from("_run_ptoas", "x")) == "ptoas"
    assert build_stages.stage_of(_raise_from("_generate_kernel_wrapper", "x")) == "kernel wrapper"
    assert build_stages.stage_of(_raise_from("generate_orchestration", "x")) == "pypto"


def test_stage_from_the_text_when_no_frame_says():
    assert build_stages.stage_of(RuntimeError("1 function(s) failed: " + PTOAS_TEXT)) == "ptoas"
    wrapper = "Cannot recover dynamic dimension 'b' for kernel wrapper codegen"
    assert build_stages.stage_of(ValueError(wrapper)) == "kernel wrapper"


def test_failure_record_for_each_stage():
    ptoas = build_stages.failure("ptoas", "mm8", RuntimeError(PTOAS_TEXT), "/work/k/x.py")
    assert ptoas["location"] == "/work/k/stage_probe.py:7" and ptoas["function"] == "mm8"
    cxx = build_stages.failure("C++ compile", "", RuntimeError(CXX_TEXT), "/work/k/x.py")
    assert cxx["function"] == "bcast" and cxx["location"] == ""


def test_runtime_reason_prefers_the_error_detail(tmp_path):
    log = tmp_path / "run.log"
    log.write_text("[perf_hint] noise\n" + RUNTIME_LOG)
    assert _runtime_detail(log).startswith("orch_error_code=4 DEP_POOL_OVERFLOW - a task's")
    log.write_text("[ERROR] aicpu_execute: [aicpu_executor.cpp:1040] PTO2 runtime failed\n")
    assert _runtime_detail(log) == "PTO2 runtime failed"
