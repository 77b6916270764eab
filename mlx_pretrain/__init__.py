__version__ = "0.1.0"
# OpenBLAS has to be loaded before mlx.core is first imported; see nbs/00_core.ipynb.
from .core import enable_openblas as _enable_openblas
_enable_openblas()
