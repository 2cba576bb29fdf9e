"""The report of a lab experiment: Markdown, and one self-contained HTML page, from a LabResult.

Both say the question, the answer, every claim with held or FAILED, the figures, the measured
numbers and the whole setup. The HTML page is the Markdown rendered by the ``markdown`` library,
with each figure embedded as a data URI, so the page opens anywhere without its folder.
"""

import base64
import html
import json
import math
from pathlib import Path

import markdown

from mlplab.lab.result import LabResult
from mlplab.utils import atomic_write_bytes

RESULT = "result.json"
MARKDOWN = "report.md"
HTML = "report.html"

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.45; color: #1b1b1b; }
table { border-collapse: collapse; margin: 0.8rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; }
th { background: #f2f2f2; }
img { max-width: 100%; }
code { background: #f4f4f4; padding: 0 0.2rem; }
"""


def write_report(result):
    """Write ``result.json``, ``report.md`` and ``report.html`` into the result's folder."""
    folder = Path(result.folder)
    text = json.dumps(result.to_dict(), indent=2, allow_nan=False, default=str) + "\n"
    atomic_write_bytes(folder / RESULT, text.encode("utf-8"))
    atomic_write_bytes(folder / MARKDOWN, markdown_text(result).encode("utf-8"))
    page = (
        f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>mlplab lab: {html.escape(result.name)}</title><style>{_STYLE}</style></head>"
        f"<body>\n{html_body(result)}\n</body></html>\n"
    )
    atomic_write_bytes(folder / HTML, page.encode("utf-8"))


def rebuild_report(folder):
    """Rewrite ``report.md`` and ``report.html`` in ``folder`` from its ``result.json``."""
    result = read_result(folder)
    write_report(result)
    return result


def read_result(folder):
    """The LabResult saved in ``folder`` (its ``result.json``)."""
    path = Path(folder) / RESULT
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{folder} holds no lab result: it has no {RESULT}") from None
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read {path}: {error}") from None
    try:
        return LabResult.from_dict(data, folder)
    except (KeyError, TypeError) as error:
        raise ValueError(f"{path} is not a lab result ({error})") from None


def markdown_text(result):
    """The report as Markdown (figures referenced by file name, beside the report)."""
    verdict = (
        "All claims held."
        if result.held
        else f"**{len(result.failed)} of {len(result.claims)} claims FAILED.**"
    )
    lines = [
        f"# {result.name}",
        "",
        f"**Question.** {result.question}",
        "",
        f"**Answer.** {result.answer}",
        "",
        verdict,
        "",
        "## Claims",
        "",
        "| | claim | measured | threshold |",
        "|---|---|---|---|",
    ]
    for claim in result.claims:
        mark = "held" if claim.held else "**FAILED**"
        measured = ", ".join(f"{name} = {_number(value)}" for name, value in claim.values.items())
        lines.append(f"| {mark} | {_cell(claim.statement)} | {_cell(measured)} | "
                     f"{_cell(claim.threshold)} |")  # fmt: skip
    for figure in result.figures:
        lines += ["", f"![{figure.caption or figure.name}]({figure.file})", "", figure.caption]
    for table in result.tables:
        lines += ["", f"## {table.title}", "", *_table(table.rows)]
    if result.numbers:
        lines += ["", "## Measured numbers", "", "| name | value |", "|---|---|"]
        lines += [f"| {_cell(name)} | {_cell(_number(value))} |" for name, value in
                  result.numbers.items()]  # fmt: skip
    lines += ["", "## Setup", "", "| setting | value |", "|---|---|"]
    lines += [f"| {_cell(name)} | {_cell(_number(value))} |" for name, value in
              result.setup.items()]  # fmt: skip
    return "\n".join(lines) + "\n"


def html_body(result):
    """The report as an HTML fragment, figures embedded as data URIs."""
    body = markdown.markdown(markdown_text(result), extensions=["tables"])
    for figure in result.figures:
        path = Path(result.folder) / figure.file
        if path.is_file():
            encoded = base64.b64encode(path.read_bytes()).decode("ascii")
            body = body.replace(f'src="{figure.file}"', f'src="data:image/png;base64,{encoded}"')
    return body


def _table(rows):
    """Markdown table lines for a list of dicts sharing their keys."""
    if not rows:
        return ["(no rows)"]
    columns = list(dict.fromkeys(key for row in rows for key in row))
    lines = ["| " + " | ".join(map(_cell, columns)) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(_number(row.get(key, ""))) for key in columns) + " |")
    return lines


def _number(value):
    """A value for reading: floats to 4 significant digits, lists shortened."""
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    if isinstance(value, list | tuple):
        shown = ", ".join(_number(item) for item in value[:8])
        return f"[{shown}{', ...' if len(value) > 8 else ''}]"
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_number(item)}" for key, item in value.items())
    return str(value)


def _cell(text):
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")
