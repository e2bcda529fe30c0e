"""A tiny case of the harness's own, so the harness is tested before any model kernel exists."""
