"""Export an mlplab network to ONNX: linear layers and activations as ONNX nodes, checked.

The graph takes ``input`` (batch, features) in float32 and gives ``output``; dropout is left
out (an exported network is for inference), and a softmax can be appended to output
probabilities. The opset is fixed (:data:`OPSET`) and the IR version is one that current ONNX
Runtime loads. ``onnx.checker`` checks the model before it is written, atomically. How the
network's inputs are to be scaled is recorded in the model's metadata (:data:`PREPROCESSING_KEY`).
"""

import json
import math

import numpy

import mlplab
from mlplab import nn
from mlplab.nn.activations import registered_name
from mlplab.onnx.errors import OnnxExportError, require_onnx
from mlplab.utils import atomic_write_bytes

OPSET = 17
"""The ONNX operator set every exported file uses."""

IR_VERSION = 8
"""The ONNX IR version of exported files: opset 17's own, which every ONNX Runtime since 1.13
loads."""

PREPROCESSING_KEY = "mlplab.preprocessing"
"""Metadata key of the input (and target) scaling, as JSON (a run's ``preprocessing``)."""

INPUT, OUTPUT = "input", "output"


class _Graph:
    """The nodes and initializers of the graph being built, and the name of the current value."""

    def __init__(self, helper, numpy_helper):
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes, self.initializers = [], []
        self.current = INPUT

    def constant(self, name, array):
        """Add a float32 initializer; returns its name."""
        self.initializers.append(
            self.numpy_helper.from_array(numpy.asarray(array, numpy.float32), name)
        )
        return name

    def node(self, op, *inputs, **attributes):
        """Add a node of ``op`` on ``inputs`` (the current value first if none are named)."""
        output = f"{op.lower()}_{len(self.nodes)}"
        inputs = inputs or (self.current,)
        self.nodes.append(
            self.helper.make_node(op, list(inputs), [output], name=output, **attributes)
        )
        self.current = output
        return output


def _linear(graph, layer, index):
    """y = x W^T + b as one Gemm (transB: W is stored (out, in), as in PyTorch)."""
    weight = graph.constant(f"layer{index}.weight", numpy.asarray(layer.weight))
    inputs = [graph.current, weight]
    if layer.bias is not None:
        inputs.append(graph.constant(f"layer{index}.bias", numpy.asarray(layer.bias)))
    graph.node("Gemm", *inputs, transB=1)


def _gelu(graph, layer, index):
    """GELU from primitives (ONNX has Gelu only from opset 20): exact (Erf) or tanh form."""
    x = graph.current
    if layer.approximate == "tanh":
        # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = graph.node("Mul", x, graph.node("Mul", x, x))
        inner = graph.node(
            "Add", x, graph.node("Mul", cube, graph.constant(f"gelu{index}.c", 0.044715))
        )
        scaled = graph.node("Mul", inner, graph.constant(f"gelu{index}.k", math.sqrt(2 / math.pi)))
        core = graph.node("Tanh", scaled)
    else:
        # 0.5 x (1 + erf(x / sqrt 2))
        core = graph.node(
            "Erf", graph.node("Mul", x, graph.constant(f"gelu{index}.k", 1 / math.sqrt(2)))
        )
    one_plus = graph.node("Add", core, graph.constant(f"gelu{index}.one", 1.0))
    half_x = graph.node("Mul", x, graph.constant(f"gelu{index}.half", 0.5))
    graph.node("Mul", half_x, one_plus)


def _softplus(graph, layer, index):
    """log(1 + e^(beta x)) / beta. ONNX's Softplus has no threshold; above it the two differ by
    under log(1 + e^-threshold) / beta (2e-9 at the default 20), below float32's resolution."""
    if layer.beta == 1:
        graph.node("Softplus")
        return
    beta = graph.constant(f"softplus{index}.beta", layer.beta)
    graph.node("Softplus", graph.node("Mul", graph.current, beta))
    graph.node("Div", graph.current, beta)


def _silu(graph, layer, index):
    """x sigmoid(x): ONNX has no SiLU node."""
    x = graph.current
    graph.node("Mul", x, graph.node("Sigmoid", x))


# How each activation of ``nn.ACTIVATIONS``, by its registry name, becomes nodes:
# ``write(graph, layer, index)``.
_ACTIVATION_WRITERS = {
    "sigmoid": lambda graph, layer, index: graph.node("Sigmoid"),
    "tanh": lambda graph, layer, index: graph.node("Tanh"),
    "relu": lambda graph, layer, index: graph.node("Relu"),
    "leaky_relu": lambda graph, layer, index: graph.node(
        "LeakyRelu", alpha=float(layer.negative_slope)
    ),
    "elu": lambda graph, layer, index: graph.node("Elu", alpha=float(layer.alpha)),
    "gelu": _gelu,
    "silu": _silu,
    "softplus": _softplus,
    "softmax": lambda graph, layer, index: graph.node("Softmax", axis=layer.dim),
    "log_softmax": lambda graph, layer, index: graph.node("LogSoftmax", axis=layer.dim),
}
_LAYER_WRITERS = {
    nn.Linear: _linear,
    nn.Flatten: lambda graph, layer, index: graph.node("Flatten", axis=layer.start_dim),
}
_SKIPPED = (nn.Dropout, nn.Identity)  # the identity at inference


def export(model, path, *, softmax=False, preprocessing=None, metadata=None):
    """Write ``model`` to ``path`` as an ONNX file; returns the path.

    Parameters
    ----------
    model : mlplab.nn.Sequential
        An MLP, or any Sequential of Linear layers, activations, Dropout, Identity and Flatten,
        in float32.
    path : str or os.PathLike
    softmax : bool
        Append a softmax over the outputs, so the file gives class probabilities.
    preprocessing : dict, optional
        How raw inputs are scaled for the network (a run's ``preprocessing``, or an estimator's
        ``preprocessing_``), kept in the metadata under :data:`PREPROCESSING_KEY`.
    metadata : dict of str to str or JSON-ready data, optional
        More metadata entries (a value that is not a string is stored as JSON).

    Raises
    ------
    OnnxExportError
        Before anything is written: a layer ONNX cannot express (named), a float64 network, or
        not a Sequential.
    """
    onnx = require_onnx()
    from onnx import TensorProto, helper, numpy_helper

    layers = _exported_layers(model)
    graph = _Graph(helper, numpy_helper)
    for index, layer in enumerate(layers):
        _writer(layer)(graph, layer, index)
    if softmax and not isinstance(layers[-1], nn.Softmax):
        graph.node("Softmax", axis=-1)
    graph.nodes[-1].output[0] = OUTPUT
    linears = [layer for layer in layers if isinstance(layer, nn.Linear)]
    inputs = [
        helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, ["batch", linears[0].in_features])
    ]
    outputs = [
        helper.make_tensor_value_info(
            OUTPUT, TensorProto.FLOAT, ["batch", linears[-1].out_features]
        )
    ]
    proto = helper.make_model(
        helper.make_graph(graph.nodes, "mlplab", inputs, outputs, graph.initializers),
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
        producer_name="mlplab",
        producer_version=mlplab.__version__,
    )
    entries = dict(metadata or {})
    if preprocessing is not None:
        entries[PREPROCESSING_KEY] = preprocessing
    for key, value in entries.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = str(key), value if isinstance(value, str) else json.dumps(value)
    onnx.checker.check_model(proto, full_check=True)
    atomic_write_bytes(path, proto.SerializeToString())
    return path


def _writer(layer):
    """The function writing ``layer``'s nodes, or None if it has no ONNX form."""
    name = registered_name(layer)
    if name is not None:
        return _ACTIVATION_WRITERS.get(name)
    return _LAYER_WRITERS.get(type(layer))


def _exported_layers(model):
    """The layers of ``model`` that become nodes; OnnxExportError for what cannot be exported."""
    if not isinstance(model, nn.Sequential):
        raise OnnxExportError(
            f"export takes an MLP or another nn.Sequential, not {type(model).__name__}"
        )
    layers = [layer for layer in model if not isinstance(layer, _SKIPPED)]
    for index, layer in enumerate(layers):
        if _writer(layer) is None:
            supported = [cls.__name__ for cls in (*_LAYER_WRITERS, *_SKIPPED)]
            supported += [f"{name} activations" for name in _ACTIVATION_WRITERS]
            raise OnnxExportError(
                f"layer {index} ({type(layer).__name__}) has no ONNX form here; export supports "
                f"{', '.join(supported)}"
            )
    linears = [layer for layer in layers if isinstance(layer, nn.Linear)]
    if not linears:
        raise OnnxExportError("the network has no Linear layer: there is nothing to export")
    dtypes = sorted({numpy.asarray(layer.weight).dtype.name for layer in linears})
    if dtypes != ["float32"]:
        raise OnnxExportError(
            f"the network's weights are {', '.join(dtypes)}; export float32 networks (the type "
            "serving runtimes run): build or load the model with dtype='float32'"
        )
    return layers
