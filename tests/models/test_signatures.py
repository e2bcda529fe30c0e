"""Each kernel's parameter table (cases/decode_signatures.py, prefill_signatures.py) against the
kernel's own ``@pl.jit`` signature, read from the source: names in order, pl.Out / pl.InOut
roles and scalars, for every entry point a case can run. The inputs are bound to the table at
every run (golden/signature.bind refuses a mismatch), so the tables are checked on both sides;
the prefill pools do not follow the chunk."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from golden import registry
from golden.case import CaseConfig
from golden.signature import Param, SignatureError, bind
from golden.spec import ScalarSpec

DECODE = ["deepseek_v4.indexer", "deepseek_v4.indexer_compressor"]
PREFILL = ["deepseek_v4.indexer_prefill", "deepseek_v4.indexer_compressor_prefill"]
#: Configurations that reach every entry point (cache format x top-k-only).
CONFIGS = {
    "deepseek_v4.indexer": [
        {"cache_format": f, "topk_only": t} for f in ("c16", "c8") for t in (False, True)
    ],
    "deepseek_v4.indexer_compressor": [{"cache_format": "c16"}, {"cache_format": "c8"}],
    "deepseek_v4.indexer_prefill": [{"cache_format": "c16"}, {"cache_format": "c8"}],
    "deepseek_v4.indexer_compressor_prefill": [{"cache_format": "c16"}, {"cache_format": "c8"}],
}
ROLE_OF_WRAPPER = {"Out": "out", "InOut": "inout"}
SCALAR_DTYPES = {"INT32": "int32", "FP32": "float32", "INT64": "int64", "BOOL": "bool"}


def jit_parameters(kernel_file: Path, name: str) -> list[tuple[str, str]]:
    """(name, role) of each parameter of the ``@pl.jit`` function ``name``: role ``in``,
    ``out``, ``inout`` for tensors, ``scalar:<dtype>`` for a pl.Scalar."""
    for node in ast.parse(kernel_file.read_text()).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            assert any(ast.unparse(d) == "pl.jit" for d in node.decorator_list), name
            out = []
            for arg in node.args.args:
                note = arg.annotation
                if isinstance(note, ast.Subscript) and ast.unparse(note.value) == "pl.Scalar":
                    out.append((arg.arg, "scalar:" + SCALAR_DTYPES[ast.unparse(note.slice)[3:]]))
                elif isinstance(note, ast.Subscript):
                    out.append((arg.arg, ROLE_OF_WRAPPER[ast.unparse(note.value)[3:]]))
                else:
                    assert ast.unparse(note) == "pl.Tensor", (name, arg.arg)
                    out.append((arg.arg, "in"))
            return out
    raise AssertionError(f"no @pl.jit {name} in {kernel_file}")


def table_parameters(signature) -> list[tuple[str, str]]:
    return [
        (p.name, p.role) if isinstance(p, Param) else (p.name, f"scalar:{p.dtype}")
        for p in signature
    ]


CASE_CONFIGS = [(name, fields) for name, configs in CONFIGS.items() for fields in configs]


@pytest.mark.parametrize("name,fields", CASE_CONFIGS)
def test_the_table_is_the_kernels_signature(name, fields):
    case = registry.get_case(name)
    config = case.resolve_config(CaseConfig(**fields))
    expected = jit_parameters(case.kernel_file, case.kernel_for(config))
    assert table_parameters(case.signature(config)) == expected


def test_the_annotation_reader_sees_roles_and_scalars(tmp_path):
    """The reader above distinguishes what the comparison relies on."""
    kernel = tmp_path / "k.py"
    kernel.write_text(
        "import pypto.language as pl\n@pl.jit\n"
        "def k(a: pl.Tensor, b: pl.Out[pl.Tensor], c: pl.InOut[pl.Tensor], "
        "n: pl.Scalar[pl.INT32]):\n    pass\n"
    )
    assert jit_parameters(kernel, "k") == [
        ("a", "in"), ("b", "out"), ("c", "inout"), ("n", "scalar:int32"),
    ]  # fmt: skip


@pytest.mark.parametrize("name", DECODE)
@pytest.mark.parametrize(
    "fields",
    [
        {"batch": 3, "seq": 4},
        {"batch": 4, "seq": 2, "mixed": True, "cache_format": "c8", "block_size": 48},
    ],
)
def test_decode_inputs_bind_to_the_table(name, fields):
    case = registry.get_case(name)
    config = case.resolve_config(CaseConfig(**fields))
    specs = case.make_specs(config)  # bind: every input's name, shape and dtype checked
    assert [s.name for s in specs] == [p.name for p in case.signature(config)]


@pytest.mark.parametrize("name", PREFILL)
@pytest.mark.parametrize(
    "fields",
    [
        {"prompt_lens": "3,200", "prefix_lens": "0,33", "cache_format": "c8", "block_size": 48},
        {"prompt_lens": "129", "prefix_lens": "1000", "max_seq_len": 2048},
    ],
)
def test_prefill_inputs_bind_to_the_table(name, fields):
    case = registry.get_case(name)
    config = case.resolve_config(CaseConfig(**fields))
    specs = case.make_specs(config)
    assert [s.name for s in specs] == [p.name for p in case.signature(config)]


def test_bind_refuses_inputs_that_disagree_with_the_table():
    case = registry.get_case("deepseek_v4.indexer_compressor")
    config = case.resolve_config(CaseConfig())
    signature = list(case.signature(config))
    inputs = dict(case.make_inputs(config))
    bind(signature, inputs)
    wrong_shape = dataclasses.replace(signature[0], shape=(1, 2, 3))
    with pytest.raises(SignatureError, match="'x'"):
        bind([wrong_shape, *signature[1:]], inputs)
    with pytest.raises(SignatureError, match="no parameter"):
        bind(signature, {**inputs, "extra": inputs["x"]})
    with pytest.raises(SignatureError, match="scalar"):
        bind([*signature, ScalarSpec("offset", "int32", 1)], {**inputs, "offset": 2})


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


def test_toy_shapes_match_its_specs():
    case = registry.get_case("toy.scale_matmul")
    config = case.resolve_config(CaseConfig(batch=2, seq=3))
    specs = case.make_specs(config)
    assert case.param_shapes(config) == {
        s.name: (tuple(s.shape), s.dtype) for s in specs if not isinstance(s, ScalarSpec)
    }


def test_a_replay_generates_no_inputs(tmp_path, monkeypatch):
    """A replay checks the save against the signature alone: make_inputs never runs."""
    from golden.runner import replay_case, run_case

    case = registry.get_case("deepseek_v4.indexer_compressor")
    save = tmp_path / "save"
    assert run_case(case, CaseConfig(batch=2), save_dir=save).passed

    def never(config):
        raise AssertionError("make_inputs ran during a replay")

    monkeypatch.setattr(case, "make_specs", never)
    monkeypatch.setattr(case, "make_inputs", never)
    assert replay_case(case, save).passed
