"""LabResult: what an experiment measured and concluded, as plain data for notebooks and reports."""

from dataclasses import dataclass, field
from pathlib import Path

from mlplab.lab.claims import Claim


@dataclass
class Figure:
    """A figure of an experiment: its PNG file (in the result's folder) and its caption."""

    name: str
    file: str
    caption: str = ""


@dataclass
class Table:
    """A table of measured numbers: a title and rows (dicts with the same keys)."""

    title: str
    rows: list


@dataclass
class LabResult:
    """The outcome of one lab experiment.

    Attributes
    ----------
    name, question : str
        The experiment and the question it answers.
    answer : str
        The answer the numbers support.
    claims : list of Claim
        Each claim tested, with its values, threshold and whether it held.
    numbers : dict
        Every measured number, by name (plain data).
    tables : list of Table
        Measured numbers laid out for reading.
    figures : list of Figure
        The figures drawn, as PNG files in ``folder``.
    setup : dict
        Every setting, the seed, quick or full, the library versions, the time taken.
    folder : pathlib.Path
        Where the figures and reports are.
    """

    name: str
    question: str
    answer: str
    claims: list = field(default_factory=list)
    numbers: dict = field(default_factory=dict)
    tables: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    setup: dict = field(default_factory=dict)
    folder: Path | None = None

    @property
    def held(self):
        """Whether every claim held (an experiment without claims holds nothing)."""
        return bool(self.claims) and all(claim.held for claim in self.claims)

    @property
    def failed(self):
        """The claims that did not hold."""
        return [claim for claim in self.claims if not claim.held]

    def figure_paths(self):
        """The PNG files of the figures."""
        return [Path(self.folder) / figure.file for figure in self.figures]

    def to_dict(self):
        """The result as plain JSON-ready data (without the folder)."""
        return {
            "name": self.name,
            "question": self.question,
            "answer": self.answer,
            "claims": [claim.to_dict() for claim in self.claims],
            "numbers": self.numbers,
            "tables": [{"title": table.title, "rows": table.rows} for table in self.tables],
            "figures": [vars(figure) for figure in self.figures],
            "setup": self.setup,
        }

    @classmethod
    def from_dict(cls, data, folder=None):
        """The result :meth:`to_dict` wrote, with its files in ``folder``."""
        return cls(
            name=data["name"],
            question=data["question"],
            answer=data["answer"],
            claims=[Claim.from_dict(claim) for claim in data["claims"]],
            numbers=data["numbers"],
            tables=[Table(table["title"], table["rows"]) for table in data["tables"]],
            figures=[Figure(**figure) for figure in data["figures"]],
            setup=data["setup"],
            folder=None if folder is None else Path(folder),
        )

    def _repr_html_(self):
        """The report as HTML, figures embedded (how Jupyter shows a LabResult)."""
        from mlplab.lab.report import html_body

        return html_body(self)

    def __repr__(self):
        verdict = "all claims held" if self.held else f"{len(self.failed)} claim(s) FAILED"
        return f"LabResult({self.name!r}: {len(self.claims)} claims, {verdict}; {self.folder})"
