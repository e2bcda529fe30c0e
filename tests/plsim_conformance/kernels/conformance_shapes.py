"""Module constants the conformance kernels import (as pypto-lib kernels import config)."""

ROWS = 10  # real rows: fewer than one 16-row cube tile, so windows overhang
ROW_TILE = 16
K = 256
K_TILE = 128
N_OUT = 64
N_TILE = 32
TOPK = 512
SCORE_LEN = 4096
BATCH = 3
FP32_LOWEST = -3.4028234663852886e38
COLS = 64
