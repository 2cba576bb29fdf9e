"""PyTorch-style scripts (tests/compat/scripts) run unchanged on mlplab, only the imports swapped.

Each script is written for PyTorch, in the style of the public tutorials. The test runs it as it
is, then with every ``torch`` import pointed at mlplab (``import torch`` -> ``import mlplab as
torch``, ``from torch.utils.data import`` -> ``from mlplab.utils.data import`` ...), and compares
the numbers on the line starting with ``final``. The scripts start from fixed weights (formulas
instead of random draws) and do not shuffle, so the two runs do the same arithmetic in float32
and may differ only by rounding.
"""

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

SCRIPTS = Path(__file__).parent / "scripts"
RTOL = 2e-3
"""Relative tolerance of the final numbers: float32 rounding, grown over 500-2000 steps."""


def with_mlplab_imports(text):
    """The script with every import of torch replaced by the same import of mlplab."""
    text = re.sub(r"^import torch$", "import mlplab as torch", text, flags=re.MULTILINE)
    text = re.sub(r"^import torch\.", "import mlplab.", text, flags=re.MULTILINE)
    text = re.sub(r"^from torch(\.| )", r"from mlplab\1", text, flags=re.MULTILINE)
    assert (
        "torch."
        not in "\n".join(line for line in text.splitlines() if line.startswith(("import", "from")))
        or "as torch" in text
    )
    return text


def run(text, folder, monkeypatch):
    """Run a script's text in ``folder``; returns what it printed."""
    monkeypatch.chdir(folder)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(text, "<script>", "exec"), {"__name__": "__main__"})  # our own scripts
    return out.getvalue()


def final_numbers(output):
    """The numbers on the last line that starts with ``final``."""
    line = [row for row in output.splitlines() if row.startswith("final")][-1]
    return np.array([float(v) for v in line.split()[1:]])


@pytest.mark.parametrize("script", sorted(p.name for p in SCRIPTS.glob("*.py")))
def test_the_script_reaches_torchs_numbers_with_only_the_imports_changed(
    script, tmp_path, monkeypatch
):
    text = (SCRIPTS / script).read_text()
    ours_text = with_mlplab_imports(text)
    assert "import torch\n" not in ours_text and "mlplab" in ours_text
    (tmp_path / "torch").mkdir()
    (tmp_path / "mlplab").mkdir()
    theirs = final_numbers(run(text, tmp_path / "torch", monkeypatch))
    ours = final_numbers(run(ours_text, tmp_path / "mlplab", monkeypatch))
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=1e-6)


def test_the_import_swap_changes_only_imports():
    text = (
        "import torch\nimport torch.nn as nn\nfrom torch import nn\n"
        "from torch.utils.data import X\ny = torch.zeros(2)\n"
    )
    assert with_mlplab_imports(text) == (
        "import mlplab as torch\nimport mlplab.nn as nn\nfrom mlplab import nn\n"
        "from mlplab.utils.data import X\ny = torch.zeros(2)\n"
    )
