"""Tests of ``mlplab evaluate``: test metrics, confusion matrix as text and PNG."""

import json

from mlplab.cli import main


def test_evaluate_prints_metrics_and_draws_the_confusion_matrix(default_run, tmp_path, capsys):
    png = tmp_path / "matrix.png"
    assert main(["evaluate", str(default_run), "--png", str(png)]) == 0
    text = capsys.readouterr().out
    saved = json.loads((default_run / "results.json").read_text())
    assert f"accuracy {saved['test']['accuracy']:.4f}" in text
    assert "true \\ predicted" in text and "recall per class" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_accepts_the_model_file_itself(default_run, tmp_path, capsys):
    png = tmp_path / "m.png"
    assert main(["evaluate", str(default_run / "model.safetensors"), "--png", str(png)]) == 0
    assert png.exists()


def test_evaluate_and_predict_a_lone_model_file(default_run, tmp_path, capsys):
    lone = tmp_path / "digits.safetensors"
    lone.write_bytes((default_run / "model.safetensors").read_bytes())
    assert main(["evaluate", str(lone), "--png", str(tmp_path / "m.png")]) == 0
    assert "accuracy" in capsys.readouterr().out


def test_evaluate_regression_reports_r2_per_target(tmp_path, capsys):
    out = tmp_path / "linear"
    assert (
        main(["train", "--dataset", "linear", "--epochs", "3", "--quiet", "--out", str(out)]) == 0
    )
    capsys.readouterr()
    assert main(["evaluate", str(out)]) == 0
    assert "y: R²" in capsys.readouterr().out


def test_evaluate_refuses_bad_input_in_one_line(default_run, tmp_path, capsys):
    for argv in (
        ["evaluate", str(tmp_path / "nothing")],
        ["evaluate", str(default_run), "--dataset", "moons"],
        ["evaluate", str(default_run), "--png", str(tmp_path / "no" / "m.png")],
    ):
        assert main(argv) == 2, argv
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
