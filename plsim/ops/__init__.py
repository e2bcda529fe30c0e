"""pl op families: memory (loads/stores/views), elementwise, reductions/expands, cast, matmul,
sort/gather. Each op checks its shape/dtype rule, valid regions and accounting, then calls
plsim.numerics for the values."""
