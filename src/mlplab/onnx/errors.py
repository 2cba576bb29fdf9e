"""The errors of ONNX export and import, and the one place the optional ``onnx`` is imported."""


class OnnxExportError(ValueError):
    """A network that cannot be exported to ONNX: names the layer or property at fault."""


class OnnxImportError(ValueError):
    """An ONNX file that is not an MLP mlplab can rebuild: names the node or value at fault."""


def require_onnx():
    """The ``onnx`` module; ImportError saying how to install it when it is missing."""
    try:
        import onnx
    except ImportError:
        raise ImportError(
            'ONNX export and import need the onnx package: pip install "mlplab[onnx]"'
        ) from None
    return onnx
