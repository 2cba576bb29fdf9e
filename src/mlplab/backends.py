"""``mlplab.backends``: the ``torch.backends`` switches scripts read or set, for mlplab's arrays.

There is no Apple GPU (``mps``) backend: ``backends.mps.is_available()`` is False. cuDNN's
switches (``backends.cudnn.deterministic``, ``.benchmark``) are accepted and change nothing:
mlplab's results are deterministic for a seed on every backend it has.
"""

import types

mps = types.SimpleNamespace(
    is_available=lambda: False,
    is_built=lambda: False,
)
"""Apple's GPU backend: never available in mlplab."""

cudnn = types.SimpleNamespace(deterministic=True, benchmark=False, enabled=False)
"""cuDNN's switches: kept for scripts that set them; mlplab uses no cuDNN."""
