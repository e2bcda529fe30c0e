"""Scopes and loops: pl.at, pl.spmd, @pl.jit.incore tasks, pl.range / parallel / unroll /
pipeline, pl.yield_, pl.tile.get_block_idx.

Schedule: scopes run in program order; pl.parallel iterations and pl.spmd blocks run in index
order, or in a seeded random order when plsim.run(..., shuffle_seed=N) is given, to expose
order dependence. Each task and each such loop is reported to the run's observers
(plsim.events): the race checker follows the loops' GM accesses, the capacity checker checks a
task when it finishes, the stage counter counts.
"""

from __future__ import annotations

import builtins
import contextlib
import inspect
import sys
import warnings

import numpy as np

from plsim import aiv_placement, barriers, errors, events, loop_carry, pipeline_crossings
from plsim import dtypes as dt
from plsim.aiv_regions import AivRegion
from plsim.context import STATE, Scope, as_dsl_error, dsl, fail, kernel_location
from plsim.lane_frames import LaneFrames
from plsim.language_types import CrossCoreSlot, Level, SplitMode, SplitOption, TaskId
from plsim.scalars import Scalar, to_int


class Recorder:
    """One device's run: its platform, progress callback, tasks per name_hint and the
    observers its ops and scopes report to (``events``)."""

    def __init__(self, platform, progress=None, observers=()) -> None:
        self.platform = platform
        self.progress = progress
        #: The callback declares ``block``: it also gets (index, count) of an SPMD block.
        self.progress_blocks = _takes_block(progress)
        self.tasks: dict[str, int] = {}  # tasks entered, by name_hint
        self.events = events.Events(observers)


def _takes_block(progress) -> bool:
    """Whether a progress callback has a ``block`` parameter (or **kwargs)."""
    if progress is None:
        return False
    try:
        parameters = inspect.signature(progress).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: the two-argument form
        return False
    return any(p.name == "block" or p.kind is p.VAR_KEYWORD for p in parameters)


def open_scope(
    name: str,
    optimizations=None,
    *,
    launch: bool = True,
    early_resolve: bool = False,
    block: tuple[int, int] | None = None,
) -> Scope:
    """Enter a task of scope ``name``: scope stack, observers, progress callback.

    ``launch``: this task is a dispatch of its own (a ``pl.at`` entry, an incore call, the first
    block of a ``pl.spmd``), not a further block of an SPMD launch, which the runtime fans out
    from one dispatch (pypto docs/en/user/performance/02-runtime-overhead.md, "Use SPMD").
    ``early_resolve``: the scope is flagged ``allow_early_resolve=True``.
    ``block``: (index, count) when the task is a block of a ``pl.spmd`` launch.
    """
    rec = STATE.recorder
    if rec is None:
        dsl("kernels run through plsim.run(kernel, *args)")
    index = rec.tasks.get(name, 0)
    file, line = kernel_location()
    scope = Scope(name=name, task_index=index, file=file, line=line)
    _apply_optimizations(scope, optimizations)
    rec.tasks[name] = index + 1
    for handler in rec.events.scope_entered:
        handler(scope, bool(launch), bool(early_resolve))
    STATE.scopes.append(scope)
    if rec.progress is not None:
        try:
            if rec.progress_blocks:
                rec.progress(name, scope.task_index, block=block)
            else:
                rec.progress(name, scope.task_index)
        except Exception as exc:
            exc._plsim_passthrough = True  # the caller's callback failed, not the kernel
            raise
    return scope


def _apply_optimizations(scope: Scope, optimizations) -> None:
    """Record the split mode and cross-core ring depth of a scope's ``optimizations=`` list.
    ``pl.cross_core_slot`` wins over the deprecated ``pl.split(mode, slot_num=N)`` spelling."""
    split_slots = None
    explicit_slots = None
    for opt in optimizations or ():
        if isinstance(opt, SplitOption):
            if opt.mode != SplitMode.NONE:
                scope.vector_split = True
                scope.split_mode = opt.mode
            if opt.slot_num is not None:
                split_slots = opt.slot_num
        elif isinstance(opt, CrossCoreSlot):
            explicit_slots = opt.slot_num
    slots = explicit_slots if explicit_slots is not None else split_slots
    if slots is None:
        return
    if isinstance(slots, bool) or not isinstance(slots, int) or slots < 1:
        dsl(
            f"scope '{scope.name}': cross-core slot_num={slots!r}; the ring depth must be a "
            "positive integer (pl.cross_core_slot(slot_num=N), N >= 1)"
        )
    scope.slot_num = slots


def pop_scope(scope: Scope) -> None:
    """Leave ``scope`` (no checks: also used while an exception propagates)."""
    if STATE.scopes and STATE.scopes[-1] is scope:
        STATE.scopes.pop()


def finish_scope(scope: Scope) -> None:
    """Report a task that completed normally (the capacity checker checks it), then forget
    its tiles."""
    aiv_placement.check_task(scope)
    for handler in STATE.recorder.events.scope_finished:
        handler(scope)
    scope.tiles = []


def _default_name(kind: str) -> str:
    file, line = kernel_location()
    return f"{kind}@{file.rsplit('/', 1)[-1]}:{line}"


class At:
    """``with pl.at(level=pl.Level.CORE_GROUP, name_hint=...)``: one InCore task per entry."""

    def __init__(self, level=Level.CORE_GROUP, *, name_hint="", optimizations=None,
                 allow_early_resolve=False, **ignored):  # fmt: skip
        del ignored  # deps, no_dep_args, dumps, windowize: scheduling only, not modelled
        self.early_resolve = allow_early_resolve is True
        # Only CORE_GROUP opens an InCore scope. The compiler parses other levels (HOST, CHIP,
        # AIV, ...) as a grouping whose body stays orchestration: a pl.at(CORE_GROUP) inside
        # compiles, a compute op directly inside is "Misplaced tensor op ... in Orchestration
        # function" (fixtures inline_call_kernels.at_host_around_core / at_chip_compute).
        self.incore = level == Level.CORE_GROUP
        if self.incore and STATE.scopes and STATE.scopes[-1].spmd_block:
            # hw-native-sys/pypto e2d0f78a outlines a for-form pl.spmd body as the kernel and
            # then has no codegen for a pl.at inside it ("No codegen registered for operation:
            # <name_hint>"); the with-form takes a sole pl.at as its carrier (pl.spmd docs).
            dsl(
                "pl.at inside a `for i in pl.spmd(N)` body: the compiler cannot generate it; "
                "write `with pl.spmd(N):` with the pl.at as its only statement and read "
                "pl.tile.get_block_idx() inside"
            )
        self.name = str(name_hint) or _default_name("at")
        self.optimizations = optimizations
        self.scope: Scope | None = None

    def __enter__(self) -> TaskId:
        if self.incore:
            # the sole pl.at of a `with pl.spmd(N)` carrier: block 0 is the SPMD launch,
            # the others are its blocks; the spmd's own allow_early_resolve flags the stage
            carrier = STATE.spmd_carriers[-1] if STATE.spmd_carriers else None
            launch, early, block = True, self.early_resolve, None
            if carrier is not None:
                launch = not carrier["launched"]
                carrier["launched"] = True
                early = early or carrier["early_resolve"]
                block = (STATE.block_indices[-1], STATE.block_counts[-1])
            self.scope = open_scope(self.name, self.optimizations, launch=launch,
                                    early_resolve=early, block=block)  # fmt: skip
        return TaskId()

    def __exit__(self, exc_type, exc, tb) -> bool:
        if self.scope is None:
            return False
        pop_scope(self.scope)
        if exc_type is None:
            finish_scope(self.scope)
            return False
        converted = as_dsl_error(exc, self.scope.name)
        if converted is not None:
            raise converted from exc
        return False


def at(level=Level.CORE_GROUP, **kwargs) -> At:
    """pl.at(level=..., name_hint=..., optimizations=[...]): an InCore scope."""
    return At(level, **kwargs)


def _order(n: int) -> list[int]:
    order = list(builtins.range(n))
    if STATE.shuffle_rng is not None:
        STATE.shuffle_rng.shuffle(order)
    return order


class Spmd:
    """pl.spmd(N, name_hint=...): N independent InCore blocks (loop or with-form)."""

    def __init__(self, core_num, *, sync_start=False, name_hint="", optimizations=None,
                 predicate=None, allow_early_resolve=False, **ignored):  # fmt: skip
        del ignored
        self.sync_start = sync_start is True
        self.early_resolve = allow_early_resolve is True
        if STATE.scopes:
            dsl("pl.spmd inside an InCore scope: its body is already InCore")
        if predicate is not None:
            dsl("pl.spmd(predicate=...) is not supported by plsim")
        self.count = to_int(core_num, "pl.spmd core_num")
        if self.count < 1:
            # pypto builds it; simpler's orchestrator asserts "block_num must be >= 1" and the
            # process aborts (fixture more_construct_kernels.spmd_zero_blocks).
            fail(
                errors.HardwareError,
                f"pl.spmd({self.count}): pypto builds a launch of {self.count} blocks, but the "
                "runtime asserts block_num >= 1 and aborts the process; launch at least one "
                "block (one that does nothing is fine)",
            )
        self.name = str(name_hint) or _default_name("spmd")
        self.optimizations = optimizations
        self.location = kernel_location()
        self._carrier: dict | None = None  # launch state shared by a carrier's blocks

    def __iter__(self):
        return self._blocks(with_form=False)

    def _with_form(self, carrier: bool = False):
        """Iteration used by ``with pl.spmd(...) as tid`` after plsim rewrites it as a loop.

        ``carrier``: the body is one ``with pl.at(...)``, which is then each block's InCore task
        (named by its name_hint) instead of a task of its own around it (pl.spmd docs: "an
        explicit with pl.at(<CORE_GROUP level>, ...): as the sole body statement is the InCore
        carrier and is not wrapped again")."""
        return self._blocks(with_form=True, carrier=carrier)

    def __enter__(self):
        dsl("with pl.spmd(...) must appear in a @pl.jit function parsed by plsim")

    def __exit__(self, *exc):
        return False

    def _blocks(self, with_form: bool, carrier: bool = False):
        loop = events.open_loop("pl.spmd", self.location)
        launched = False  # the first block entered is the launch, the rest its fan-out
        completed = False
        try:
            for i in _order(self.count):
                loop.iteration(i)
                if carrier:
                    yield from self._carried_block(i)
                    continue
                scope = open_scope(self.name, self.optimizations, launch=not launched,
                                   early_resolve=self.early_resolve,
                                   block=(int(i), self.count))  # fmt: skip
                launched = True
                scope.spmd_block = not with_form
                with self._running(scope, i):
                    yield TaskId() if with_form else Scalar(i, dt.INDEX)
                finish_scope(scope)
            completed = True
        finally:
            loop.close(completed)

    @contextlib.contextmanager
    def _running(self, scope: Scope, i: int):
        """Block ``i`` running as ``scope`` (already on the scope stack): its index for
        pl.tile.get_block_idx, then both off their stacks."""
        STATE.block_indices.append(i)
        STATE.block_counts.append(self.count)
        try:
            yield
        finally:
            # Also runs when an abandoned loop is garbage-collected, maybe during a later run:
            # touch only this loop's own entries.
            if STATE.block_indices and STATE.scopes and STATE.scopes[-1] is scope:
                STATE.block_indices.pop()
                STATE.block_counts.pop()
            pop_scope(scope)

    def _with_phase(self, phase: int, phases: int):
        """Phase ``phase`` of ``phases`` of a with-form body cut at its ``pl.system.syncall``
        statements (plsim.barriers): every block runs this phase before any runs the next.
        A block is one task across its phases, and its local names keep their values from
        one phase to its next (the frame is the kernel's, which runs the phases' loops)."""
        frame = sys._getframe(1)
        if phase == 0:
            self._phase_scopes: dict[int, Scope] = {}
            self._block_frames = LaneFrames(self.count)
            self._before_launch = dict(frame.f_locals)
            self._arrivals = [0] * self.count
        loop = events.open_loop("pl.spmd", self.location)
        completed = False
        try:
            for i in _order(self.count):
                loop.iteration(i)
                if phase == 0:
                    scope = open_scope(self.name, self.optimizations, launch=not self._phase_scopes,
                                       early_resolve=self.early_resolve,
                                       block=(int(i), self.count))  # fmt: skip
                    self._phase_scopes[i] = scope
                else:
                    scope = self._phase_scopes[i]
                    STATE.scopes.append(scope)
                at_enter = self._block_frames.enter(frame, i, self._before_launch)
                with self._running(scope, i):
                    yield TaskId()
                self._block_frames.leave(frame, i, at_enter)
                if phase < phases - 1 and self._arrivals[i] != phase + 1:
                    dsl(f"block {i} of pl.spmd '{self.name}' left phase {phase} without reaching "
                        "its pl.system.syncall (a `continue` or `break` around it?)")  # fmt: skip
                if phase == phases - 1:
                    finish_scope(scope)
            completed = True
        finally:
            loop.close(completed)

    def _syncall(self, **kwargs) -> None:
        """A ``pl.system.syncall(...)`` statement of this launch's body (the last statement of
        a phase): the toolchain's rules, then the block's arrival."""
        barriers.check_syncall(self.count, self.sync_start, **kwargs)
        block = STATE.block_indices[-1]
        self._arrivals[block] += 1

    def _carried_block(self, i: int):
        """Block ``i`` of a with-form whose sole pl.at is the task: only the block index."""
        depth = len(STATE.block_indices)
        STATE.block_indices.append(i)
        STATE.block_counts.append(self.count)
        if self._carrier is None:
            self._carrier = {"launched": False, "early_resolve": self.early_resolve}
        STATE.spmd_carriers.append(self._carrier)
        try:
            yield TaskId()
        finally:
            del STATE.block_indices[depth:], STATE.block_counts[depth:]
            if STATE.spmd_carriers and STATE.spmd_carriers[-1] is self._carrier:
                STATE.spmd_carriers.pop()


def spmd(core_num, **kwargs) -> Spmd:
    """pl.spmd(core_num, name_hint=..., ...)."""
    return Spmd(core_num, **kwargs)


def get_block_idx() -> Scalar:
    """pl.tile.get_block_idx(): the current pl.spmd block index (INDEX)."""
    if not STATE.block_indices:
        dsl("pl.tile.get_block_idx() outside a pl.spmd body")
    return Scalar(STATE.block_indices[-1], dt.INDEX)


def get_block_num() -> Scalar:
    """pl.tile.get_block_num(): the block count N of the enclosing pl.spmd(N) (INDEX).

    pypto documents it as the total number of blocks of the current SPMD task. Outside a
    pl.spmd body it compiles (hw-native-sys/pypto e2d0f78a; fixture
    more_construct_kernels.block_num_outside_spmd); plsim reads such a task as one block
    (1) and says so with a DSLWarning.
    """
    if not STATE.block_counts:
        file, line = kernel_location()
        warnings.warn(
            f"{file}:{line}: pl.tile.get_block_num() outside a pl.spmd body compiles; plsim "
            "takes the task as one block (1); put it inside pl.spmd(N) to mean N",
            errors.DSLWarning,
            stacklevel=2,
        )
        return Scalar(1, dt.INDEX)
    return Scalar(STATE.block_counts[-1], dt.INDEX)


def get_subblock_idx() -> Scalar:
    """pl.tile.get_subblock_idx(): the AIV lane (0 or 1) running the vector code (INDEX).

    plsim executes a scope's vector code once, as one lane that owns the whole tile (the
    unsplit program). That is lane 0 of a scope without a vector split, so the value is 0. In a
    scope with pl.split(UP_DOWN/LEFT_RIGHT) the compiler halves the tiles per lane; a kernel
    indexing by lane there cannot be run faithfully as one lane, so it is rejected.
    """
    if STATE.aiv_regions:  # inside `for aiv_id in pl.split_aiv(...)`: the lane running
        return Scalar(STATE.aiv_regions[-1][1], dt.INDEX)
    if not STATE.scopes:
        dsl("pl.tile.get_subblock_idx() outside an InCore scope")
    scope = STATE.scopes[-1]
    if scope.vector_split:
        dsl(
            f"pl.tile.get_subblock_idx() in scope '{scope.name}' with a vector split "
            "(pl.split(UP_DOWN/LEFT_RIGHT)): plsim runs the vector code as one unsplit lane and "
            "cannot simulate per-lane indexing"
        )
    return Scalar(0, dt.INDEX)


def _bounds(args, what: str, constant: bool = False) -> builtins.range:
    if not 1 <= len(args) <= 3:
        dsl(f"{what} takes (stop), (start, stop) or (start, stop, step)")
    values = []
    for a in args:
        if constant and isinstance(a, Scalar):
            dsl(f"{what} bounds must be integer literals or module constants, got a runtime scalar")
        values.append(to_int(a, f"{what} bound"))
    r = builtins.range(*values)
    if r.step == 0:
        dsl(f"{what} step must not be 0")
    return r


class _Carry:
    __slots__ = ("values",)

    def __init__(self, values) -> None:
        self.values = values


def _carried(r, init_values, loop: pipeline_crossings.PipelineLoop | None = None):
    """The loop's values (with its carried values under ``init_values``); a ``pl.pipeline``
    loop's iterations also mark the op clock on ``loop`` as they start and end."""
    if init_values is None:
        # The kernel frame running the `for` (this generator's caller at its first step).
        watch = loop_carry.Watch(sys._getframe(1))
        for i in r:
            if loop is not None:
                loop.starts.append(STATE.seq)
            yield Scalar(i, dt.INDEX)
            watch.check()
        _pipeline_finished(loop)
        return
    carry = _Carry(tuple(init_values))
    STATE.loop_carries.append(carry)
    try:
        for i in r:
            if loop is not None:
                loop.starts.append(STATE.seq)
            yield Scalar(i, dt.INDEX), carry.values
    finally:
        if carry in STATE.loop_carries:
            STATE.loop_carries.remove(carry)
    _pipeline_finished(loop)


def _pipeline_finished(loop: pipeline_crossings.PipelineLoop | None) -> None:
    """Report a finished multi-buffered loop to the cost model, and whether its iterations
    crossed between the cores both ways: pypto builds that loop sequential
    (plsim.pipeline_crossings). Depth and trip count set how much a loop hides
    (plsim.scheduling.pipelined_share)."""
    if loop is None:
        return
    round_trip = pipeline_crossings.crosses_both_ways(loop, STATE.scopes[-1].tiles)
    events.pipeline_loop(loop.depth, len(loop.starts), round_trip)


def range_(*args, init_values=None):
    """pl.range(stop) / (start, stop[, step]): a sequential loop with an INDEX variable."""
    return _carried(_bounds(args, "pl.range"), init_values)


def pipeline(*args, stage=None, init_values=None):
    """pl.pipeline(..., stage=F): functionally pl.range; InCore only."""
    if not STATE.scopes:
        dsl("pl.pipeline belongs inside an InCore scope (use pl.range in orchestration)")
    if stage is not None and (not isinstance(stage, int) or stage <= 0):
        dsl(f"pl.pipeline stage must be a positive int literal, got {stage!r}")
    bounds = _bounds(args, "pl.pipeline")
    # multi-buffered at stage >= 2: loads of one iteration overlap compute of another (cost
    # model), reported when the loop ends
    loop = pipeline_crossings.PipelineLoop(stage) if stage is not None and stage >= 2 else None
    return _carried(bounds, init_values, loop)


def unroll(*args):
    """pl.unroll(...): compile-time unrolled; bounds are constants. The variable is an INDEX
    scalar, as with the compiler (a tile-op scalar ``j`` or ``j + 1`` of a pl.unroll is
    rejected there as "Scalar operand has dtype `index`")."""
    return (Scalar(i, dt.INDEX) for i in _bounds(args, "pl.unroll", constant=True))


def parallel(*args, init_values=None, **ignored):
    """pl.parallel(...): independent iterations (orchestration only), race-checked."""
    del ignored
    # pl.parallel inside a pl.at scope compiles (hw-native-sys/pypto e2d0f78a; fixture
    # strict_kernels.parallel_in_core), so plsim accepts it and race-checks it like any other.
    if init_values is not None:
        return _parallel_carried(_bounds(args, "pl.parallel"), kernel_location(), init_values)
    return _parallel(_bounds(args, "pl.parallel"), kernel_location())


def _parallel_carried(r, location, init_values):
    """pl.parallel with init_values: carried values make it a reduction, run in index order."""
    loop = events.open_loop("pl.parallel", location)
    carry = _Carry(tuple(init_values))
    STATE.loop_carries.append(carry)
    completed = False
    try:
        for k, i in enumerate(r):
            loop.iteration(k)
            yield Scalar(i, dt.INDEX), carry.values
        completed = True
    finally:
        if carry in STATE.loop_carries:
            STATE.loop_carries.remove(carry)
        loop.close(completed)


def _parallel(r, location):
    values = list(r)
    loop = events.open_loop("pl.parallel", location)
    completed = False
    try:
        for k in _order(len(values)):
            loop.iteration(k)
            yield Scalar(values[k], dt.INDEX)
        completed = True
    finally:
        loop.close(completed)


def yield_(*values):
    """pl.yield_(...): the carried values of the enclosing init_values loop."""
    if STATE.loop_carries:
        STATE.loop_carries[-1].values = values
    return values[0] if len(values) == 1 else values


#: A pl.while_ loop that runs this many iterations is reported as non-terminating.
WHILE_ITERATION_LIMIT = 10_000_000


def while_(*args, init_values=None):
    """``for (a, b) in pl.while_(init_values=(a0, b0)):`` whose first statement is
    ``pl.cond(c)``: loop while c holds, carrying the values given to pl.yield_.

    plsim's parser rewrites ``pl.cond(c)`` into ``if not pl.cond(c): <yield targets> = <loop
    variables>; break`` so that the names bound by the body's final ``pl.yield_`` hold the
    carried values at exit even when the body never runs (SSA return values).
    """
    if args:
        dsl("pl.while_ takes no positional arguments; give the condition with pl.cond(...) as "
            "the first statement of the body")  # fmt: skip
    if init_values is None:
        dsl("pl.while_ requires init_values=(...) (the loop-carried values)")
    if not STATE.in_core:
        # pypto e2d0f78a's orchestration codegen (src/codegen/orchestration/
        # orchestration_codegen.cpp) visits ForStmt and IfStmt but has no WhileStmt case: the
        # loop is dropped and the C++ uses its undeclared results (op_kernels.loops on a2a3sim:
        # "'total_out' was not declared in this scope").
        fail(errors.HardwareError,
             "pl.while_ outside a pl.at scope: pypto's orchestration code generation emits no "
             "while loop (orchestration_codegen.cpp has no WhileStmt case), so the generated "
             "C++ names its results undeclared and does not compile; compute the count in "
             "closed form or with pl.range")  # fmt: skip
    return _while(tuple(init_values))


def _while(init):
    carry = _Carry(init)
    STATE.loop_carries.append(carry)
    try:
        for _ in builtins.range(WHILE_ITERATION_LIMIT):
            yield carry.values
    finally:
        if carry in STATE.loop_carries:
            STATE.loop_carries.remove(carry)
    dsl(f"pl.while_ did not finish after {WHILE_ITERATION_LIMIT} iterations")


def cond(condition) -> bool:
    """pl.cond(c): the loop condition of a pl.while_ body (its first statement)."""
    if isinstance(condition, Scalar) and condition.dtype is not dt.BOOL:
        dsl(f"pl.cond needs a BOOL condition, got a {condition.dtype.name} scalar")
    return bool(condition)


#: AIV lanes per core group on the platforms plsim models (a2a3: 1 cube + 2 vector cores).
AIV_LANES = 2


def split_aiv(n, *, mode):
    """``for aiv_id in pl.split_aiv(2, mode=pl.SplitMode.X)``: the body runs once per AIV lane,
    lane 0 then lane 1, with ``aiv_id`` (= ``pl.tile.get_subblock_idx()``) the lane.

    The only op the mode changes is the cube-to-vector crossing ``pl.aiv_shard``: UP_DOWN /
    LEFT_RIGHT give each lane its half of the operand's rows / columns, NONE the whole operand
    (pypto dsl_api.split_aiv and tile_ops.aiv_shard). Outside an InCore scope the region is its
    own task, as the compiler wraps it. pypto's AivSplitValid placement rules are checked per
    task (plsim.aiv_placement); races between the lanes are not.
    """
    lanes = to_int(n, "pl.split_aiv lane count")
    if lanes != AIV_LANES:
        dsl(f"pl.split_aiv({lanes}): a core group has {AIV_LANES} AIV lanes; plsim simulates "
            f"pl.split_aiv({AIV_LANES}) only")  # fmt: skip
    if not isinstance(mode, SplitMode):
        dsl(f"pl.split_aiv(mode={mode!r}): expected pl.SplitMode.NONE, UP_DOWN or LEFT_RIGHT")
    return _split_aiv(lanes, mode)


def _split_aiv(lanes: int, mode):
    opened = None
    if not STATE.scopes:
        file, line = kernel_location()
        opened = open_scope(f"split_aiv@{file.rsplit('/', 1)[-1]}:{line}")
    events.vector_split()  # the vector body runs on both AIVs of the group
    # The kernel frame running the region's `for`: each lane gets its own values of the names
    # it assigned in earlier regions of this task (plsim.lane_frames).
    frame = sys._getframe(1)
    scope = STATE.scopes[-1]
    aiv_placement.note_region(scope)
    frames = scope.lane_frames.setdefault(id(frame), LaneFrames(lanes))
    before_region = dict(frame.f_locals)
    STATE.aic_gathers.append({})
    STATE.aiv_region_records.append(AivRegion(mode, kernel_location()[:2]))
    try:
        for lane in builtins.range(lanes):
            at_enter = frames.enter(frame, lane, before_region)
            STATE.aiv_regions.append((mode, lane, lanes))
            try:
                yield Scalar(lane, dt.INDEX)
            finally:
                STATE.aiv_regions.pop()
            frames.leave(frame, lane, at_enter)
    finally:
        STATE.aic_gathers.pop()
        STATE.aiv_region_records.pop()
        if opened is not None:
            pop_scope(opened)
            finish_scope(opened)


def aiv_shard(x):
    """pl.aiv_shard(x): the cube-produced ``x`` on this AIV lane: the lane's half of the rows
    (UP_DOWN) or columns (LEFT_RIGHT), or all of ``x`` (NONE)."""
    from plsim.memory import Tile
    from plsim.ops.common import operand
    from plsim.ops.views import tile_view

    if not STATE.aiv_regions:
        dsl("pl.aiv_shard must be used inside a 'for aiv_id in pl.split_aiv(...)' loop, which "
            "supplies the split mode")  # fmt: skip
    if not isinstance(x, Tile) or x.ndim != 2:
        dsl(f"pl.aiv_shard takes a 2-D on-chip value, got {type(x).__name__}")
    STATE.aiv_region_records[-1].crossed = True  # plsim.aiv_regions
    STATE.aiv_region_records[-1].sharded.add(id(x.base))
    mode, lane, lanes = STATE.aiv_regions[-1]
    if mode is SplitMode.NONE:
        return x
    axis = 0 if mode is SplitMode.UP_DOWN else 1
    extent = x.shape[axis]
    if extent % lanes:
        dsl(f"pl.aiv_shard in a {mode.name} region halves axis {axis} of {list(x.shape)}; "
            f"{extent} is not divisible by {lanes}")  # fmt: skip
    part = extent // lanes
    starts = [0, 0]
    extents = list(x.shape)
    starts[axis] = lane * part
    extents[axis] = part
    STATE.seq += 1
    half = tile_view(x, starts, extents)
    # The pop is the lane's read of its half, used or not (the compiler emits the tpop): the
    # product crosses to the vector side (checks.crossing_bytes, the ring slot of its half).
    operand(half, "aiv_shard")
    return half


def aic_gather(x):
    """pl.aic_gather(x): a vector value handed to the cube. In a NONE region both lanes must hold
    the same value and it crosses unchanged. In an UP_DOWN / LEFT_RIGHT region each lane pushes
    its half and the cube receives the two halves rejoined along the split axis (lane 0's rows
    or columns first), the inverse of pl.aiv_shard; plsim runs lane 0 then lane 1, so every
    lane's call at one site returns one tile, complete once the last lane has run (it is a cube
    operand: read after the region)."""
    from plsim.memory import Tile

    if not STATE.aiv_regions:
        dsl("pl.aic_gather must be used inside a 'for aiv_id in pl.split_aiv(...)' loop")
    STATE.aiv_region_records[-1].crossed = True  # plsim.aiv_regions
    mode, lane, lanes = STATE.aiv_regions[-1]
    if mode is SplitMode.NONE:
        if isinstance(x, Tile):
            x.base.region = None  # handed to the cube (plsim.aiv_regions.check_cube_read)
        return x
    if not isinstance(x, Tile) or x.ndim != 2:
        dsl(f"pl.aic_gather takes a 2-D on-chip value, got {type(x).__name__}")
    return _rejoined(x, 0 if mode is SplitMode.UP_DOWN else 1, lane, lanes)


def _rejoined(x, axis: int, lane: int, lanes: int):
    """The tile this region's call at x's site rejoins, with this lane's half written in."""
    from plsim.memory import Tile, poison_value
    from plsim.ops.common import operand

    STATE.seq += 1  # the push comes after the op that made x: x is live until it
    operand(x, "aic_gather", cube=True)  # the lane's buffer is what the push reads
    gathers = STATE.aic_gathers[-1]
    site = kernel_location()[:2]
    ordinal = gathers.get(("calls", lane, site), 0)
    gathers[("calls", lane, site)] = ordinal + 1
    key = (site, ordinal)
    full_shape = list(x.shape)
    full_shape[axis] *= lanes
    whole = gathers.get(key)
    if whole is None:
        if lane != 0:
            dsl(f"pl.aic_gather on AIV lane {lane} has no counterpart on lane 0 at this call: "
                "both lanes must push their halves at the same calls")  # fmt: skip
        data = np.full(full_shape, poison_value(x.dtype), dtype=x.data.dtype)
        whole = Tile(data, x.dtype, tuple(full_shape), np.ones(full_shape, dtype=bool),
                     origin="gather")  # fmt: skip
        whole.lane = None  # the cube's, read after the region
        whole.region = None  # handed over by the gather (plsim.aiv_regions.check_cube_read)
        whole.level = x.base.level
        gathers[key] = whole
    elif list(whole.shape) != full_shape or whole.dtype is not x.dtype:
        dsl(f"pl.aic_gather: lane {lane} pushes a {x.dtype.name} {list(x.shape)} half where lane "
            f"0 pushed one of {whole.shape[axis] // lanes} along axis {axis}; the halves must "
            "match")  # fmt: skip
    band = [slice(None), slice(None)]
    band[axis] = slice(lane * x.shape[axis], (lane + 1) * x.shape[axis])
    band = tuple(band)
    whole.data[band] = x.data
    undefined = np.ones(x.shape, dtype=bool)
    inside = tuple(slice(0, v) for v in x.valid)
    undefined[inside] = False if x.poison is None else x.poison[inside]
    whole.poison[band] = undefined
    if lane == lanes - 1 and not whole.poison.any():
        whole.poison = None
    return whole
