"""DeepSeek-V4 model presets and the indexer's fixed shapes.

Kernel files import the module-level integer constants below (``from config import ...``); the
pypto parser inlines module-level ``int``/``float`` constants, so only those may be referenced
inside a kernel body. Everything that varies between presets reaches a kernel through its tensor
shapes instead.

Preset values are the public DeepSeek-V4 checkpoint configurations (FLASH and PRO); DEMO keeps
FLASH's per-token shapes with a short context so tests stay quick.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --- Indexer shapes shared by every preset (kernels may import these) -------------------------
INDEX_N_HEADS = 64  # H: lightning-indexer heads
INDEX_HEAD_DIM = 128  # Dh: indexer head dimension (also the compressed cache row width)
ROPE_DIM = 64  # rd: trailing dims of each head that get rotary embedding
NOPE_DIM = INDEX_HEAD_DIM - ROPE_DIM  # leading dims without rotary embedding
COMPRESS_RATIO = 4  # the indexer compressor pools 4 tokens into one cache row
COMPRESS_STATE_ROWS = 2 * COMPRESS_RATIO  # overlapping windows: previous half + current half
COMPRESS_STATE_WIDTH = 2 * INDEX_HEAD_DIM  # state rows hold [front-half | back-half] features
SLIDING_WINDOW = 128  # top-k indices are offset by the sliding-window length
MAX_TOKENS_PER_STEP = 4  # S: 1 for plain decode, 2..4 for multi-token (MTP) decode
RMS_NORM_EPS = 1e-6
FP32_LOWEST = -3.4028234663852886e38  # score of a cache row a token may not see

# --- Kernel quant policy (the same numbers as reference/quant.py)
# ----------------------------------
AMAX_FLOOR = 1e-4  # amax = max(row_max(|x|), 1e-4)
INT8_MAX = 127.0  # quant_scale = 127 / amax, dequant_scale = amax / 127


@dataclass(frozen=True)
class RopeScaling:
    """YaRN scaling of the compressed layers' rotary embedding."""

    factor: float = 16.0
    original_max_position_embeddings: int = 65536
    beta_fast: float = 32.0
    beta_slow: float = 1.0


@dataclass(frozen=True)
class Preset:
    """One model build's sizes that the indexer and its compressor depend on."""

    name: str
    hidden_size: int
    q_lora_rank: int
    index_topk: int
    max_position_embeddings: int
    index_n_heads: int = INDEX_N_HEADS
    index_head_dim: int = INDEX_HEAD_DIM
    rope_head_dim: int = ROPE_DIM
    sliding_window: int = SLIDING_WINDOW
    compress_ratio: int = COMPRESS_RATIO
    compress_rope_theta: float = 160000.0
    rope_scaling: RopeScaling = field(default_factory=RopeScaling)
    rms_norm_eps: float = RMS_NORM_EPS

    @property
    def nope_head_dim(self) -> int:
        """Leading dims of each head that carry no rotary embedding."""
        return self.index_head_dim - self.rope_head_dim

    @property
    def weights_scale(self) -> float:
        """Scale of the head-weights projection: Dh^-0.5 * H^-0.5."""
        return self.index_head_dim**-0.5 * self.index_n_heads**-0.5

    @property
    def q_proj_width(self) -> int:
        """Output width of wq_b: H * Dh."""
        return self.index_n_heads * self.index_head_dim

    def cache_rows(self, max_seq_len: int) -> int:
        """Rows of the compressed indexer cache for a context of max_seq_len tokens."""
        return max_seq_len // self.compress_ratio


FLASH = Preset(
    name="FLASH",
    hidden_size=4096,
    q_lora_rank=1024,
    index_topk=512,
    max_position_embeddings=1_048_576,
)
PRO = Preset(
    name="PRO",
    hidden_size=7168,
    q_lora_rank=1536,
    index_topk=1024,
    max_position_embeddings=1_048_576,
)
DEMO = Preset(
    name="DEMO",
    hidden_size=FLASH.hidden_size,
    q_lora_rank=FLASH.q_lora_rank,
    index_topk=FLASH.index_topk,
    max_position_embeddings=4096,
)

PRESETS: dict[str, Preset] = {p.name: p for p in (DEMO, FLASH, PRO)}


def get_preset(name: str) -> Preset:
    """Return the preset called ``name`` (case-insensitive); ValueError names the choices."""
    key = str(name).upper()
    if key not in PRESETS:
        raise ValueError(f"--preset: unknown preset {name!r}; expected one of {sorted(PRESETS)}")
    return PRESETS[key]
