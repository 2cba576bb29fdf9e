"""ONNX import: MLP-shaped files from mlplab or elsewhere become mlplab networks; others are
refused by name."""

import sys

import numpy
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import mlplab
from mlplab import nn
from mlplab.onnx import OnnxImportError, export, load


def _outputs(model, x):
    model.eval()
    with mlplab.no_grad():
        return model(mlplab.tensor(x)).numpy()


def _write(tmp_path, nodes, initializers, features=4, outputs=2, name="m.onnx"):
    """An ONNX file of ``nodes`` from 'x' to 'y', as another tool might write it."""
    graph = helper.make_graph(
        nodes, "elsewhere",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", features])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", outputs])],
        [numpy_helper.from_array(array, key) for key, array in initializers.items()],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=7)
    onnx.checker.check_model(model)
    path = tmp_path / name
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus"])
def test_round_trip_keeps_the_outputs(tmp_path, activation):
    model = nn.MLP([5, 9, 7, 3], activation=activation, dropout=0.1, output_activation="softmax",
                   generator=mlplab.Generator(0))  # fmt: skip
    back = load(export(model, tmp_path / "m.onnx"))
    x = mlplab.Generator(1).normal((30, 5), std=2.0)
    assert numpy.array_equal(_outputs(back, x), _outputs(model, x))
    linears = [layer for layer in back if isinstance(layer, nn.Linear)]
    assert [layer.out_features for layer in linears] == [9, 7, 3]


def test_matmul_add_and_gemm_forms_from_elsewhere(tmp_path):
    rng = numpy.random.default_rng(0)
    w1, b1 = rng.normal(size=(4, 6)).astype(numpy.float32), rng.normal(size=6).astype(numpy.float32)
    w2, b2 = rng.normal(size=(6, 2)).astype(numpy.float32), rng.normal(size=2).astype(numpy.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h"]),
        helper.make_node("Add", ["h", "b1"], ["hb"]),
        helper.make_node("LeakyRelu", ["hb"], ["a"], alpha=0.1),
        helper.make_node("Gemm", ["a", "w2", "b2"], ["y"], alpha=2.0, beta=0.5),  # transB=0
    ]
    model = load(_write(tmp_path, nodes, {"w1": w1, "b1": b1, "w2": w2, "b2": b2}))
    x = rng.normal(size=(10, 4)).astype(numpy.float32)
    hidden = x @ w1 + b1
    expected = 2.0 * numpy.where(hidden > 0, hidden, 0.1 * hidden) @ w2 + 0.5 * b2
    numpy.testing.assert_allclose(_outputs(model, x), expected, rtol=1e-5, atol=1e-5)


def test_matmul_without_bias(tmp_path):
    w = numpy.arange(8, dtype=numpy.float32).reshape(4, 2)
    model = load(_write(tmp_path, [helper.make_node("MatMul", ["x", "w"], ["y"])], {"w": w}))
    assert model[0].bias is None
    assert numpy.array_equal(_outputs(model, numpy.eye(4, dtype=numpy.float32)), w)


def test_unsupported_node_is_named(tmp_path):
    w = numpy.ones((4, 2), numpy.float32)
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"], name="dense"),
             helper.make_node("HardSigmoid", ["h"], ["y"], name="odd_activation")]  # fmt: skip
    with pytest.raises(OnnxImportError, match="'odd_activation' is HardSigmoid"):
        load(_write(tmp_path, nodes, {"w": w}))


def test_branching_graph_is_refused(tmp_path):
    w = numpy.ones((4, 4), numpy.float32)
    nodes = [helper.make_node("MatMul", ["x", "w"], ["h"]),
             helper.make_node("Relu", ["x"], ["r"], name="skip"),
             helper.make_node("Add", ["h", "r"], ["y"])]  # fmt: skip
    with pytest.raises(OnnxImportError, match=r"'skip'.*not a general graph"):
        load(_write(tmp_path, nodes, {"w": w}, outputs=4))


def test_computed_weights_are_refused(tmp_path):
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="dense")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4]),
         helper.make_tensor_value_info("w", TensorProto.FLOAT, [4, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2])],
    )  # fmt: skip
    path = tmp_path / "two_inputs.onnx"
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(OnnxImportError, match="2 inputs"):
        load(path)


def test_exported_gelu_is_refused_by_name(tmp_path):
    path = export(nn.MLP([3, 4, 2], activation="gelu"), tmp_path / "gelu.onnx")
    with pytest.raises(OnnxImportError, match="is Mul"):  # GELU is several nodes before opset 20
        load(path)


def test_not_an_onnx_file(tmp_path):
    path = tmp_path / "junk.onnx"
    path.write_bytes(b"\x80\x04 definitely not protobuf \xff\xff\xff")
    with pytest.raises(OnnxImportError, match=r"junk\.onnx"):
        load(path)
    with pytest.raises(OnnxImportError, match="cannot read"):
        load(tmp_path / "missing.onnx")


def test_missing_onnx_package_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "mlplab\[onnx\]"'):
        export(nn.MLP([2, 2]), tmp_path / "m.onnx")
    with pytest.raises(ImportError, match=r'pip install "mlplab\[onnx\]"'):
        load(tmp_path / "m.onnx")
