"""Checks every lab experiment's test makes: finding a claim, and the reports it must write."""

import re


def find_claim(result, words):
    """The one claim whose statement contains ``words``."""
    found = [claim for claim in result.claims if words in claim.statement]
    assert len(found) == 1, [claim.statement for claim in result.claims]
    return found[0]


def assert_figures_and_reports(result, stems):
    """The figures are PNGs named ``stems`` (in order), and both reports are written, the HTML
    one embedding every figure and referring to no other file."""
    paths = result.figure_paths()
    assert [path.stem for path in paths] == list(stems)
    assert all(path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for path in paths)
    assert (result.folder / "report.md").is_file()
    page = (result.folder / "report.html").read_text(encoding="utf-8")
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) == len(paths)
    assert all(source.startswith("data:image/png;base64,") for source in sources)
    assert "http" not in page
