"""The serving contract in NumPy: what a serving engine passes to the kernels per decode step
(decode.py) and per packed prefill chunk (prefill.py), and the checks of it. Imports only NumPy,
the model's ``config`` and ``golden.case.ConfigError``."""
