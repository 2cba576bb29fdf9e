"""Tests of mlplab.serve.app over HTTP and its websocket: sessions, bad input, limits, exports."""

import json
import shlex
import warnings
from pathlib import Path

import numpy
import pytest

import mlplab
from mlplab.cli import build_parser
from mlplab.cli.config import settings_from, settings_sources
from mlplab.serve import Limits, create_app
from mlplab.serve.export import onnx_export

with warnings.catch_warnings():  # Starlette's TestClient warns about httpx's successor
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SMALL = {"hidden": "4", "n_samples": 100, "epochs": 2}


@pytest.fixture
def client(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with TestClient(create_app(Limits(max_sessions=2), runs_dir=tmp_path / "runs")) as client:
            client.runs = tmp_path / "runs"
            yield client


def receive(socket, kind=None):
    """The next message of ``socket`` (of type ``kind``, skipping others)."""
    while True:
        message = json.loads(socket.receive_text())
        if kind is None or message["type"] == kind:
            return message


def start(socket, **settings):
    """Send the settings; returns the ``ready`` message and the first frame."""
    socket.send_text(json.dumps({"type": "start", "settings": settings}))
    ready = receive(socket)
    assert ready["type"] == "ready", ready
    return ready, receive(socket, "frame")


def send(socket, kind, **fields):
    socket.send_text(json.dumps({"type": kind, **fields}))


def test_the_page_and_its_files_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and 'id="play"' in page.text and 'id="boundary"' in page.text
    for name in ("playground.js", "playground.css"):
        assert client.get(f"/static/{name}").status_code == 200
    options = client.get("/api/options").json()
    assert options["datasets"]["spirals"]["task"] == "classification"
    assert options["datasets"]["sine"]["dimensions"] == 1
    assert options["limits"]["max_sessions"] == 2


def test_a_session_starts_steps_plays_and_resets(client):
    with client.websocket_connect("/api/live") as socket:
        ready, frame = start(socket, **SMALL)
        assert ready["layers"] == [2, 4, 2] and len(ready["points"]["train"]["x"]) == 50
        assert frame["step"] == 0 and frame["boundary"]["shape"] == [100, 100]
        send(socket, "ack")
        send(socket, "step")
        assert receive(socket, "frame")["step"] == 1
        send(socket, "ack")
        send(socket, "play")
        steps = []
        while not steps or not frame["finished"]:
            frame = receive(socket, "frame")
            steps.append(frame["step"])
            send(socket, "ack")
        assert steps == sorted(steps) and frame["step"] == 10  # 2 epochs of 5 batches
        assert frame["playing"] is False and frame["epoch"] == 2
        send(socket, "reset")
        assert receive(socket)["type"] == "ready" and receive(socket, "frame")["step"] == 0


def test_bad_input_gets_a_message_naming_the_control(client):
    with client.websocket_connect("/api/live") as socket:
        send(socket, "play")
        assert "send start first" in receive(socket)["message"]
        for settings, field, words in [
            ({"hidden": "8-x"}, "hidden", "joined by '-'"),
            ({"lr": "fast"}, "lr", "expected a number"),
            ({"optimizer": "lbfgs"}, "optimizer", "choose one of"),
            ({"dataset": "sine", "features": "x2"}, "features", "1-D points"),
            ({"regularization": "decoupled", "reg_rate": 0.1}, "regularization", "AdamW"),
        ]:
            send(socket, "start", settings=settings)
            error = receive(socket)
            assert error["type"] == "error" and error["field"] == field, error
            assert words in error["message"]
        socket.send_text("{not json")
        assert "not JSON" in receive(socket)["message"]
        send(socket, "jump")
        assert "unknown type 'jump'" in receive(socket)["message"]


def test_two_tabs_have_isolated_sessions_and_a_third_is_refused(client):
    with client.websocket_connect("/api/live") as one, client.websocket_connect("/api/live") as two:
        first, _ = start(one, **SMALL)
        second, _ = start(two, **{**SMALL, "dataset": "moons", "hidden": "3-3"})
        assert first["id"] != second["id"] and second["layers"] == [2, 3, 3, 2]
        for _ in range(3):
            send(one, "step")
            frame = receive(one, "frame")
            send(one, "ack")
        assert frame["step"] == 3
        send(two, "step")
        assert receive(two, "frame")["step"] == 1
        with client.websocket_connect("/api/live") as three:
            send(three, "start", settings=SMALL)
            error = receive(three)
            assert error["field"] == "session" and "2 sessions" in error["message"]
    # The tabs closed: their sessions ended, and their exports are gone.
    assert client.get(f"/api/sessions/{first['id']}/export").status_code == 404


def test_limits_refuse_big_networks_and_data(client):
    with client.websocket_connect("/api/live") as socket:
        send(socket, "start", settings={"hidden": "600-600"})
        error = receive(socket)
        assert error["field"] == "hidden" and "allows 200,000" in error["message"]
        send(socket, "start", settings={"n_samples": 10**9})
        error = receive(socket)
        assert error["field"] == "n_samples" and "up to 5,000" in error["message"]


def test_divergence_is_reported_in_words_and_pauses(client):
    with client.websocket_connect("/api/live") as socket:
        start(socket, dataset="sine", optimizer="sgd", lr=5, loss="mse", hidden="8")
        send(socket, "ack")
        send(socket, "play")
        frame = receive(socket, "frame")
        while not frame["error"]:
            send(socket, "ack")
            frame = receive(socket, "frame")
        assert "Training diverged" in frame["error"] and "lower the learning rate" in frame["error"]
        assert frame["playing"] is False and "boundary" not in frame


def test_exports_rebuild_the_same_run(client, tmp_path, monkeypatch):
    with client.websocket_connect("/api/live") as socket:
        ready, _ = start(
            socket, **SMALL, noise=0.1, dropout=0.1, regularization="l2", reg_rate=1e-3
        )
        send(socket, "ack")
        send(socket, "play")
        while not receive(socket, "frame")["finished"]:
            send(socket, "ack")
        base = f"/api/sessions/{ready['id']}"
        # The model file loads and gives the session's outputs.
        (tmp_path / "model.safetensors").write_bytes(client.get(f"{base}/model").content)
        model = mlplab.load(tmp_path / "model.safetensors")
        assert model.get_config()["sizes"] == [2, 4, 2]
        # The command line, with its TOML file, gives the session's settings back.
        texts = client.get(f"{base}/export").json()
        (tmp_path / texts["toml_file"]).write_text(texts["toml"])
        monkeypatch.chdir(tmp_path)
        args = build_parser().parse_args(shlex.split(texts["command"])[1:])
        given, toml, _ = settings_sources(args)
        assert settings_from(given, toml, texts["toml_file"]).to_dict() == ready["settings"]
        # The Python snippet trains the same network to the same test figures.
        scope = {}
        exec(texts["python"].replace("print(result.test)", ""), scope)
        for mine, theirs in zip(
            model.parameters(), scope["result"].model.parameters(), strict=True
        ):
            numpy.testing.assert_array_equal(numpy.asarray(mine.data), numpy.asarray(theirs.data))
        # Saved as a run folder on the server, with the same test figures.
        saved = client.post(f"{base}/save").json()
        assert saved["epochs"] == 2
        results = json.loads(
            (client.runs / Path(saved["folder"]).name / "results.json").read_text()
        )
        assert scope["result"].test["accuracy"] == pytest.approx(results["test"]["accuracy"])


def test_onnx_export_or_a_clear_not_available(client, tmp_path):
    with client.websocket_connect("/api/live") as socket:
        ready, _ = start(socket, **SMALL)
        response = client.get(f"/api/sessions/{ready['id']}/onnx")
        if onnx_export() is None:
            assert response.status_code == 501 and "not available" in response.json()["error"]
        else:
            import onnx

            assert response.status_code == 200
            onnx.checker.check_model(onnx.load_from_string(response.content))


def test_an_ended_or_unknown_session_is_a_clear_404(client):
    response = client.get("/api/sessions/nope/model")
    assert response.status_code == 404 and "reload the page" in response.json()["error"]
    assert client.post("/api/sessions/nope/save").status_code == 404


def test_an_uploaded_csv_becomes_the_data_set(client):
    rows = "".join(f"{i % 7 / 7},{i % 5 / 5},{'in' if (i % 7) < 3 else 'out'}\n" for i in range(60))
    stored = client.post("/api/upload?dataset=csv", content=("a,b,where\n" + rows).encode())
    assert stored.status_code == 200, stored.text
    body = stored.json()
    assert body["rows"] == 60 and body["inputs"] == 2 and body["classes"] == ["in", "out"]
    with client.websocket_connect("/api/live") as socket:
        ready, frame = start(socket, dataset="csv", upload=body["upload"], hidden="4")
        assert ready["layers"] == [2, 4, 2] and len(ready["points"]["test"]["x"]) == 30
        assert frame["boundary"]["kind"] == "classes"
        for upload, words in [("", "upload one first"), ("../../etc/passwd", "not an upload"),
                              ("0" * 32, "no longer on this server")]:  # fmt: skip
            send(socket, "start", settings={"dataset": "csv", "upload": upload})
            error = receive(socket, "error")
            assert error["field"] == "upload" and words in error["message"]


@pytest.mark.parametrize(
    ("query", "content", "words"),
    [
        ("csv", b"1,2,0\n", "1 data rows"),
        ("csv", b"".join(b"1,2,3,%d\n" % (i % 2) for i in range(10)), "3 input columns"),
        ("csv", b"1,2,1\n1,x,0\n" * 3, "row 2, column 2 holds 'x'"),
        ("spirals", b"1,0\n" * 10, "upload as one of csv, csv-regression"),
        ("csv", b"1,0\n" * 400_000, "up to 1,000,000"),
    ],
)
def test_a_bad_upload_is_refused_with_the_reason(client, query, content, words):
    response = client.post(f"/api/upload?dataset={query}", content=content)
    assert response.status_code == 400 and words in response.json()["error"]
    assert response.json()["field"] == "upload"
    assert not list((client.runs / "uploads").glob("*.csv"))
