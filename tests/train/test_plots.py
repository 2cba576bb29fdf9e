"""Tests of mlplab.train.plots: PNG files of learning curves, confusion matrices, predictions."""

import itertools
import struct

import numpy
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb

from mlplab.train import plots
from mlplab.train.metrics import r2_score

PNG = b"\x89PNG\r\n\x1a\n"
RNG = numpy.random.default_rng(0)


def png_size(path):
    """(width, height) in pixels of a PNG file, read from its IHDR chunk."""
    data = path.read_bytes()
    assert data[:8] == PNG
    return struct.unpack(">II", data[16:24])


def records(epochs=4):
    return [
        {"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e + 0.01 * e, "train_accuracy": 0.5}
        for e in range(1, epochs + 1)
    ]


def confusion(classes, samples=3000):
    """A plausible confusion matrix: 80% right, the rest spread over all classes."""
    truth = RNG.integers(0, classes, samples)
    guess = numpy.where(RNG.random(samples) < 0.8, truth, RNG.integers(0, classes, samples))
    matrix = numpy.zeros((classes, classes), dtype=int)
    numpy.add.at(matrix, (truth, guess), 1)
    return matrix


def luminance(color):
    """WCAG relative luminance of a matplotlib colour."""
    channels = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(color)]
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def contrast(a, b):
    """WCAG contrast ratio of two colours, 1 (none) to 21 (black on white)."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def panels(figure):
    """The confusion-matrix panels of a figure (not its colour bars)."""
    return [ax for ax in figure.axes if ax.get_images()]


def cell_texts(ax):
    """The texts drawn in the cells of a confusion-matrix panel (not titles or labels)."""
    return [text for text in ax.texts if text.get_text()]


# ----------------------------------------------------------------------------- PNG files
def test_every_plot_is_a_png_file_written_atomically(tmp_path):
    plots.plot_curves(records(), "loss", tmp_path / "loss.png")
    plots.plot_curves(records(), "accuracy", tmp_path / "accuracy.png")  # no validation values
    plots.plot_curves(records(), "mse", tmp_path / "mse.png", "MSE (in the targets' units)")
    plots.plot_curves(records(), "loss", tmp_path / "titled.png", title="fashion-mnist")
    plots.plot_confusion_matrix(numpy.array([[5, 1], [2, 9]]), tmp_path / "cm.png", ["a", "b"])
    plots.plot_confusion_matrix([[5, 1], [2, 9]], tmp_path / "cm_list.png", None, "test set")
    plots.plot_confusion_matrix(confusion(10), tmp_path / "both.png", normalize="both")
    truth = RNG.normal(size=(50, 3))
    plots.plot_predictions(truth, truth + 0.1, tmp_path / "pred.png", ["a", "b", "c"], "linnerud")
    files = list(tmp_path.iterdir())
    assert len(files) == 8  # one per call: no temporary file left behind
    for path in files:
        assert path.suffix == ".png"
        width, height = png_size(path)
        assert width >= 400 and height >= 400


# ----------------------------------------------------------------------------- learning curves
def test_train_and_validation_share_one_axes():
    figure = plots.curves_figure(records(), "loss")
    assert len(figure.axes) == 1
    (ax,) = figure.axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    numpy.testing.assert_array_equal(lines["training"].get_ydata(), [1, 1 / 2, 1 / 3, 1 / 4])
    numpy.testing.assert_allclose(lines["validation"].get_xdata(), [1, 2, 3, 4])
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend[:2] == ["training", "validation"]


def test_epoch_ticks_are_integers():
    for epochs in (2, 3, 7, 40):
        figure = plots.curves_figure(records(epochs), "loss")
        FigureCanvasAgg(figure).draw()
        ax = figure.axes[0]
        low, high = ax.get_xlim()
        ticks = [t for t in ax.get_xticks() if low <= t <= high]
        assert len(ticks) >= 2
        assert all(float(t).is_integer() for t in ticks), (epochs, ticks)


def test_title_names_the_data_set_and_the_final_values():
    title = plots.curves_figure(records(), "loss", title="fashion-mnist").axes[0].get_title()
    assert title.startswith("fashion-mnist: loss")
    assert "after epoch 4" in title and "training 0.25" in title and "validation 0.34" in title
    title = plots.curves_figure(records(), "accuracy", label="accuracy").axes[0].get_title()
    assert "training 0.5" in title and "validation" not in title


def test_the_best_validation_epoch_is_marked():
    rows = [{"epoch": e, "val_accuracy": v} for e, v in enumerate([0.5, 0.9, 0.7], start=1)]
    ax = plots.curves_figure(rows, "accuracy").axes[0]
    (best,) = [line for line in ax.get_lines() if line.get_label().startswith("best")]
    assert best.get_label() == "best validation 0.9 (epoch 2)"
    rows = [{"epoch": e, "val_loss": v} for e, v in enumerate([0.5, 0.2, 0.7], start=1)]
    ax = plots.curves_figure(rows, "loss").axes[0]
    assert "best validation 0.2 (epoch 2)" in [line.get_label() for line in ax.get_lines()]


def test_loss_axis_is_logarithmic_with_plain_labels():
    ax = plots.curves_figure(records(), "loss").axes[0]
    assert ax.get_yscale() == "log"
    assert ax.yaxis.get_major_formatter()(0.1, 0) == "0.1"
    assert ax.yaxis.get_minor_formatter()(0.3, 0) == "0.3"  # within a decade: 0.2, 0.3, 0.5
    assert plots.curves_figure(records(), "accuracy").axes[0].get_yscale() == "linear"


def test_curves_without_values_say_so():
    ax = plots.curves_figure(records(), "r2").axes[0]
    assert [text.get_text() for text in ax.texts] == ["no data"]


# ----------------------------------------------------------------------------- confusion matrix
def test_confusion_figure_grows_with_the_class_count_within_bounds(tmp_path):
    sizes = []
    for classes in (2, 10, 47, 200):
        figure = plots.confusion_matrix_figure(confusion(classes, 500))
        sizes.append(tuple(figure.get_size_inches()))
    widths = [w for w, _ in sizes]
    assert widths[0] < widths[1] < widths[2]
    assert widths[0] >= 5 and sizes[0][1] >= 4  # 2 classes: not a 200-pixel thumbnail
    assert sizes[2] == sizes[3] and widths[3] <= 16  # capped
    plots.plot_confusion_matrix(confusion(2), tmp_path / "2.png")
    plots.plot_confusion_matrix(confusion(10), tmp_path / "10.png")
    assert png_size(tmp_path / "2.png")[0] < png_size(tmp_path / "10.png")[0]


@pytest.mark.parametrize("normalize", [False, True])
def test_cell_text_contrasts_with_its_cell(normalize):
    # Counts and row fractions from 0 to the maximum in small steps: every shade gets a number.
    matrix = numpy.zeros((10, 10), dtype=int)
    matrix[:, 0] = numpy.arange(0, 100, 11)
    matrix[:, 1] = 100 - matrix[:, 0]
    (ax,) = panels(plots.confusion_matrix_figure(matrix, normalize=normalize))
    (image,) = ax.get_images()
    values = image.get_array()
    texts = cell_texts(ax)
    assert len(texts) == 100
    colors = set()
    for text in texts:
        column, row = (round(v) for v in text.get_position())
        cell = image.cmap(image.norm(values[row, column]))
        assert contrast(text.get_color(), cell) >= 4.5, (text.get_text(), cell)
        colors.add(text.get_color())
    assert colors == {"black", "white"}


def test_cell_numbers_are_counts_or_row_fractions():
    matrix = numpy.array([[8, 2, 0], [1, 3, 0], [0, 0, 0]])  # class 2 never occurs
    counts, recall = panels(plots.confusion_matrix_figure(matrix, normalize="both"))
    assert counts.get_title() == "counts"
    numbers = {tuple(round(v) for v in t.get_position()): t.get_text() for t in cell_texts(counts)}
    assert numbers[(0, 0)] == "8" and numbers[(1, 0)] == "2" and numbers[(0, 1)] == "1"
    (image,) = recall.get_images()
    numpy.testing.assert_allclose(image.get_array().sum(axis=1), [1, 1, 0])
    fractions = {
        tuple(round(v) for v in t.get_position()): t.get_text() for t in cell_texts(recall)
    }
    assert fractions[(0, 0)] == "0.80" and fractions[(1, 1)] == "0.75"
    assert fractions[(2, 2)] == "0.00"  # an empty row is zeros, not NaN
    assert "recall" in recall.get_title()


def test_normalize_chooses_the_panels():
    (recall,) = panels(plots.confusion_matrix_figure(confusion(4), normalize=True))
    assert "recall" in recall.get_title()
    (counts,) = panels(plots.confusion_matrix_figure(confusion(4)))
    assert counts.get_title() == "counts"


@pytest.mark.parametrize("classes", [2, 10, 47])
def test_labels_stay_legible(classes):
    labels = [f"class {i}" for i in range(classes)]
    figure = plots.confusion_matrix_figure(confusion(classes), labels)
    (ax,) = panels(figure)
    FigureCanvasAgg(figure).draw()
    ticks = ax.get_xticklabels()
    assert [t.get_text() for t in ticks] == labels == [t.get_text() for t in ax.get_yticklabels()]
    assert all(t.get_fontsize() >= 6 for t in ticks)
    texts = cell_texts(ax)
    if classes > plots.MAX_CLASSES_WITH_CELL_TEXT:
        assert texts == []  # colour only: numbers would not fit the cells
    else:
        assert len(texts) == classes**2 and all(t.get_fontsize() >= 5 for t in texts)
    # Neighbouring labels do not run into each other: one text line fits between two ticks
    # (measured across the text, which is slanted or vertical on the x axis).
    spacing = ax.transData.transform((1, 1)) - ax.transData.transform((0, 0))
    height = ticks[0].get_fontsize() * figure.dpi / 72
    angle = numpy.radians(ticks[0].get_rotation())
    assert height <= abs(spacing[1])
    if angle:
        assert height <= abs(spacing[0]) * numpy.sin(angle)
    else:
        boxes = [t.get_window_extent() for t in ticks]
        assert not any(a.overlaps(b) for a, b in itertools.pairwise(boxes))


def test_title_gives_the_sample_count_and_accuracy():
    figure = plots.confusion_matrix_figure([[5, 1], [2, 2]], title="digits test set")
    assert figure.get_suptitle() == "digits test set (10 samples, accuracy 70.00%)"


@pytest.mark.parametrize(
    ("matrix", "kwargs", "message"),
    [
        (numpy.zeros((2, 3)), {}, r"must be square \(C, C\) with C >= 1, got shape \(2, 3\)"),
        (numpy.zeros(3), {}, "must be square"),
        (numpy.zeros((0, 0)), {}, "C >= 1"),
        (numpy.zeros((2, 2)), {"labels": ["a"]}, "1 labels for a confusion matrix of 2 classes"),
        (numpy.zeros((2, 2)), {"normalize": "rows"}, "Invalid normalize 'rows'"),
    ],
)
def test_bad_confusion_matrices_are_named(matrix, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plots.confusion_matrix_figure(matrix, **kwargs)


# ----------------------------------------------------------------------------- predictions
def test_one_panel_per_target_with_the_identity_line_and_r2():
    truth = RNG.normal(size=(80, 4))
    predicted = truth + RNG.normal(scale=0.5, size=truth.shape)
    figure = plots.predictions_figure(truth, predicted, ["a", "b", "c", "d"], "linnerud test set")
    panels = [ax for ax in figure.axes if ax.get_visible()]
    assert len(panels) == 4
    assert figure.get_suptitle() == "linnerud test set"
    for column, (ax, name) in enumerate(zip(panels, "abcd", strict=True)):
        (points,) = ax.collections
        xy = numpy.column_stack([truth[:, column], predicted[:, column]])
        numpy.testing.assert_array_equal(points.get_offsets(), xy)
        (line,) = ax.get_lines()
        numpy.testing.assert_array_equal(line.get_xdata(), line.get_ydata())  # y = x
        r2 = r2_score(predicted[:, column], truth[:, column])
        assert ax.get_title() == f"{name}: R² = {r2:.3f}"
        assert ax.get_xlabel() == f"true {name}" and ax.get_ylabel() == f"predicted {name}"


def test_a_single_target_may_be_one_dimensional(tmp_path):
    truth = numpy.linspace(0, 1, 30)
    figure = plots.predictions_figure(truth, truth)
    (ax,) = figure.axes
    assert ax.get_title() == "y1: R² = 1.000"
    plots.plot_predictions(truth, truth[:, None], tmp_path / "one.png")
    assert png_size(tmp_path / "one.png")[0] >= 400


@pytest.mark.parametrize(
    ("truth", "predicted", "names", "message"),
    [
        (numpy.zeros((5, 2)), numpy.zeros((5, 3)), None, r"same shape.*\(5, 2\) and \(5, 3\)"),
        (numpy.zeros((0, 2)), numpy.zeros((0, 2)), None, "N > 0"),
        (numpy.zeros((5, 2)), numpy.zeros((5, 2)), ["a"], "1 names for 2 targets"),
    ],
)
def test_bad_predictions_are_named(truth, predicted, names, message):
    with pytest.raises(ValueError, match=message):
        plots.predictions_figure(truth, predicted, names)
