__version__ = "0.1.0"
# OpenBLAS has to be loaded before mlx.core is first imported, and MLX reads its CUDA graph size once, on first GPU
# use; see nbs/00_core.ipynb.
from .core import enable_openblas as _enable_openblas, bound_graph_memory as _bound_graph_memory
_enable_openblas()
_bound_graph_memory()
