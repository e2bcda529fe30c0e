"""The DeepSeek-V4 pl kernels: each module imports only ``pypto.language``, the model's
``config`` and sibling kernel modules (docs/architecture.md), so it compiles unchanged with the
real pypto and runs on plsim."""
