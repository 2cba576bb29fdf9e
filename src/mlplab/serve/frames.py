"""Frames: what the page draws after each burst of training, as compact JSON.

A frame carries the step, the train and test figures (and the test confusion matrix), the
decision boundary (or regression curve), every hidden neuron's map, per-layer gradient norms and
dead units. The images travel as
base64 of small integer arrays -- the boundary as one byte of class and one of confidence per
pixel, each neuron map as signed bytes scaled by its largest magnitude -- so a 100×100 boundary
costs 27 kB of text and is decoded by the page with ``atob`` alone.
"""

import base64

import numpy


def _b64(array):
    """The bytes of ``array`` as base64 text."""
    return base64.b64encode(numpy.ascontiguousarray(array).tobytes()).decode("ascii")


def encode_boundary(boundary):
    """The boundary of :meth:`Session.boundary` as JSON-ready data.

    Classification: ``{"kind": "classes", "data": b64(classes bytes + confidence bytes)}`` with
    confidence in 0-255; regression: ``{"kind": "values", "data": b64(float32 values)}``.
    """
    if "classes" in boundary:
        confidence = numpy.clip(boundary["confidence"] * 255.0 + 0.5, 0, 255).astype(numpy.uint8)
        payload = numpy.concatenate([boundary["classes"].reshape(-1), confidence.reshape(-1)])
        return {"kind": "classes", "shape": list(boundary["classes"].shape), "data": _b64(payload)}
    values = boundary["values"].astype(numpy.float32)
    return {"kind": "values", "shape": list(values.shape), "data": _b64(values)}


def encode_neurons(layers):
    """Neuron maps of :meth:`Session.neuron_maps`: per layer int8 maps and each map's scale."""
    encoded = []
    for maps in layers:
        flat = maps.reshape(len(maps), -1).astype(numpy.float64)
        flat = numpy.nan_to_num(flat, nan=0.0, posinf=0.0, neginf=0.0)
        scale = numpy.abs(flat).max(axis=1)
        safe = numpy.where(scale > 0, scale, 1.0)
        data = numpy.round(flat / safe[:, None] * 127).astype(numpy.int8)
        encoded.append({"shape": list(maps.shape), "scale": scale.tolist(), "data": _b64(data)})
    return encoded


def frame(session, error=None):
    """Everything the page draws for ``session`` now, as one JSON-ready dict."""
    document = {
        "type": "frame",
        "step": session.step_count,
        "epoch": session.epoch,
        "lr": session.learning_rate,
        "finished": session.finished,
        "error": error or session.error,
        "figures": session.figures(),
        "gradient_norms": session.gradient_norms(),
        "dead_units": session.dead_units(),
        "confusion_matrix": session.confusion_matrix(),
    }
    if document["error"] is None:
        document["boundary"] = encode_boundary(session.boundary())
        document["neurons"] = encode_neurons(session.neuron_maps())
    return document


def describe(entry):
    """What the page needs once per session: its id, the points, the drawn area, the network."""
    session = entry.session
    return {
        "type": "ready",
        "id": entry.id,
        "task": session.task.name,
        "layers": session.settings.layers,
        "settings": session.settings.to_dict(),
        "points": session.points(),
        "extent": session.extent,
        "class_count": session.settings.layers[-1] if session.task.targets == "classes" else 0,
    }
