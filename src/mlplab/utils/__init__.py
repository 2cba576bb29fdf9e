"""Small helpers shared by the library's parts: atomic file writes, the setting error."""

from mlplab.utils.atomic import atomic_write, atomic_write_bytes, without_fsync
from mlplab.utils.errors import SettingError

__all__ = ["SettingError", "atomic_write", "atomic_write_bytes", "without_fsync"]
