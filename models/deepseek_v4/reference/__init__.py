"""The DeepSeek-V4 references in NumPy: the quant policy (quant.py), rope and Hadamard tables,
the goldens and the unquantized float references. Written from the math (docs/indexer.md),
never from a kernel; imports only NumPy, the model's ``config`` and the contract."""
