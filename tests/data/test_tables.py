"""Tests of mlplab.data.tables: your own data as a CSV file."""

import numpy
import pytest

from mlplab.data import load_dataset


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_classification_csv_with_a_header_and_text_labels(tmp_path):
    rows = "".join(f"{i / 10},{-i / 10},{'cat' if i % 2 else 'dog'}\n" for i in range(20))
    path = write(tmp_path, "width,height,kind\n" + rows)
    data = load_dataset("csv", path=str(path), test_fraction=0.25, seed=1)
    assert data.task == "classification" and data.class_names == ("cat", "dog")
    assert data.x_train.shape == (15, 2) and data.x_test.shape == (5, 2)
    assert data.meta["columns"] == ["width", "height"] and data.meta["features"] == ["x1", "x2"]
    x = numpy.concatenate([data.x_train, data.x_test])
    y = numpy.concatenate([data.y_train, data.y_test])
    # Each row keeps its label: odd rows (x1 = i/10 with i odd) are cats, class 0.
    odd = numpy.round(x[:, 0] * 10).astype(int) % 2 == 1
    numpy.testing.assert_array_equal(y, numpy.where(odd, 0, 1))
    again = load_dataset("csv", path=str(path), test_fraction=0.25, seed=1)
    numpy.testing.assert_array_equal(again.x_test, data.x_test)


def test_numeric_labels_sort_as_numbers_and_features_apply(tmp_path):
    path = write(tmp_path, "".join(f"{i},{i % 3},{[10, 2, 1][i % 3]}\n" for i in range(12)))
    data = load_dataset("csv", path=str(path), features=["x1*x2"])
    assert data.class_names == ("1", "2", "10") and data.feature_shape == (1,)
    assert data.meta["columns"] == ["x1", "x2"]


def test_a_regression_csv_has_one_target(tmp_path):
    path = write(tmp_path, "".join(f"{i},{2 * i + 1}\n" for i in range(10)))
    data = load_dataset("csv-regression", path=str(path))
    assert data.task == "regression" and data.y_train.shape == (8, 1)
    numpy.testing.assert_allclose(data.y_train[:, 0], 2 * data.x_train[:, 0] + 1)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a,b,c\n1,2,x\n3,4,y\n", "2 data rows; give at least 4"),
        ("1,2,0\n1,oops,1\n1,2,0\n3,3,1\n", "row 2, column 2 holds 'oops', not a number"),
        ("x,y\n1,0\n2,0\n3,0\n4,0\n", "one class only"),
        ("1,2,0\n1,2\n1,2,0\n3,3,1\n", "row 2 has 2 columns, not 3"),
        ("1\n2\n3\n4\n", "one column"),
        ("1,2,0\n1,inf,1\n1,2,0\n3,3,1\n", "row 2, column 2"),
    ],
)
def test_bad_files_name_the_row_and_column(tmp_path, text, words):
    with pytest.raises(ValueError, match="Invalid CSV") as caught:
        load_dataset("csv", path=str(write(tmp_path, text)))
    assert words in str(caught.value)


def test_a_regression_target_must_be_a_number(tmp_path):
    path = write(tmp_path, "x,y\n1,2\n2,3\n3,high\n4,5\n")
    with pytest.raises(ValueError, match="row 4, column 2 holds 'high'"):
        load_dataset("csv-regression", path=str(path))


def test_the_path_is_required_and_must_exist(tmp_path):
    with pytest.raises(ValueError, match="give the option path"):
        load_dataset("csv")
    with pytest.raises(ValueError, match="cannot read CSV"):
        load_dataset("csv", path=str(tmp_path / "missing.csv"))
