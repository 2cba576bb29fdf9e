"""Running a lab experiment: the :class:`Lab` it writes into, and :func:`run` / :func:`run_all`.

An experiment is a function ``run(lab)``. It reads ``lab.quick`` to size its work, draws every
random number from ``lab.generator()``, and records what it finds: settings, numbers, tables,
figures, claims and the answer. :func:`run` then writes the report and returns a
:class:`LabResult`.
"""

import platform
import tempfile
import time
import zlib
from pathlib import Path

import numpy

import mlplab
from mlplab.lab import claims as claim_rules
from mlplab.lab.registry import EXPERIMENTS, Experiment
from mlplab.lab.report import write_report
from mlplab.lab.result import Figure, LabResult, Table
from mlplab.random import Generator


class Lab:
    """What an experiment writes its findings into while it runs.

    Parameters
    ----------
    experiment : Experiment
    quick : bool
        Run in seconds (smaller data, fewer epochs) instead of the full settings.
    seed : int
        The seed of every random draw (through :meth:`generator`).
    folder : pathlib.Path
        Where figures go.
    """

    def __init__(self, experiment, quick, seed, folder):
        self.experiment = experiment
        self.quick = quick
        self.seed = seed
        self.folder = Path(folder)
        self.settings = {}
        self.numbers = {}
        self.tables = []
        self.figures = []
        self.claims = []
        self.answer_text = ""

    # ------------------------------------------------------------------ sizing and randomness
    def choose(self, quick, full):
        """``quick`` in a quick run, else ``full`` (for sizes, epochs, seeds, ...)."""
        return quick if self.quick else full

    def generator(self, stream="default"):
        """A Generator for the named stream: the same seed and stream give the same numbers."""
        return Generator((self.seed * 1_000_003 + zlib.crc32(stream.encode())) % 2**63)

    # ------------------------------------------------------------------ findings
    def setting(self, **values):
        """Record settings of the experiment (they go to the report's setup)."""
        self.settings.update({name: _plain(value) for name, value in values.items()})

    def measure(self, **values):
        """Record measured numbers (arrays become lists)."""
        self.numbers.update({name: _plain(value) for name, value in values.items()})

    def table(self, title, rows):
        """Record a table: a list of dicts with the same keys."""
        self.tables.append(Table(title, [{k: _plain(v) for k, v in row.items()} for row in rows]))

    def figure(self, name, figure, caption=""):
        """Save a matplotlib Figure as ``name.png`` in the folder and record it."""
        from mlplab.train.plots import save_figure

        file = f"{name}.png"
        save_figure(figure, self.folder / file)
        self.figures.append(Figure(name, file, caption))

    def claim(self, statement, held, threshold, **values):
        """Record a claim: its sentence, whether it held, the bound, the values it rests on."""
        values = {name: _plain(value) for name, value in values.items()}
        self.claims.append(claim_rules.Claim(statement, values, threshold, bool(held)))

    def at_most(self, statement, name, value, bound):
        """Record the claim that ``value`` is at most ``bound``."""
        self.claims.append(claim_rules.at_most(statement, name, value, bound))

    def at_least(self, statement, name, value, bound):
        """Record the claim that ``value`` is at least ``bound``."""
        self.claims.append(claim_rules.at_least(statement, name, value, bound))

    def close_to(self, statement, name, value, target, rel=None, abs=None):
        """Record the claim that ``value`` is within ``rel`` or ``abs`` of ``target``."""
        self.claims.append(claim_rules.close_to(statement, name, value, target, rel, abs))

    def answer(self, text):
        """Record the answer the numbers support."""
        self.answer_text = text


def _plain(value):
    """``value`` as JSON-ready data: NumPy scalars and arrays become numbers and lists."""
    if isinstance(value, numpy.ndarray):
        return value.tolist()
    if isinstance(value, numpy.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def experiment_named(name):
    """The registered experiment ``name``; ValueError listing the names if there is none."""
    if isinstance(name, Experiment):
        return name
    if name not in EXPERIMENTS:
        raise ValueError(
            f"Unknown lab experiment {name!r}; choose one of {', '.join(EXPERIMENTS)} (or 'all')"
        )
    return EXPERIMENTS[name]


def run(name, quick=False, out=None, seed=0):
    """Run one lab experiment, write its figures and reports, and return its LabResult.

    Parameters
    ----------
    name : str or Experiment
        A name of :data:`mlplab.lab.EXPERIMENTS`.
    quick : bool
        Seconds instead of minutes: smaller data and fewer epochs, the same claims.
    out : str or os.PathLike, optional
        The folder for figures, ``report.md``, ``report.html`` and ``result.json`` (default: a
        new temporary folder).
    seed : int
        The seed of every random draw: the same seed gives the same numbers.
    """
    experiment = experiment_named(name)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"Invalid seed: {seed!r}; use a non-negative integer")
    folder = (
        Path(out)
        if out is not None
        else Path(tempfile.mkdtemp(prefix=f"mlplab-lab-{experiment.name}-"))
    )
    folder.mkdir(parents=True, exist_ok=True)
    lab = Lab(experiment, quick, seed, folder)
    started = time.perf_counter()
    experiment.run(lab)
    result = LabResult(
        name=experiment.name,
        question=experiment.question,
        answer=lab.answer_text,
        claims=lab.claims,
        numbers=lab.numbers,
        tables=lab.tables,
        figures=lab.figures,
        setup={
            **lab.settings,
            "quick": quick,
            "seed": seed,
            "seconds": round(time.perf_counter() - started, 2),
            "mlplab": mlplab.__version__,
            "numpy": numpy.__version__,
            "python": platform.python_version(),
        },
        folder=folder,
    )
    write_report(result)
    return result


def run_all(quick=False, out=None, seed=0, progress=True):
    """Run every registered experiment, each in ``out/NAME``; returns their LabResults."""
    from tqdm.auto import tqdm

    root = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="mlplab-lab-"))
    results = []
    for name in tqdm(EXPERIMENTS, desc="lab", unit="experiment", disable=not progress or None):
        results.append(run(name, quick=quick, out=root / name, seed=seed))
    return results
