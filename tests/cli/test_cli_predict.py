"""Tests of ``mlplab predict`` on .npy, IDX and image inputs."""

import csv

import numpy
import pytest
from PIL import Image

from mlplab.cli import main
from mlplab.data import load_dataset, write_idx


@pytest.fixture(scope="module")
def digits():
    """The digits test images (float 0-16, (N, 64)) and labels, as the default run split them."""
    data = load_dataset("digits")
    return data.x_test, data.y_test


def test_predict_npy_matches_the_labels_mostly_and_writes_csv(
    default_run, digits, tmp_path, capsys
):
    x, y = digits
    numpy.save(tmp_path / "x.npy", x[:50])
    output = tmp_path / "p.csv"
    assert (
        main(["predict", str(default_run), str(tmp_path / "x.npy"), "--output", str(output)]) == 0
    )
    printed = capsys.readouterr().out
    assert "x.npy[0]" in printed and "more (use --limit" in printed
    rows = list(csv.DictReader(output.open()))
    assert len(rows) == 50
    predicted = numpy.array([int(row["class"]) for row in rows])
    assert (predicted == y[:50]).mean() >= 0.9


def test_predict_reads_idx_and_a_single_sample(default_run, digits, tmp_path, capsys):
    x, _ = digits
    write_idx(tmp_path / "x.idx", x[:3].reshape(3, 8, 8).astype(numpy.uint8))
    numpy.save(tmp_path / "one.npy", x[0].reshape(8, 8))
    assert (
        main(["predict", str(default_run), str(tmp_path / "x.idx"), str(tmp_path / "one.npy")]) == 0
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and lines[-1].startswith(str(tmp_path / "one.npy"))


def test_predict_reads_png_images(default_run, digits, tmp_path, capsys):
    x, y = digits
    pixels = (x[0].reshape(8, 8) * 255 / 16).astype(numpy.uint8)
    Image.fromarray(pixels).resize((32, 32), Image.Resampling.NEAREST).save(tmp_path / "d.png")
    Image.fromarray(255 - pixels).save(tmp_path / "inverted.png")
    assert main(["predict", str(default_run), str(tmp_path / "d.png")]) == 0
    assert f"class {y[0]}" in capsys.readouterr().out
    assert main(["predict", str(default_run), str(tmp_path / "inverted.png"), "--invert"]) == 0
    assert f"class {y[0]}" in capsys.readouterr().out


def test_predict_regression_gives_values_in_data_units(tmp_path, capsys):
    out = tmp_path / "linear"
    assert main(["train", "--dataset", "linear", "--quiet", "--out", str(out)]) == 0
    numpy.save(tmp_path / "x.npy", numpy.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]))
    output = tmp_path / "p.npy"
    capsys.readouterr()
    assert main(["predict", str(out), str(tmp_path / "x.npy"), "--output", str(output)]) == 0
    capsys.readouterr()
    # y = 2·x1 - 3·x2 + 1.5·x3 + 1 in the data's own units: 3 and 1.
    numpy.testing.assert_allclose(numpy.load(output), [[3.0], [1.0]], rtol=0.01)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("wrong.npy", numpy.zeros((2, 5)), "shape (2, 5)"),
        ("text.npy", b"not numpy", "cannot read input"),
        ("bad.png", b"not a png", "cannot read image"),
        ("bad.idx", b"\x00\x00\x08\x03", "cannot read input"),
    ],
)
def test_predict_refuses_unusable_inputs(default_run, tmp_path, capsys, name, content, message):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        numpy.save(path, content)
    output = tmp_path / "out.csv"
    assert main(["predict", str(default_run), str(path), "--output", str(output)]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and message in error[0]
    assert not output.exists()


def test_predict_refuses_missing_files_and_bad_output_names(default_run, tmp_path, capsys):
    assert main(["predict", str(default_run), str(tmp_path / "missing.npy")]) == 2
    numpy.save(tmp_path / "x.npy", numpy.zeros((1, 64)))
    assert main(["predict", str(default_run), str(tmp_path / "x.npy"), "--output", "p.txt"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_inputs_already_scaled_to_unit_range_are_refused(default_run, digits, tmp_path, capsys):
    x, _ = digits
    numpy.save(tmp_path / "scaled.npy", x[:5] / 16.0)  # digits run 0-16; these run 0-1
    assert main(["predict", str(default_run), str(tmp_path / "scaled.npy")]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "look scaled to [0, 1] already" in line and "multiply by 16" in line
    numpy.save(tmp_path / "big.npy", x[:5] * 100)
    assert main(["predict", str(default_run), str(tmp_path / "big.npy")]) == 2
    assert "outside 0-16" in capsys.readouterr().err


def test_proba_gives_every_class_and_csv_inputs_are_read(default_run, digits, tmp_path, capsys):
    x, y = digits
    with open(tmp_path / "x.csv", "w") as handle:
        handle.write(",".join(f"pixel{i}" for i in range(64)) + "\n")
        for row in x[:4]:
            handle.write(",".join(str(value) for value in row) + "\n")
    numpy.savetxt(tmp_path / "bare.csv", x[4:6], delimiter=",")
    output = tmp_path / "p.csv"
    argv = ["predict", str(default_run), str(tmp_path / "x.csv"), str(tmp_path / "bare.csv")]
    assert main([*argv, "--proba", "--output", str(output)]) == 0
    rows = list(csv.DictReader(output.open()))
    assert len(rows) == 6
    for row in rows:
        probabilities = [float(row[f"p_{digit}"]) for digit in range(10)]
        assert sum(probabilities) == pytest.approx(1.0)
        assert int(numpy.argmax(probabilities)) == int(row["class"])
    assert numpy.mean([int(row["class"]) for row in rows] == y[:6]) >= 0.8
    assert "[0 0." in capsys.readouterr().out  # printed rows list each class's probability


def test_a_negative_limit_is_refused(default_run, digits, tmp_path, capsys):
    numpy.save(tmp_path / "x.npy", digits[0][:3])
    assert main(["predict", str(default_run), str(tmp_path / "x.npy"), "--limit", "-1"]) == 2
    assert "expected 0 or more rows" in capsys.readouterr().err
    assert main(["predict", str(default_run), str(tmp_path / "x.npy"), "--limit", "0"]) == 0
    assert capsys.readouterr().out.strip() == "... 3 more (use --limit or --output)"
