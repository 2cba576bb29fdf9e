"""ONNX interop: ``export(model, path)`` writes an mlplab network as ONNX, ``load(path)`` reads
an MLP-shaped ONNX file back as an mlplab network. Needs the optional ``onnx`` package
(``pip install "mlplab[onnx]"``), imported only when one of them is called."""

from mlplab.onnx.errors import OnnxExportError, OnnxImportError
from mlplab.onnx.export import IR_VERSION, OPSET, PREPROCESSING_KEY, export
from mlplab.onnx.load import load, read_metadata

__all__ = [
    "IR_VERSION",
    "OPSET",
    "PREPROCESSING_KEY",
    "OnnxExportError",
    "OnnxImportError",
    "export",
    "load",
    "read_metadata",
]
