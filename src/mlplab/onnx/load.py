"""Load an MLP-shaped ONNX file as an mlplab network, so one trained elsewhere can be inspected
and evaluated here.

The graph must be a chain from its one input to its one output of linear layers -- a Gemm, or a
MatMul with its weights and an optional Add of the bias -- and the activations ONNX names
(Relu, Sigmoid, Tanh, LeakyRelu, Elu, Softplus, Softmax, LogSoftmax); Identity, Dropout and
Flatten are passed over. Any other node is refused, by name. Reading an ONNX file parses a
protocol buffer: nothing in it is run.
"""

import json

import numpy

from mlplab import nn
from mlplab.onnx.errors import OnnxImportError, require_onnx


def _attribute(attributes, name, default):
    """A float attribute as the number it was written as (ONNX keeps float32: 0.01, not
    0.009999999776)."""
    return float(str(numpy.float32(attributes.get(name, default))))


_ACTIVATIONS = {
    "Relu": lambda attributes: nn.ReLU(),
    "Sigmoid": lambda attributes: nn.Sigmoid(),
    "Tanh": lambda attributes: nn.Tanh(),
    "LeakyRelu": lambda attributes: nn.LeakyReLU(_attribute(attributes, "alpha", 0.01)),
    "Elu": lambda attributes: nn.ELU(_attribute(attributes, "alpha", 1.0)),
    "Softplus": lambda attributes: nn.Softplus(),
    "Softmax": lambda attributes: nn.Softmax(dim=attributes.get("axis", -1)),
    "LogSoftmax": lambda attributes: nn.LogSoftmax(dim=attributes.get("axis", -1)),
}
_PASSED_OVER = ("Identity", "Dropout", "Flatten")  # the identity on (batch, features) inference
_LINEAR = ("Gemm", "MatMul")


def load(path):
    """The network in the ONNX file ``path`` as an ``mlplab.nn.Sequential``.

    Raises
    ------
    OnnxImportError
        For a file that is not ONNX, or a graph that is not an MLP chain: names the node.
    """
    onnx = require_onnx()
    model = _read(onnx, path)
    from onnx import helper, numpy_helper

    graph = model.graph
    weights = {item.name: numpy_helper.to_array(item) for item in graph.initializer}
    inputs = [value.name for value in graph.input if value.name not in weights]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise OnnxImportError(
            f"{path}: the graph has {len(inputs)} inputs and {len(graph.output)} outputs; an MLP "
            "has one of each"
        )
    nodes = list(graph.node)
    layers, current, index = [], inputs[0], 0
    while index < len(nodes):
        node = nodes[index]
        attributes = {item.name: helper.get_attribute_value(item) for item in node.attribute}
        if not node.input or node.input[0] != current:
            raise OnnxImportError(
                f"{path}: node {node.name!r} ({node.op_type}) does not take the previous node's "
                "output first: mlplab loads a chain of layers, not a general graph"
            )
        if node.op_type == "Gemm":
            layers.append(_gemm(path, node, attributes, weights))
        elif node.op_type == "MatMul":
            bias_node = _bias_add(nodes, index, weights)
            layers.append(_matmul(path, node, bias_node, weights))
            if bias_node is not None:
                index, node = index + 1, bias_node
        elif node.op_type in _ACTIVATIONS:
            layers.append(_ACTIVATIONS[node.op_type](attributes))
        elif node.op_type not in _PASSED_OVER:
            raise OnnxImportError(
                f"{path}: node {node.name!r} is {node.op_type}, which mlplab cannot load; it "
                "loads MLPs: Gemm, or MatMul with Add, and the activations "
                f"{', '.join(_ACTIVATIONS)} ({', '.join(_PASSED_OVER)} are passed over)"
            )
        current = node.output[0]
        index += 1
    if current != graph.output[0].name:
        raise OnnxImportError(f"{path}: the chain of nodes does not end at the graph's output")
    if not any(isinstance(layer, nn.Linear) for layer in layers):
        raise OnnxImportError(f"{path}: the graph has no Gemm or MatMul layer")
    return nn.Sequential(*layers)


def read_metadata(path):
    """The metadata of the ONNX file ``path``: key -> value (JSON values decoded)."""
    model = _read(require_onnx(), path)
    entries = {}
    for entry in model.metadata_props:
        try:
            entries[entry.key] = json.loads(entry.value)
        except ValueError:
            entries[entry.key] = entry.value
    return entries


def _read(onnx, path):
    """The ModelProto in ``path``; OnnxImportError if the file cannot be read as one."""
    try:
        return onnx.load(str(path))
    except OSError as error:
        raise OnnxImportError(f"cannot read {path}: {error.strerror or error}") from None
    except Exception as error:  # protobuf's DecodeError and its kin: not an ONNX file
        raise OnnxImportError(f"{path} is not an ONNX model file ({error})") from None


def _constant(path, node, name, weights):
    """The initializer ``name`` a layer node uses as weights; OnnxImportError if it is computed."""
    if name not in weights:
        raise OnnxImportError(
            f"{path}: node {node.name!r} ({node.op_type}) takes {name!r}, which is not a stored "
            "weight: mlplab loads layers whose weights are initializers"
        )
    return weights[name]


def _gemm(path, node, attributes, weights):
    """Y = alpha A B' + beta C as a Linear layer (W stored (out, in), as mlplab keeps it)."""
    if attributes.get("transA", 0):
        raise OnnxImportError(f"{path}: node {node.name!r} is a Gemm with transA=1")
    matrix = _constant(path, node, node.input[1], weights) * attributes.get("alpha", 1.0)
    weight = matrix if attributes.get("transB", 0) else matrix.T
    bias = None
    if len(node.input) > 2 and node.input[2]:
        bias = _constant(path, node, node.input[2], weights) * attributes.get("beta", 1.0)
    return _linear(path, node, weight, bias)


def _bias_add(nodes, index, weights):
    """The Add node right after the MatMul at ``index`` that adds a stored bias, else None."""
    if index + 1 >= len(nodes):
        return None
    after = nodes[index + 1]
    adds_bias = after.op_type == "Add" and after.input[0] == nodes[index].output[0]
    return after if adds_bias and after.input[1] in weights else None


def _matmul(path, node, bias_node, weights):
    """x W (+ b) as a Linear layer (W stored (in, out) by MatMul)."""
    weight = _constant(path, node, node.input[1], weights).T
    bias = None if bias_node is None else weights[bias_node.input[1]]
    return _linear(path, node, weight, bias)


def _linear(path, node, weight, bias):
    """A Linear layer holding ``weight`` (out, in) and ``bias`` (out,) or None."""
    if weight.ndim != 2 or weight.dtype.kind != "f":
        raise OnnxImportError(
            f"{path}: node {node.name!r} has weights of shape {weight.shape} and type "
            f"{weight.dtype}: a linear layer's are a float matrix"
        )
    out_features, in_features = weight.shape
    dtype = "float64" if weight.dtype == numpy.float64 else "float32"
    layer = nn.Linear(in_features, out_features, bias=bias is not None, dtype=dtype)
    state = {"weight": weight.astype(dtype)}
    if bias is not None:
        bias = bias.reshape(-1)
        if bias.size == 1:  # ONNX broadcasts a single bias to every output
            bias = numpy.full(out_features, bias[0])
        if bias.shape != (out_features,):
            raise OnnxImportError(
                f"{path}: node {node.name!r} adds a bias of shape {bias.shape} to "
                f"{out_features} outputs"
            )
        state["bias"] = numpy.ascontiguousarray(bias, dtype=dtype)
    layer.load_state_dict(state)
    return layer
