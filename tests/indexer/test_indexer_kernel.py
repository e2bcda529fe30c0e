"""The indexer kernels (c16 and c8) on plsim against their golden, on the serving contract."""

from __future__ import annotations

import numpy as np
import pytest
from indexer_support import copies, kernel, run_step

import plsim
from golden.case import CaseConfig
from golden.spec import ScalarSpec
from models.deepseek_v4.cases.decode_indexer import (
    CASE,
    make_inputs,
    parameter_names,
    resolve_config,
)
from models.deepseek_v4.config import COMPRESS_RATIO, FP32_LOWEST, SLIDING_WINDOW
from models.deepseek_v4.contract.decode import visible_rows
from models.deepseek_v4.reference.decode_compressor import compressor_paged_golden
from models.deepseek_v4.reference.decode_indexer import paged_scores, quantized_query
from plsim.block_balance import VECTOR_OPS

LOWEST = np.float32(FP32_LOWEST)
ROW_GAIN = 256.0  # a power of two: the new row's INT8 codes stay, its dequant scale grows


def _assert_passes(step) -> None:
    assert not step.failures(), step.failures()


@pytest.mark.parametrize("cache_format", ["c16", "c8"])
def test_parameter_order_matches_case_specs(cache_format):
    config = resolve_config(CaseConfig(cache_format=cache_format))
    specs = CASE.make_specs(config)
    assert [spec.name for spec in specs] == parameter_names(cache_format)
    # No scalar: every value that may change between calls (the top-k offsets included) is
    # tensor data, so one artifact serves them all.
    assert not [spec for spec in specs if isinstance(spec, ScalarSpec)]
    assert CASE.kernel_for(config) == f"indexer_{cache_format}"


@pytest.mark.parametrize(
    ("start_pos", "what"),
    [
        (1000, "visible 250 < index_topk, not a multiple of the tile, no window closes"),
        (2047, "visible 512 == index_topk (a multiple of the tile), closes window 511"),
        (None, "default: visible 1005 > index_topk, not a multiple of the tile, closes"),
    ],
)
def test_single_token(start_pos, what):
    config = resolve_config(CaseConfig(seq=1, start_pos=start_pos))
    step = run_step(config)
    _assert_passes(step)
    vis = int(visible_rows(step.inputs["position_ids"])[0, 0])
    k = min(512, vis)
    assert (step.actual["topk_idxs"][0, 0, k:] == -1).all()
    assert (step.actual["topk_idxs"][0, 0, :k] >= SLIDING_WINDOW).all()


@pytest.mark.parametrize("cache_format", ["c16", "c8"])
def test_mixed_batch_with_padding_boundary_and_shuffled_tables(cache_format):
    # B = 8: two each of long, block-boundary, short and empty (padded) requests; block size
    # 16 makes the boundary requests write the first row of a new block inside the step.
    config = resolve_config(
        CaseConfig(batch=8, seq=4, mixed=True, cache_format=cache_format, block_size=16, seed=2)
    )
    step = run_step(config)
    _assert_passes(step)
    inputs, actual = step.inputs, step.actual
    padded = np.nonzero(inputs["kv_seq_lens"] == 0)[0]
    assert padded.size == 2
    for b in padded:
        assert (actual["topk_idxs"][b] == -1).all()
        assert (actual["score"][b].view(np.uint32) == np.array([LOWEST]).view(np.uint32)).all()
    # A live request's new row is the first row of a block written inside the step.
    slots = inputs["slot_mapping"]
    assert ((slots >= 0) & (slots % 16 == 0)).any()


def test_c16_and_c8_kernels_agree_bit_for_bit():
    outs = {}
    for cache_format in ("c16", "c8"):
        config = resolve_config(
            CaseConfig(batch=4, seq=2, mixed=True, cache_format=cache_format, seed=5)
        )
        step = run_step(config)
        _assert_passes(step)
        outs[cache_format] = step.actual
    for name in ("score", "topk_idxs", "kv_state", "score_state"):
        a, b = outs["c16"][name], outs["c8"][name]
        assert a.tobytes() == b.tobytes(), name


def test_per_request_start_list_and_block_size_32():
    # Requests at different positions in one step: 0 (nothing visible), a padded slot, a
    # request closing a window at a block boundary (row 32 at position 131), a late request.
    config = resolve_config(CaseConfig(batch=4, seq=4, start_pos="0,-1,128,4000"))
    step = run_step(config)
    _assert_passes(step)
    topk = step.actual["topk_idxs"]
    assert (topk[0, :3] == -1).all() and topk[0, 3, 0] == SLIDING_WINDOW
    assert (topk[1] == -1).all()


def test_no_token_sees_a_later_tokens_cache_row():
    """At S = 4, per request: the row closed by token 1 is invisible to token 0 and visible to
    tokens 1..3, for two requests at different positions in one batch.

    All tokens of a request get its token 0's hidden state and query (they differ only by their
    RoPE position), and the compressor's RMSNorm weight is scaled by +-256 (same INT8 codes,
    256x row scale) with the sign that makes the new rows every token's best match if it could
    see them (checked on the golden with visibility forced open).
    """
    # seed 1: one sign of the (shared) RMSNorm weight makes both requests' new rows their best
    # match; the fixture check below fails loudly if the inputs ever stop doing that.
    config = resolve_config(
        CaseConfig(batch=2, seq=4, start_pos=f"{4 * 700 + 2},{4 * 300 + 2}", seed=1)
    )
    base = make_inputs(config)
    for name in ("x", "qr"):
        base[name][:, 1:] = base[name][:, :1]
    starts = base["position_ids"][:, 0].astype(np.int64)
    closing = (starts + 1) // COMPRESS_RATIO
    chosen = None
    for sign in (1.0, -1.0):
        inputs = dict(base)
        weight = base["norm_weight"].astype(np.float32) * np.float32(ROW_GAIN * sign)
        inputs["norm_weight"] = weight.astype(base["norm_weight"].dtype)
        query = quantized_query(inputs)
        cache = compressor_paged_golden(dict(inputs))["index_cache"]
        open_inputs = {**inputs, "position_ids": (4 * (closing + 1) - 1)[:, None].repeat(4, 1)}
        leaky = paged_scores(open_inputs, query, cache, None, base["score"].shape[2])
        if all((leaky[b].argmax(axis=-1) == closing[b]).all() for b in range(2)):
            chosen = inputs
            break
    assert chosen is not None, "no sign makes the new row the best match (fixture problem)"
    step = run_step(config, chosen)
    _assert_passes(step)
    vis = visible_rows(step.inputs["position_ids"])
    for b in range(2):
        assert vis[b, 0] == closing[b] and (vis[b, 1:] == closing[b] + 1).all()
        topk, score = step.actual["topk_idxs"][b], step.actual["score"][b]
        assert closing[b] + SLIDING_WINDOW not in topk[0]
        assert score[0, closing[b]] == LOWEST
        assert (topk[1:, 0] == closing[b] + SLIDING_WINDOW).all()
        for s in range(4):
            rows = topk[s][topk[s] >= 0] - SLIDING_WINDOW
            assert rows.max() < vis[b, s]
            assert (score[s, vis[b, s] :] == LOWEST).all()


def test_long_context():
    # FLASH at max_seq_len 16384: 4096 cache rows, 8 top-k chunks per token.
    config = resolve_config(CaseConfig(preset="FLASH", batch=2, seq=2, max_seq_len=16384,
                                       start_pos="16378,9000"))  # fmt: skip
    _assert_passes(run_step(config))


@pytest.mark.parametrize(
    ("batch", "seq", "rows"),
    [(4, 2, [1] * 8), (16, 2, [4] * 8), (18, 4, [9] * 8), (40, 4, [16] * 10)],
    ids=["8 tokens: 8 blocks of a row", "32 tokens: 8 blocks of 4 rows",
         "72: 8 blocks of 9 rows (two tiles)", "160: blocks of 16 rows"],
)
def test_qr_quant_takes_a_step_in_eight_blocks_of_several_rows(batch, seq, rows):
    """qr_quant's launch is about 8 blocks, each quantizing ceil(T / 8) rows of qr, at most 16
    (two 8-row tiles): every block is a hand-out of the launch's serial fan-out, while a row is
    about 7 vector element-ops per column, so a block per row (the rule before, ceil(T / 48) rows
    a block: 32 blocks at T = 32, 40 of 4 rows at T = 160) made the hand-outs most of the
    stage. Each block's rows are read from its own vector work (the rows are alike: the
    per-row op count is the stage's over T)."""
    step = run_step(resolve_config(CaseConfig(batch=batch, seq=seq, start_pos=1000)))
    (quant,) = [s for s in step.run.stages if s.name == "qr_quant"]
    per_row = quant.vector_ops / (batch * seq)
    assert [load[VECTOR_OPS] / per_row for load in quant.task_loads] == rows
    _assert_passes(step)


@pytest.mark.parametrize(
    ("batch", "projection"),
    [(1, ("qr_proj_parts", "qr_dequant_rope")), (32, ("qr_proj_parts", "qr_dequant_rope")),
     (33, ("qr_proj", "qr_rope"))],
    ids=["16 tokens: qr_proj in K parts", "32 tokens: K parts of a 32-row tile",
         "more: the fused qr_proj"],
)
def test_run_reports_every_stage(batch, projection):
    step = run_step(resolve_config(CaseConfig(batch=batch, seq=1, start_pos=1000)))
    names = {stage.name for stage in step.run.stages}
    for stage in (
        "qr_quant",
        *projection,
        "qr_hadamard_quant",
        "kv_cache_quant",
        "kv_score_topk",
        "topk_merge",
    ):
        assert stage in names
    other = {"qr_proj", "qr_proj_parts", "qr_dequant_rope", "qr_rope"} - set(projection)
    assert not names & other  # one form of qr_proj per step, chosen by its token count
    # the head weights ride in the projection's launch (no stage of their own), and the K
    # parts' sums are dequantized by the rope stage (no qr_dequant)
    assert not names & {"weights_proj", "qr_dequant"}
    tasks = {stage.name: stage.tasks for stage in step.run.stages}
    if "qr_proj_parts" in projection:
        # DEMO's Q_LORA 1024 is 8 K tiles: 3 parts of 3 tiles (the last moved back to end at
        # 1024) per 1024-column window, 24 tasks (with 4 parts of 2 tiles, 32), and one task
        # for the head weights of up to 64 tokens
        assert tasks["qr_proj_parts"] == 24 + 1
    if "qr_proj" in projection:
        # the fused form's token tiles are at most 32 rows, so its wq_b windows are 256 columns
        # wide: 8192 / 256 tasks (with 64-row tiles they were 128 columns, 64 tasks), and the
        # head weights' 33 tokens in one 48-row tile
        assert tasks["qr_proj"] == 32 + 1
    # The head weights' block (the launch's BF16 cube work, a longer block than a window's) is
    # handed out first, so it does not start after the first wave and end the launch alone.
    (launch,) = [s for s in step.run.stages if s.name == projection[0]]
    first_block_macs = launch.task_loads[0][2]
    assert set(first_block_macs) == {"BF16"}
    assert all("BF16" not in load[2] for load in launch.task_loads[1:])
    assert step.run.traffic.ratio >= 1.0


@pytest.mark.parametrize(
    ("batch", "projection"),
    [(4, ["qr_proj_parts", "qr_dequant_rope"]), (33, ["qr_proj", "qr_rope"])],
    ids=["K parts", "fused qr_proj"],
)
def test_both_projections_are_submitted_before_the_query_heads(batch, projection):
    """The step's two chains (query, compressor) meet at the score stage: the query's
    projection (with the head weights in its launch) and its rope stage, then the
    compressor's projection, then the stages that wait on them."""
    step = run_step(resolve_config(CaseConfig(batch=batch, seq=1, start_pos=1000)))
    names = [stage.name for stage in step.run.stages]
    assert names[: len(projection) + 4] == [
        "qr_quant",
        *projection,
        "kv_gate_projection",
        "qr_hadamard_quant",
        "source_rows",
    ]


@pytest.mark.parametrize("cache_format", ["c16", "c8"])
def test_the_state_write_back_is_submitted_after_the_score_stages(cache_format):
    """Every stage is a submission on the serial path; the compressor's state write back is
    read by no stage of the step, so it goes last, and the score stages one submission
    earlier. A decode step computes its request spans (no stage writes them), and c8 quantizes
    each window in the task that pools it."""
    config = CaseConfig(batch=4, seq=2, start_pos=1000, cache_format=cache_format)
    step = run_step(resolve_config(config))
    names = [stage.name for stage in step.run.stages]
    assert names[-1] == "state_write_back"
    assert "request_starts" not in names
    assert "window_quant_cache_write" not in names
    window = "window_pool_rmsnorm_rope_hadamard" + ("_quant" if cache_format == "c8" else "")
    assert names.index(window) < names.index("topk_merge") < names.index("state_write_back")


@pytest.mark.parametrize(
    ("batch", "seq", "rope_tasks", "hadamard_tasks"),
    [(3, 4, 24, 24), (6, 4, 48, 24), (12, 4, 48, 24), (25, 3, 38, 19), (17, 4, 34, 23)],
)
def test_rope_hadamard_and_merge_tasks_by_step_size(batch, seq, rope_tasks, hadamard_tasks):
    """qr_rope (vector, 48 AIVs) runs half a token's heads per task while 2 T <= 48, one
    token up to T = 48, then ceil(T / 48) tokens one after another (T = 75: 38 tasks, the last
    redoing token 74); qr_hadamard_quant (core groups, both AIVs each) halves a token while
    2 T <= 24, then takes ceil(T / 24) tokens (T = 48: 24 tasks of 2; T = 75: 19 of 4; T = 68:
    23 of 3). topk_merge takes ceil(T / 48) tokens per task. Every output passes its golden,
    padded requests included."""
    step = run_step(
        resolve_config(CaseConfig(batch=batch, seq=seq, mixed=True, cache_format="c8"))
    )
    _assert_passes(step)
    tasks = {stage.name: stage.tasks for stage in step.run.stages}
    rope = "qr_dequant_rope" if batch * seq <= 32 else "qr_rope"  # the same tasks, either form
    assert tasks[rope] == rope_tasks
    assert tasks["qr_hadamard_quant"] == hadamard_tasks
    merge_per_task = -(-batch * seq // 48)
    assert tasks["topk_merge"] == -(-batch * seq // merge_per_task)


def test_more_than_four_tokens_per_step_is_refused_before_any_write():
    config = resolve_config(CaseConfig(batch=1, seq=4, start_pos=1203, max_seq_len=2048, seed=1))
    args = copies(make_inputs(config))
    for name in ("x", "qr", "score", "topk_idxs", "position_ids", "slot_mapping"):
        args[name] = np.ascontiguousarray(np.concatenate([args[name], args[name][:, :1]], axis=1))
    untouched = {name: args[name].copy() for name in ("kv_state", "score_state", "index_cache")}
    with pytest.raises(plsim.DSLError) as err:
        plsim.run(kernel("indexer_c16"), *[args[name] for name in parameter_names("c16")])
    message = str(err.value)
    assert "1..4" in message and "MAX_TOKENS_PER_STEP" in message
    for name, before in untouched.items():  # refused at the top, before any stage
        assert args[name].tobytes() == before.tobytes()


@pytest.mark.slow
def test_one_step_at_the_full_million_position_context():
    """FLASH, one request at the last step of a 1,048,576-position context (262,144 rows)."""
    config = resolve_config(
        CaseConfig(preset="FLASH", batch=1, seq=2, max_seq_len=1_048_576,
                   start_pos=1_048_574, cache_format="c8")
    )  # fmt: skip
    _assert_passes(run_step(config))


def _four_groups_away(best):
    """A row 4096 rows (8 groups of 512) from ``best`` in the first 8190 rows."""
    return best + 4096 if best + 4096 < 8190 else best - 4096


def _tie_with_a_twin(config, pool_names, twin_of=_four_groups_away, token=0):
    """Run ``config``, copy request 0's ``token``'s best cache row (the ``pool_names`` arrays)
    to row ``twin_of(best)``, in another group, run again and check that token's merged list
    holds the smaller of the two tied indices first. Returns the two runs."""
    inputs = make_inputs(config)
    probe = run_step(config, inputs)
    _assert_passes(probe)
    best = int(probe.expected["topk_idxs"][0, token, 0]) - SLIDING_WINDOW
    twin = twin_of(best)
    block_size = inputs["index_cache"].shape[1]
    table = inputs["block_table"][0]
    src = (table[best // block_size], best % block_size)
    dst = (table[twin // block_size], twin % block_size)
    for name in pool_names:
        inputs[name][dst] = inputs[name][src]
    step = run_step(config, inputs)
    _assert_passes(step)
    first, second = sorted((best, twin))
    assert step.actual["topk_idxs"][0, token, :2].tolist() == [
        first + SLIDING_WINDOW,
        second + SLIDING_WINDOW,
    ]
    return probe, step


def test_topk_split_across_groups_merges_ties_in_index_order():
    """8,190 visible rows at B = 1: the score stage splits them into 16 groups of one 512-row
    chunk, each sorted into its own partial lists, and a merge per token. A copy of the best
    row placed 4096 rows away (another group) ties with it: the merged list must hold the
    smaller index first (the rule a single serial chain gives)."""
    config = resolve_config(
        CaseConfig(preset="FLASH", batch=1, seq=2, max_seq_len=32768, start_pos=32760)
    )
    _probe, step = _tie_with_a_twin(config, ("index_cache",))
    tasks = {stage.name: stage.tasks for stage in step.run.stages}
    # One dispatch of B * ceil(48 / B) = 48 blocks at B = 1: 8190 rows = 16 chunks, one group
    # (block) each, so the two candidates, 8 chunks apart, are in different groups.
    assert tasks["kv_score_topk"] == 48
    assert tasks["topk_merge"] == 2  # one per token


def test_merge_takes_three_lists_a_step_then_the_one_or_two_left():
    """topk_merge merges a token's group lists three at a time (mrgsort's four-list form), in a
    pipelined loop, then the one or two left over. FLASH B 3 S 1: 16 groups of one 512-row
    chunk per request; the requests see 4000, 5000 and 6000 rows, so 8, 10 and 12 groups hold
    rows: 7, 9 and 11 lists after the first, that is 2, 3 and 3 loop steps with 1, 0 and 2
    left. Every top-k matches the golden's."""
    config = resolve_config(
        CaseConfig(preset="FLASH", batch=3, seq=1, max_seq_len=24576,
                   start_pos="16000,20000,24000", cache_format="c8", topk_only=True)
    )  # fmt: skip
    step = run_step(config)
    _assert_passes(step)
    used = -(-visible_rows(step.inputs["position_ids"]).reshape(-1) // 512)
    assert used.tolist() == [8, 10, 12]
    merge = _score_stage(step, "topk_merge")
    assert merge.pipeline_loops == 3
    assert merge.pipeline_iterations == int(((used - 1) // 3).sum()) == 8


@pytest.mark.parametrize(
    ("batch", "seq", "score_tasks", "quant_tasks"), [(50, 1, 100, 100), (64, 1, 128, 128)]
)
def test_above_48_requests_a_second_group_fills_the_last_wave(batch, seq, score_tasks, quant_tasks):
    """Above 48 requests the score stage splits a request's chunks into 2 groups when B tasks
    would leave the last wave of the 24 core groups half empty or less (B 50 % 24 = 2: 100
    tasks in 5 waves, not 50 in 3), and keeps one group otherwise (B 64 % 24 = 16) at S 2 and
    4; at odd S an odd group count is doubled (the two-AIV groups stage takes groups in pairs),
    so B 64 S 1 has two (test_groups_per_request_fill_the_waves_of_core_groups has B 16 at S 2
    and 3). Mixed lengths, so some requests fill both groups: their lists merge to the golden's
    top-k."""
    step = run_step(
        resolve_config(CaseConfig(batch=batch, seq=seq, mixed=True, cache_format="c16", seed=3))
    )
    _assert_passes(step)
    tasks = {stage.name: stage.tasks for stage in step.run.stages}
    assert tasks["kv_score_topk"] == score_tasks
    # c16: the rows scored are quantized first, one task per AIV and group: ceil(48 / B) = 1
    # group, doubled because DEMO's 4096-position pool is 2 chunks of 512 rows per request: 1
    # group costs 2 waves of 48 AIVs x (2 x 2 / 1 + 1) = 10, 2 groups 3 waves x (2 x 2 / 2 + 1)
    # = 9, 4 groups at least 5 x 2 (score.py GROUP_CAP).
    assert tasks["kv_cache_quant"] == quant_tasks


@pytest.mark.parametrize("cache_format", ["c16", "c8"])
def test_topk_only_entry_point_writes_no_score_row(cache_format):
    """The serving entry point (indexer_topk_*) returns the same top-k bit for bit as the
    scores-requested one, and the only GM writes it saves are the B x S x W score rows."""
    config = resolve_config(CaseConfig(batch=3, seq=2, mixed=True, cache_format=cache_format))
    serving_config = resolve_config(
        CaseConfig(batch=3, seq=2, mixed=True, cache_format=cache_format, topk_only=True)
    )
    assert CASE.kernel_for(serving_config) == f"indexer_topk_{cache_format}"
    inputs = make_inputs(config)
    with_scores = run_step(config, inputs)
    serving = run_step(serving_config, {k: v for k, v in inputs.items() if k != "score"})
    _assert_passes(with_scores)
    _assert_passes(serving)
    for name, value in serving.actual.items():
        assert value.tobytes() == with_scores.actual[name].tobytes(), name
    written = {
        run_name: sum(stage.gm_write_bytes for stage in step.run.stages)
        for run_name, step in (("scores", with_scores), ("serving", serving))
    }
    assert written["scores"] - written["serving"] == inputs["score"].nbytes


def _score_stage(step, name="kv_score_topk"):
    (stage,) = [s for s in step.run.stages if s.name == name]
    return stage


def _lists_written(step, splits: int) -> int:
    """Bytes of the partial top-k lists a two-AIV score stage writes with ``splits`` groups per
    request: S lists (2 x top-k FP32 each) per group holding rows, a request's 512-row chunks
    split into at most ``splits`` groups of whole chunks (score.py score_groups; a request with
    no rows has no tile, so nothing is written for it)."""
    seq, topk = step.config.seq, step.actual["topk_idxs"].shape[-1]
    groups = 0
    for kv_len in np.asarray(step.inputs["kv_seq_lens"]).reshape(-1):
        chunks = -(-(int(kv_len) // COMPRESS_RATIO) // 512)
        if chunks:
            groups += -(-chunks // -(-chunks // splits))
    return groups * seq * 2 * topk * 4


def _assert_items(step, stage: str, items: int) -> None:
    """``stage`` ran ``items`` (request, group) items: the one-AIV stage and kv_cache_quant as
    one block each, a two-AIV stage as at most 24 blocks taking them in turn, whose lists are
    those of items / B groups per request (the groups stage takes two per item)."""
    ran = _score_stage(step, stage)
    if stage not in TWO_AIV_STAGES:
        assert ran.tasks == items
        return
    assert ran.tasks == min(items, CORE_GROUPS)
    splits = items // step.config.batch * (2 if stage == "kv_score_topk_pairs" else 1)
    assert ran.gm_write_bytes == _lists_written(step, splits)


#: The c8 score stage each step runs, and its items at B = 3 (B * ceil(48 / B) groups; the
#: groups stage takes two groups per item). Each runs at most 24 blocks (one per core group),
#: a block taking items in turn.
TWO_AIV_STAGES = {
    "kv_score_topk_lanes": 48, "kv_score_topk_pairs": 24, "kv_score_topk_cube": 48,
}  # fmt: skip
CORE_GROUPS = 24
#: The two-AIV stages whose tile loop is a pl.pipeline(stage=2); the cube head-sum stage's loop
#: makes two round trips per tile, which pypto runs sequentially (kernels/score_cube.py).
PIPELINED_STAGES = ("kv_score_topk_lanes", "kv_score_topk_pairs")


@pytest.mark.parametrize(
    ("batch", "seq", "topk_only", "block_size", "stage"),
    [
        (3, 2, True, 32, "kv_score_topk_lanes"),
        (3, 4, True, 32, "kv_score_topk_cube"),
        (3, 1, True, 32, "kv_score_topk_pairs"),
        (3, 3, True, 32, "kv_score_topk_pairs"),
        (3, 4, False, 32, "kv_score_topk"),
        (3, 3, True, 48, "kv_score_topk"),
        (3, 4, True, 48, "kv_score_topk"),
        (3, 2, False, 32, "kv_score_topk"),
        (3, 1, False, 32, "kv_score_topk"),
        (3, 2, True, 48, "kv_score_topk"),
        (3, 1, True, 48, "kv_score_topk"),
        # one request of one token keeps a one-row score tensor: still the one-AIV stage
        (1, 1, False, 32, "kv_score_topk"),
    ],
)
def test_a_serving_step_scores_on_both_vector_cores(batch, seq, topk_only, block_size, stage):
    """c8: the top-k-only entry on 32-row blocks runs the score stage over both AIVs of each
    core group, at S = 2 and 4 half the tokens on each (kernels/score_lanes.py; at S = 4 with
    the head sums on the cube, kernels/score_cube.py), at S = 1 and 3 a group of cache rows on
    each (kernels/score_pairs.py); any other step (scores kept, block size 48) the one-AIV
    stage. All pass the golden."""
    config = resolve_config(
        CaseConfig(batch=batch, seq=seq, mixed=batch > 1, cache_format="c8",
                   topk_only=topk_only, block_size=block_size)
    )  # fmt: skip
    step = run_step(config)
    _assert_passes(step)
    names = {s.name for s in step.run.stages}
    for two_aiv in TWO_AIV_STAGES:
        assert (two_aiv in names) is (two_aiv == stage)
    # The cube head sum's factor matrices are made only for the stage that reads them.
    assert ("head_factor_matrix" in names) is (stage == "kv_score_topk_cube")
    ran = _score_stage(step, stage)
    assert ran.vector_split is (stage in TWO_AIV_STAGES)
    # The two-AIV stages of one round trip per tile load two tiles per step of their tile loop
    # (pl.pipeline, stage 2).
    assert ran.pipelined is (stage in PIPELINED_STAGES)
    assert ran.pipeline_depth == (2 if stage in PIPELINED_STAGES else 1)
    splits = -(-48 // batch)
    splits *= 1 + splits % 2 * seq % 2  # an odd count doubled at odd S (score.py SCORE_TASKS)
    items = batch * (splits // 2 if stage == "kv_score_topk_pairs" else splits)
    assert stage not in TWO_AIV_STAGES or items == TWO_AIV_STAGES[stage]
    # 48 items at B 3 run as 24 blocks of two turns each (at most one block per core group)
    _assert_items(step, stage, items)
    # With a two-AIV stage the one-AIV one runs one block that does nothing (the runtime
    # refuses a launch of 0 blocks).
    assert _score_stage(step).tasks == (1 if stage in TWO_AIV_STAGES else batch * splits)


@pytest.fixture(scope="module")
def four_token_step():
    """FLASH B 2 S 4 at 16k, c8, top-k only (the cube head-sum stage), its golden passed."""
    config = resolve_config(
        CaseConfig(preset="FLASH", batch=2, seq=4, max_seq_len=16384, start_pos=16380,
                   cache_format="c8", topk_only=True)
    )  # fmt: skip
    step = run_step(config)
    _assert_passes(step)
    return step


def test_at_four_tokens_the_head_sum_is_one_fp32_matmul_per_cache_tile(four_token_step):
    """S = 4 (kernels/score_cube.py): per 32-row tile the lanes take 2 vector element-ops per
    (cache row, token, head), the INT32 -> FP32 cast and the relu, where the S = 2 stage takes
    4; the weighted sum over the 64 heads is the cube's [16, 256] x [256, 32] FP32 matmul, one
    per tile beside the tile's INT8 product; the factor matrices come from the stage before."""
    step = four_token_step
    order = [s.name for s in step.run.stages]
    assert order.index("head_factor_matrix") < order.index("kv_score_topk_cube")
    ran = _score_stage(step, "kv_score_topk_cube")
    per_tile_fp32 = 16 * 4 * 64 * 32
    per_tile_int8 = 4 * 64 * 128 * 32
    fp32, int8 = ran.cube_macs_by_dtype["FP32"], ran.cube_macs_by_dtype["INT8"]
    assert fp32 % per_tile_fp32 == 0
    tiles = fp32 // per_tile_fp32
    # one INT8 product per tile, and one per item with rows to score (the lanes' state): B 2
    # has 48 (request, group) items, run as 24 blocks of two
    assert int8 % per_tile_int8 == 0
    assert ran.tasks == 24
    assert 1 <= int8 // per_tile_int8 - tiles <= 48
    # Handed between the cores per tile: the INT32 product and the 16 rows of sums down, the
    # FP32 relu up (and each task's state product down); counted, not priced by the model.
    product = 4 * 64 * 32 * 4
    assert ran.vector_to_cube_bytes == tiles * product
    assert ran.cube_to_vector_bytes == (int8 // per_tile_int8) * product + tiles * 16 * 32 * 4
    # cast + relu on the [256, 32] product, the rest (kv scale on 8 rows a lane, the chunk sorts)
    # a small remainder; the S = 2 stage spends 4 per (row, token, head).
    per_cell = ran.vector_ops / (tiles * 4 * 64 * 32)
    assert 2.0 <= per_cell < 2.5
    lanes = resolve_config(
        CaseConfig(preset="FLASH", batch=2, seq=2, max_seq_len=16384, start_pos=16382,
                   cache_format="c8", topk_only=True)
    )  # fmt: skip
    two = _score_stage(run_step(lanes), "kv_score_topk_lanes")
    two_tiles = two.cube_macs_by_dtype["INT8"] // (2 * 64 * 128 * 32)  # the probes included
    assert two.vector_ops / (two_tiles * 2 * 64 * 32) > 3.9


def test_the_groups_holding_rows_go_to_different_blocks():
    """FLASH B 4 S 2 8k: 12 groups a request (48 items for the 24 blocks) but 4 chunks, so only
    each request's first 4 groups hold rows. Items are taken group-major (item g * B + b), so
    those 16 are items 0 .. 15, one per block; request-major, block k's items k and k + 24 were
    both first groups of a request (blocks 0 .. 3 scored 2 chunks while 8 blocks scored
    none). Per-task counts (StageStats.task_loads), not modeled time."""
    config = resolve_config(
        CaseConfig(preset="FLASH", batch=4, seq=2, max_seq_len=8192, start_pos=8190,
                   cache_format="c8", topk_only=True)
    )  # fmt: skip
    step = run_step(config)
    _assert_passes(step)
    ran = _score_stage(step, "kv_score_topk_lanes")
    per_task = [load[2].get("INT8", 0) for load in ran.task_loads]  # cube MACs
    probe = 2 * 64 * 128 * 32  # one tile's product: the lanes' state probe
    scoring = [macs for macs in per_task if macs > probe]
    assert len(per_task) == 24 and len(scoring) == 16
    # one chunk each: 16 tiles and the probe
    assert set(scoring) == {17 * probe}


def test_at_four_tokens_each_chunk_of_scales_is_loaded_once_per_lane(four_token_step):
    """S = 4 (kernels/score_cube.py): kv_scale_rows gathers each request's paged row scales into
    one 512-wide row per chunk before the score stage, which then loads a chunk's scales once per
    lane instead of each 32-row tile's once per lane. FLASH B 2 at 16k: 2 x 8 chunks of 16 tiles,
    24 groups a request of which 8 hold rows (one chunk each). Counts, not modeled time."""
    step = four_token_step
    order = [s.name for s in step.run.stages]
    assert order.index("kv_scale_rows") < order.index("kv_score_topk_cube")
    chunks, tiles, items = 16, 256, 16
    gather = _score_stage(step, "kv_scale_rows")
    # per tile its 32 scales read once, per chunk its row written once (2 KiB)
    assert gather.gm_transfers - gather.scalar_reads == tiles + chunks
    assert gather.gm_write_bytes == chunks * 512 * 4
    ran = _score_stage(step, "kv_score_topk_cube")
    assert ran.cube_macs_by_dtype["FP32"] == tiles * 16 * 4 * 64 * 32
    # per tile its codes; per chunk and lane its scales (were: per tile and lane, 512 here); per
    # item the q rows, factor matrix and state probe, each lane's token positions and the 4
    # tokens' lists
    assert ran.gm_transfers - ran.scalar_reads == tiles + 2 * chunks + items * (3 + 2 + 4)


@pytest.mark.parametrize(
    ("batch", "seq", "topk_only", "stage", "items"),
    [
        # 7 groups (49 tasks, 3 waves of 24 core groups) -> 6 (42, 2 waves)
        (7, 2, True, "kv_score_topk_lanes", 42),
        (5, 2, False, "kv_score_topk", 45),  # 10 groups (50 tasks) -> 9 (45)
        # 6 groups -> 5 (45 tasks, 2 waves), doubled at odd S: 10 groups, 45 tasks of two
        (9, 3, True, "kv_score_topk_pairs", 45),
        (10, 1, True, "kv_score_topk_pairs", 20),  # 5 groups, doubled to 10 (50 tasks) -> 4
        (16, 3, True, "kv_score_topk_pairs", 48),  # 3 groups doubled: 6, 48 tasks of two
        (16, 2, True, "kv_score_topk_lanes", 48),  # 3 groups, not doubled at even S
        (8, 2, True, "kv_score_topk_lanes", 48),  # 6 groups either way
    ],
)
def test_groups_per_request_fill_the_waves_of_core_groups(batch, seq, topk_only, stage, items):
    """A request's cache rows are split into ceil(48 / B) groups, or floor(48 / B) where their
    tasks take fewer waves of the 24 core groups per group's share; at odd S an odd count is
    doubled (the two-AIV groups stage takes them in pairs). A two-AIV stage runs its items as at
    most 24 blocks, each taking items in turn (its turns are the waves), so its group count is
    checked on the lists it writes. Mixed lengths: every list merges to the golden's top-k."""
    config = resolve_config(
        CaseConfig(batch=batch, seq=seq, mixed=True, cache_format="c8", topk_only=topk_only)
    )
    step = run_step(config)
    _assert_passes(step)
    _assert_items(step, stage, items)


@pytest.mark.parametrize(
    ("preset", "batch", "seq", "max_seq_len", "topk_only", "cache_format", "stage", "items"),
    [
        # Costs: waves x (2 x chunks / groups + 1). 8k: 4 chunks per request. 2 groups (50
        # tasks of two: 2 waves of 48 groups x 5 = 10) -> 4 (3 waves x 3 = 9); 8 would be 5 x 2
        ("FLASH", 25, 1, 8192, True, "c8", "kv_score_topk_pairs", 50),
        # 16k: 8 chunks. 3 groups (51 tasks: 3 waves of 24 x (16 / 3 + 1) = 19) -> 6 (102
        # tasks: 5 waves x (16 / 6 + 1) = 18.3); 12 would be 9 x (16 / 12 + 1) = 21
        ("FLASH", 17, 2, 16384, True, "c8", "kv_score_topk_lanes", 102),
        # scores kept: the one-AIV stage, one task per group, on the count the groups stage
        # would take (48 groups a wave at odd S): 2 -> 4 groups as above, 100 tasks
        ("FLASH", 25, 1, 8192, False, "c8", "kv_score_topk", 100),
        # c16's kv_cache_quant over the 48 AIVs, 8k: 2 groups (50 tasks: 2 waves x 5 = 10) -> 4
        # (100 tasks: 3 waves x 3 = 9); the score stage keeps 2 (lanes: 3 waves of 24 x 5 = 15
        # against 5 x 3 = 15)
        ("FLASH", 25, 2, 8192, True, "c16", "kv_cache_quant", 100),
    ],
)
def test_long_context_groups_multiply_where_the_last_wave_idles(
    preset, batch, seq, max_seq_len, topk_only, cache_format, stage, items
):
    """Between 17 and 47 requests the group counts above leave most of a last wave idle; where
    twice or four times as many groups of a request's block-table row (its 512-row chunks) cost
    fewer waves x (2 x chunks per group + 1), the score stages and kv_cache_quant take them
    (score.py GROUP_CAP). Mixed lengths: every list merges to the golden's top-k."""
    config = resolve_config(
        CaseConfig(preset=preset, batch=batch, seq=seq, max_seq_len=max_seq_len, mixed=True,
                   cache_format=cache_format, topk_only=topk_only)
    )  # fmt: skip
    step = run_step(config)
    _assert_passes(step)
    _assert_items(step, stage, items)


def test_c16_cache_quant_groups_are_whole_tiles_not_whole_chunks():
    """FLASH B 4 S 2 8k c16: 12 groups a request (48 blocks) of a 4-chunk request. Grouped by
    whole 512-row chunks, 16 blocks quantized a chunk (16 tiles) each and 32 nothing; grouped
    by whole tiles, ceil(64 / 12) = 6 a group: 10 groups of 6, one of 4 and one empty a
    request, so the busiest block takes 6 tiles, not 16 (per-task vector work)."""
    config = resolve_config(
        CaseConfig(preset="FLASH", batch=4, seq=2, max_seq_len=8192, start_pos=8190,
                   cache_format="c16", topk_only=True)
    )  # fmt: skip
    step = run_step(config)
    _assert_passes(step)
    quant = _score_stage(step, "kv_cache_quant")
    per_task = [load[1] for load in quant.task_loads]
    per_tile = quant.vector_ops // (4 * 64)  # 4 requests of 64 tiles, each tile alike
    assert len(per_task) == 48
    tiles = sorted(ops // per_tile for ops in per_task)
    assert tiles == [0] * 4 + [4] * 4 + [6] * 40


@pytest.mark.parametrize(("batch", "tasks"), [(7, 42), (20, 40), (16, 48), (5, 45)])
def test_c16_cache_quant_groups_fill_the_waves_of_vector_cores(batch, tasks):
    """c16's kv_cache_quant runs a task per AIV and group of a request's rows: ceil(48 / B)
    groups, or floor(48 / B) where their tasks take fewer waves of the 48 AIVs per group's share
    (B 7: 42 tasks in one wave, not 49 in two; B 20: 40, not 60)."""
    config = resolve_config(
        CaseConfig(batch=batch, seq=2, mixed=True, cache_format="c16", topk_only=True)
    )
    step = run_step(config)
    _assert_passes(step)
    assert _score_stage(step, "kv_cache_quant").tasks == tasks


def test_two_core_score_stage_merges_ties_in_index_order():
    """The two-AIV stage (each core one token's lists) keeps the tie rule: a copy of token 0's
    best cache row (codes and scale) placed 4096 rows away, in another group, ties with it and
    the merged list holds the smaller index first."""
    config = resolve_config(
        CaseConfig(preset="FLASH", batch=1, seq=2, max_seq_len=32768, start_pos=32760,
                   cache_format="c8", topk_only=True)
    )  # fmt: skip
    probe, _step = _tie_with_a_twin(config, ("index_cache", "index_cache_scale"))
    assert _score_stage(probe, "kv_score_topk_lanes").vector_split


@pytest.mark.parametrize("token", [1, 3])
def test_two_core_score_stage_at_four_tokens_merges_ties_in_index_order(token):
    """S = 4: each AIV holds two tokens' lists (tokens 0-1 and 2-3). For the second token of
    each AIV, a copy of its best cache row (codes and scale) 4096 rows away ties with it and
    the merged list holds the smaller index first."""
    config = resolve_config(
        CaseConfig(preset="FLASH", batch=1, seq=4, max_seq_len=32768, start_pos=32764,
                   cache_format="c8", topk_only=True)
    )  # fmt: skip
    probe, _step = _tie_with_a_twin(
        config, ("index_cache", "index_cache_scale"), _four_groups_away, token
    )
    assert _score_stage(probe, "kv_score_topk_cube").vector_split


def _next_group_same_block(best):
    """The row 512 rows from ``best`` in the neighbouring group of the same block of the
    groups stage (groups 2 g and 2 g + 1 of 512 rows share a block, one per AIV)."""
    return best + 512 if best // 512 % 2 == 0 else best - 512


@pytest.mark.parametrize("twin_of", [_next_group_same_block, _four_groups_away])
def test_two_core_groups_stage_at_three_tokens_merges_ties_in_index_order(twin_of):
    """S = 3: each AIV of a block scores its group of cache rows for all three tokens, each
    token with its own list. For the last token, a twin of its best row on the other AIV of
    the same block and one in another block: the merged list holds the smaller index first."""
    config = resolve_config(
        CaseConfig(preset="FLASH", batch=1, seq=3, max_seq_len=32768, start_pos=32765,
                   cache_format="c8", topk_only=True)
    )  # fmt: skip
    probe, _step = _tie_with_a_twin(
        config, ("index_cache", "index_cache_scale"), twin_of, token=2
    )
    assert _score_stage(probe, "kv_score_topk_pairs").vector_split


@pytest.mark.parametrize("twin_of", [_next_group_same_block, _four_groups_away])
def test_two_core_groups_stage_merges_ties_in_index_order(twin_of):
    """S = 1: the stage that gives each AIV a group of cache rows (kernels/score_pairs.py)
    keeps the tie rule, for a twin of token 0's best row (codes and scale) on the other AIV of
    the same block and for one in another block: the merged list holds the smaller index
    first."""
    config = resolve_config(
        CaseConfig(preset="FLASH", batch=1, seq=1, max_seq_len=32768, start_pos=32767,
                   cache_format="c8", topk_only=True)
    )  # fmt: skip
    probe, _step = _tie_with_a_twin(config, ("index_cache", "index_cache_scale"), twin_of)
    assert _score_stage(probe, "kv_score_topk_pairs").vector_split
