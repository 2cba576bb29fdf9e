"""ONNX export: ONNX Runtime gives mlplab's outputs; the file is checked and self-describing."""

import numpy
import onnx
import onnxruntime
import pytest

import mlplab
from mlplab import nn
from mlplab.experiment import Settings, run
from mlplab.experiment.data import scale_inputs
from mlplab.onnx import IR_VERSION, OPSET, OnnxExportError, export, read_metadata
from mlplab.sklearn import MLPClassifier

ACTIVATIONS = nn.activations.HIDDEN_ACTIVATIONS  # every one the registry has
DEPTHS = {"no hidden layer": [6, 3], "one": [6, 16, 3], "three": [6, 32, 16, 8, 3]}


def _session(path):
    return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _mlplab_outputs(model, x):
    model.eval()
    with mlplab.no_grad():
        return model(mlplab.tensor(x)).numpy()


@pytest.mark.parametrize("depth", list(DEPTHS))
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_onnx_runtime_matches_mlplab(tmp_path, activation, depth):
    model = nn.MLP(DEPTHS[depth], activation=activation, dropout=0.3, generator=mlplab.Generator(1))
    x = mlplab.Generator(2).normal((64, 6), std=3.0)  # wide inputs reach every regime
    path = export(model, tmp_path / "model.onnx")
    (output,) = _session(path).run(None, {"input": x})
    assert output.dtype == numpy.float32
    assert numpy.abs(output - _mlplab_outputs(model, x)).max() <= 1e-5


@pytest.mark.parametrize(
    "layer",
    [nn.LeakyReLU(0.2), nn.ELU(0.5), nn.GELU(approximate="tanh"), nn.Softplus(beta=2.0),
     nn.Softplus(beta=0.5, threshold=5.0)],
    ids=repr,
)  # fmt: skip
def test_activation_settings_are_exported(tmp_path, layer):
    model = nn.Sequential(nn.Linear(4, 5, generator=mlplab.Generator(0)), layer, nn.Linear(5, 2))
    x = mlplab.Generator(3).normal((50, 4), std=4.0)
    (output,) = _session(export(model, tmp_path / "m.onnx")).run(None, {"input": x})
    assert numpy.abs(output - _mlplab_outputs(model, x)).max() <= 1e-5


def test_file_is_checked_versioned_and_without_dropout(tmp_path):
    model = nn.MLP([6, 8, 3], dropout=0.5, output_activation="log_softmax")
    proto = onnx.load(str(export(model, tmp_path / "m.onnx")))
    onnx.checker.check_model(proto, full_check=True)
    assert proto.ir_version == IR_VERSION and [op.version for op in proto.opset_import] == [OPSET]
    assert 13 <= OPSET <= 17
    assert [node.op_type for node in proto.graph.node] == ["Gemm", "Relu", "Gemm", "LogSoftmax"]


def test_softmax_output_gives_probabilities(tmp_path):
    model = nn.MLP([6, 8, 3], generator=mlplab.Generator(0))
    x = mlplab.Generator(1).normal((20, 6))
    (probabilities,) = _session(export(model, tmp_path / "p.onnx", softmax=True)).run(
        None, {"input": x}
    )
    expected = mlplab.functional.softmax(mlplab.tensor(_mlplab_outputs(model, x)), dim=1).numpy()
    assert numpy.abs(probabilities - expected).max() <= 1e-6


def test_preprocessing_and_metadata_recorded(tmp_path):
    rule = {"inputs": {"kind": "standardize", "mean": [1.0, 2.0], "std": [3.0, 4.0]},
            "targets": None}  # fmt: skip
    path = export(nn.MLP([2, 3]), tmp_path / "m.onnx", preprocessing=rule, metadata={"note": "x"})
    assert read_metadata(path) == {"mlplab.preprocessing": rule, "note": "x"}


class _Square(nn.Module):
    def forward(self, input):
        return input * input


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (nn.Sequential(nn.Linear(2, 3), _Square(), nn.Linear(3, 1)), r"layer 1 \(_Square\)"),
        (nn.MLP([2, 3], dtype="float64"), "float64"),
        (nn.Linear(2, 3), "not Linear"),
        (nn.Sequential(nn.ReLU()), "no Linear layer"),
    ],
    ids=["unknown layer", "float64", "not a Sequential", "no layer"],
)
def test_what_cannot_be_exported_is_named_and_nothing_written(tmp_path, model, message):
    with pytest.raises(OnnxExportError, match=message):
        export(model, tmp_path / "m.onnx")
    assert not list(tmp_path.iterdir())


def test_estimator_exports_with_its_scaling(tmp_path, digits):
    x_train, x_test, y_train, _ = digits
    estimator = MLPClassifier((32,), max_iter=5, random_state=0).fit(x_train, y_train)
    path = export(estimator.model_, tmp_path / "digits.onnx", softmax=True,
                  preprocessing=estimator.preprocessing_)  # fmt: skip
    rule = read_metadata(path)["mlplab.preprocessing"]["inputs"]
    (probabilities,) = _session(path).run(None, {"input": scale_inputs(x_test, rule)})
    assert numpy.abs(probabilities - estimator.predict_proba(x_test)).max() <= 1e-5


@pytest.mark.debian_data("dataset-fashion-mnist")
def test_exported_fashion_mnist_model_keeps_its_test_accuracy(tmp_path):
    settings = Settings(dataset="fashion-mnist", layers=[784, 128, 10], epochs=1, batch_size=100,
                        val_split=0.0, download=False)  # fmt: skip
    result = run(settings, progress=False)
    path = export(result.model, tmp_path / "fashion.onnx", preprocessing=result.preprocessing)
    test = mlplab.data.load_dataset("fashion-mnist", download=False, splits=("test",))
    rule = read_metadata(path)["mlplab.preprocessing"]["inputs"]
    (logits,) = _session(path).run(None, {"input": scale_inputs(test.x_test, rule)})
    accuracy = float((logits.argmax(axis=1) == test.y_test).mean())
    assert result.test["accuracy"] > 0.8
    assert accuracy == result.test["accuracy"]
