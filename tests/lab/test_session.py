"""Tests of mlplab.lab.session and report: a toy experiment run, reported, rebuilt, reproduced."""

import json
import re

import numpy
import pytest
from matplotlib.figure import Figure

import mlplab
from mlplab import lab
from mlplab.lab import Experiment


def _normals(session):
    x = numpy.asarray(session.generator("samples").normal((session.choose(200, 2000),)))
    session.setting(samples=len(x))
    session.measure(mean=x.mean(), first=x[:3])
    session.at_most("the sample mean is near 0", "|mean|", abs(x.mean()), 0.3)
    session.claim("this one fails on purpose", False, "never", value=1.0)
    figure = Figure()
    figure.subplots().hist(x, 20)
    session.figure("histogram", figure, "the samples")
    session.table("first samples", [{"i": i, "x": x[i]} for i in range(3)])
    session.answer("The mean is near 0; the second claim fails, and says so.")


TOY = Experiment("toy", "Are standard normal samples centred?", _normals)


def test_a_run_writes_figures_and_both_reports_and_shows_failed_claims(tmp_path):
    result = lab.run(TOY, quick=True, out=tmp_path)
    assert [claim.held for claim in result.claims] == [True, False] and not result.held
    assert result.failed[0].statement == "this one fails on purpose"
    assert result.figure_paths() == [tmp_path / "histogram.png"]
    assert (tmp_path / "histogram.png").read_bytes()[:4] == b"\x89PNG"
    markdown = (tmp_path / "report.md").read_text()
    assert "**1 of 2 claims FAILED.**" in markdown and "| **FAILED** |" in markdown
    assert "Are standard normal samples centred?" in markdown
    for setting in ("| samples | 200 |", "| seed | 0 |", "| quick | True |", "| numpy |"):
        assert setting in markdown, setting
    page = (tmp_path / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 1
    assert re.findall(r'src="(?!data:)', page) == [] and "http" not in page
    assert result._repr_html_().count("<img") == 1


def test_the_same_seed_gives_the_same_numbers_and_another_seed_others(tmp_path):
    first = lab.run(TOY, quick=True, out=tmp_path / "a", seed=3)
    again = lab.run(TOY, quick=True, out=tmp_path / "b", seed=3)
    other = lab.run(TOY, quick=True, out=tmp_path / "c", seed=4)
    assert first.numbers == again.numbers and first.numbers != other.numbers
    mlplab.manual_seed(123)  # the default generator plays no part
    assert lab.run(TOY, quick=True, out=tmp_path / "d", seed=3).numbers == first.numbers


def test_reports_are_rebuilt_from_the_saved_numbers(tmp_path):
    result = lab.run(TOY, quick=False, out=tmp_path)
    (tmp_path / "report.md").unlink()
    (tmp_path / "report.html").unlink()
    rebuilt = lab.rebuild_report(tmp_path)
    assert rebuilt.to_dict() == json.loads(json.dumps(result.to_dict()))
    assert (tmp_path / "report.html").read_text().count("data:image/png;base64,") == 1
    assert rebuilt.setup["samples"] == 2000


def test_bad_names_seeds_and_folders_are_refused(tmp_path):
    with pytest.raises(ValueError, match="Unknown lab experiment 'nope'"):
        lab.run("nope")
    with pytest.raises(ValueError, match="Invalid seed"):
        lab.run(TOY, seed=-1)
    with pytest.raises(ValueError, match="holds no lab result"):
        lab.rebuild_report(tmp_path)
