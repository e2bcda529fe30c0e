"""The decode-indexer configurations the benchmark runs (issue 19's table, plus C16)."""

from __future__ import annotations

from dataclasses import dataclass

from golden.case import CaseConfig


@dataclass(frozen=True)
class BenchConfig:
    """One row of the benchmark: FLASH decode, ``batch`` requests of ``seq`` tokens, each
    request's context ``context`` tokens long (its step's last token at position context - 1),
    the top-k-only serving entry point on a paged cache of ``block_size``-token blocks."""

    name: str
    batch: int
    seq: int
    context: int
    cache_format: str = "c8"
    block_size: int = 32

    def case_config(self) -> CaseConfig:
        """The harness configuration: the pools sized for exactly this context."""
        return CaseConfig(
            preset="FLASH", batch=self.batch, seq=self.seq, start_pos=self.context - self.seq,
            max_seq_len=self.context, cache_format=self.cache_format,
            block_size=self.block_size, topk_only=True,
        )  # fmt: skip


#: Issue 19's four C8 configurations, then the same four with the BF16 (C16) cache.
CONFIGS: tuple[BenchConfig, ...] = tuple(
    BenchConfig(name, batch, seq, context, fmt)
    for fmt in ("c8", "c16")
    for name, batch, seq, context in (
        ("B16 S2 64k", 16, 2, 65536),
        ("B1 S1 1M", 1, 1, 1 << 20),
        ("B128 S4 8k", 128, 4, 8192),
        ("B4 S2 8k", 4, 2, 8192),
    )
)
