"""The indexer kernel on plsim against its golden, over the configurations issue 5 lists."""

from __future__ import annotations

import numpy as np
import pytest
from indexer_support import PARAMETER_ORDER, run_step

import plsim
from golden.case import CaseConfig
from golden.spec import ScalarSpec
from models.deepseek_v4.config import COMPRESS_RATIO, FP32_LOWEST, SLIDING_WINDOW
from models.deepseek_v4.indexer_case import CASE, make_inputs, resolve_config
from models.deepseek_v4.indexer_golden import (
    quantized_query,
    quantized_scores,
    run_compressor,
    visible_lengths,
)

LOWEST = np.float32(FP32_LOWEST)
ROW_GAIN = 256.0  # a power of two: the new row's INT8 codes stay, its dequant scale grows


def _assert_passes(step) -> None:
    assert not step.failures(), step.failures()


def test_parameter_order_matches_case_specs():
    config = resolve_config(CaseConfig())
    names = [spec.name for spec in CASE.make_specs(config)]
    assert tuple(names) == PARAMETER_ORDER
    assert [type(s) for s in CASE.make_specs(config)[-2:]] == [ScalarSpec, ScalarSpec]


@pytest.mark.parametrize(
    ("start_pos", "what"),
    [
        (1000, "visible 250 < index_topk, not a multiple of the tile, no window closes"),
        (2047, "visible 512 == index_topk (a multiple of the tile), closes window 511"),
        (2050, "visible 512, no window closes"),
        (None, "default: visible 1005 > index_topk, not a multiple of the tile, closes"),
    ],
)
def test_single_token(start_pos, what):
    config = resolve_config(CaseConfig(seq=1, start_pos=start_pos))
    step = run_step(config)
    _assert_passes(step)
    vis = int(visible_lengths(config.start_pos, 1)[0])
    k = min(512, vis)
    assert (step.actual["topk_idxs"][0, 0, k:] == -1).all()
    assert (step.actual["topk_idxs"][0, 0, :k] >= SLIDING_WINDOW).all()


@pytest.mark.parametrize("seq", [2, 4])
def test_multi_token_default(seq):
    step = run_step(resolve_config(CaseConfig(seq=seq)))
    _assert_passes(step)


def test_first_positions_have_empty_or_tiny_visibility():
    # Tokens 0..2 see nothing (all -1, all sentinel); token 3 closes window 0 and sees it.
    config = resolve_config(CaseConfig(seq=4, start_pos=0))
    step = run_step(config)
    _assert_passes(step)
    topk = step.actual["topk_idxs"][0]
    assert (topk[:3] == -1).all()
    assert topk[3, 0] == SLIDING_WINDOW and (topk[3, 1:] == -1).all()
    assert (step.actual["score"][0, :3] == LOWEST).all()


def test_batch_16():
    step = run_step(resolve_config(CaseConfig(batch=16, seq=2, start_pos=1797)))
    _assert_passes(step)


def test_long_context():
    # max_seq_len 16384 (FLASH: DEMO's positions stop at 4096): 4096 cache rows, 8 top-k
    # chunks per token; the step ends near the last position and token 1 closes a window.
    config = resolve_config(CaseConfig(preset="FLASH", seq=2, max_seq_len=16384, start_pos=16378))
    step = run_step(config)
    _assert_passes(step)


def test_no_token_sees_a_later_tokens_cache_row():
    """The row closed by token 1 must be invisible to token 0 and visible to tokens 1..3.

    All tokens get token 0's hidden state and query (they differ only by their RoPE position),
    and the compressor's RMSNorm weight is scaled by +-256 (same INT8 codes, 256x row scale) with
    the sign that makes the new row every token's best match if it could see it (checked on the
    golden with the visibility forced open). The rows beyond the step hold strong matches too.
    """
    config = resolve_config(CaseConfig(seq=4, start_pos=4 * 700 + 2))
    closing_row = (config.start_pos + 1) // COMPRESS_RATIO
    base = make_inputs(config)
    for name in ("x", "qr"):
        base[name][:, 1:] = base[name][:, :1]
    chosen = None
    for sign in (1.0, -1.0):
        inputs = dict(base)
        weight = base["norm_weight"].astype(np.float32) * np.float32(ROW_GAIN * sign)
        inputs["norm_weight"] = weight.astype(base["norm_weight"].dtype)
        query = quantized_query(inputs)
        cache = run_compressor(inputs)["kv_cache"]
        leaky = quantized_scores(
            query["q_codes"], query["q_scale"], query["weights"], cache,
            np.full(config.seq, closing_row + 1),
        )  # fmt: skip
        if (leaky[0].argmax(axis=-1) == closing_row).all():
            chosen = inputs
            break
    assert chosen is not None, "no sign makes the new row the best match (fixture problem)"
    step = run_step(config, chosen)
    _assert_passes(step)
    vis = visible_lengths(config.start_pos, config.seq)
    assert vis[0] == closing_row and (vis[1:] == closing_row + 1).all()
    topk = step.actual["topk_idxs"][0]
    score = step.actual["score"][0]
    assert closing_row + SLIDING_WINDOW not in topk[0]
    assert score[0, closing_row] == LOWEST
    assert (topk[1:, 0] == closing_row + SLIDING_WINDOW).all()
    # Nothing beyond each token's visible prefix is ever selected or scored.
    for s in range(config.seq):
        chosen_rows = topk[s][topk[s] >= 0] - SLIDING_WINDOW
        assert chosen_rows.max() < vis[s]
        assert (score[s, vis[s] :] == LOWEST).all()


def test_run_reports_every_stage():
    step = run_step(resolve_config(CaseConfig(seq=1, start_pos=1000)))
    names = {stage.name for stage in step.run.stages}
    for stage in (
        "qr_quant",
        "qr_proj",
        "qr_rope_hadamard_quant",
        "weights_proj",
        "kv_quant_score_accum_reduce",
        "topk",
    ):
        assert stage in names
    assert step.run.traffic.ratio >= 1.0


def test_more_than_four_tokens_per_step_is_refused_before_any_write():
    config = resolve_config(CaseConfig(batch=1, seq=4, start_pos=1203, max_seq_len=2048, seed=1))
    inputs = make_inputs(config)
    args = {
        k: (np.array(v, copy=True) if isinstance(v, np.ndarray) else v) for k, v in inputs.items()
    }
    for name in ("x", "qr", "score", "topk_idxs"):  # S = 5: one more token row
        args[name] = np.ascontiguousarray(np.concatenate([args[name], args[name][:, :1]], axis=1))
    untouched = {name: args[name].copy() for name in ("kv_state", "score_state", "kv_cache")}
    kernel = plsim.load(CASE.kernel_file).indexer
    with pytest.raises(plsim.DSLError) as err:
        plsim.run(kernel, *[args[name] for name in PARAMETER_ORDER])
    message = str(err.value)
    assert "1..4" in message and "MAX_TOKENS_PER_STEP" in message
    assert "indexer.py" in message and "indexer_compressor.py" not in message
    for name, before in untouched.items():  # refused at the top, before any stage
        assert args[name].tobytes() == before.tobytes()
