"""The lab: every claim of a classic neural-network course as a runnable, measured, drawn and
checked experiment.

``run(name, quick=False, out=None, seed=0)`` runs one (``run_all`` every one) and returns a
:class:`LabResult`: the numbers, the claims with held or failed, the figures, the answer. Each
writes ``report.md``, a self-contained ``report.html`` and ``result.json`` into its folder;
``rebuild_report(folder)`` rebuilds the reports from the saved numbers.
"""

from mlplab.lab.claims import Claim
from mlplab.lab.registry import EXPERIMENTS, Experiment
from mlplab.lab.report import read_result, rebuild_report, write_report
from mlplab.lab.result import Figure, LabResult, Table
from mlplab.lab.session import Lab, experiment_named, run, run_all

__all__ = [
    "EXPERIMENTS",
    "Claim",
    "Experiment",
    "Figure",
    "Lab",
    "LabResult",
    "Table",
    "experiment_named",
    "read_result",
    "rebuild_report",
    "run",
    "run_all",
    "write_report",
]
