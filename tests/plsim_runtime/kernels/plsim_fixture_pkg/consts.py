"""Constants imported package-relatively by rel_kernel.py."""

N = 32
