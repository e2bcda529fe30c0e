"""bench: the configurations it runs and when pypto-lib's indexer is comparable."""

from __future__ import annotations

from bench.configs import CONFIGS, BenchConfig
from bench.upstream import comparable


def test_the_issue_configs_in_both_cache_formats():
    rows = {(c.batch, c.seq, c.context, c.cache_format) for c in CONFIGS}
    for batch, seq, context in ((16, 2, 65536), (1, 1, 1048576), (128, 4, 8192), (4, 2, 8192)):
        assert (batch, seq, context, "c8") in rows and (batch, seq, context, "c16") in rows
    assert all(c.block_size == 32 for c in CONFIGS)


def test_the_case_config_holds_exactly_the_context():
    config = BenchConfig("x", batch=16, seq=2, context=65536).case_config()
    assert (config.preset, config.batch, config.seq) == ("FLASH", 16, 2)
    assert config.start_pos == 65534 and config.max_seq_len == 65536  # last token at 65535
    assert config.topk_only and config.cache_format == "c8" and config.block_size == 32


def test_pypto_lib_runs_only_at_its_own_shape():
    assert comparable(BenchConfig("a", 4, 2, 8192)) == ""
    assert "C8" in comparable(BenchConfig("a", 4, 2, 8192, "c16"))
    assert "B 4 S 2" in comparable(BenchConfig("a", 16, 2, 8192))
    assert "16384" in comparable(BenchConfig("a", 4, 2, 65536))
