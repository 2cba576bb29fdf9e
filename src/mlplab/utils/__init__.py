"""Small helpers shared by the library's parts: atomic file writes."""

from mlplab.utils.atomic import atomic_write, atomic_write_bytes

__all__ = ["atomic_write", "atomic_write_bytes"]
