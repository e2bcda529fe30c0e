"""Tools that use plsim, kept out of the simulator package so plsim imports nothing above it.

- ``plsim_tools.pyptolib``: a public pypto-lib kernel file (or a folder of them) run unchanged
  on plsim with the upstream harness.
- ``plsim_tools.side_by_side``: our decode indexer next to pypto-lib's under the cost model
  (it runs our harness, so it may import ``golden``; plsim may not).
- ``plsim_tools.calibration``: the cost model's fit on published device timings.
- ``plsim_tools.corpus_paths``: where the third-party material they read is on this machine.

Each is a command (``python -m plsim_tools.pyptolib --help``, and so on); docs/architecture.md
shows which package may import which.
"""
