"""The playground's web app: the page, its options, a live channel per tab, and the exports.

Routes
------
``GET /``                              the page (``static/index.html``), its script and style
``GET /api/options``                   what the page offers, read from the library's registries
``WS  /api/live``                      one tab's session: settings, play/pause/step/reset, frames
``GET /api/sessions/{id}/model``       the trained network as an mlplab model file
``GET /api/sessions/{id}/onnx``        the same as ONNX (when ``mlplab.onnx`` is there)
``GET /api/sessions/{id}/export``      the settings as ``mlplab train`` options, TOML and Python
``POST /api/sessions/{id}/save``       the session saved as a normal run folder on the server
``POST /api/upload?dataset=csv``       the learner's own CSV file, kept under an id

Training runs on the server's event loop in bursts of a few milliseconds, with the frames and
messages of every tab in between: sessions share the machine fairly and no two touch the engine
at once. A frame is sent when the page has drawn the one before (it acknowledges each), so a
slow page gets fewer frames, never a backlog.
"""

import asyncio
import json
import tempfile
import time
from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocketDisconnect

from mlplab.experiment.folder import RunFolderError, default_folder
from mlplab.serve import export, frames
from mlplab.serve.page import PageError, options
from mlplab.serve.sessions import SessionManager
from mlplab.serve.uploads import store_upload
from mlplab.train.loop import NonFiniteLossError

STATIC = Path(__file__).parent / "static"
FRAME_SECONDS = 1 / 70  # a frame this often at most: above the 60 a page draws per second
# Training between two looks at the sockets: short, so that a page's acknowledgement is read
# within milliseconds (reading one takes the event loop a few passes).
BURST_SECONDS = 0.003
MIN_BURST_SECONDS = 0.0005  # at least a step or so, even when a frame is already due
CREDITS = 2  # frames the page may have in flight before it acknowledges one
MESSAGES = ("start", "play", "pause", "step", "reset", "ack")  # what a page may send


def create_app(limits=None, runs_dir="runs"):
    """The playground's Starlette app.

    Parameters
    ----------
    limits : mlplab.serve.Limits, optional
        What one page may use (default: :class:`~mlplab.serve.Limits`'s defaults).
    runs_dir : str or os.PathLike
        Where "save as a run folder" puts the runs.
    """
    app = Starlette(
        routes=[
            Route("/", _index),
            Route("/api/options", _options),
            WebSocketRoute("/api/live", _live),
            Route("/api/sessions/{id}/model", _model),
            Route("/api/sessions/{id}/onnx", _onnx),
            Route("/api/sessions/{id}/export", _export),
            Route("/api/sessions/{id}/save", _save, methods=["POST"]),
            Route("/api/upload", _upload, methods=["POST"]),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ]
    )
    app.state.runs_dir = Path(runs_dir)
    app.state.manager = SessionManager(limits, uploads=app.state.runs_dir / "uploads")
    app.state.options = options()
    return app


async def _index(request):
    return FileResponse(STATIC / "index.html")


async def _options(request):
    return JSONResponse({**request.app.state.options, "limits": _limits(request.app)})


def _limits(app):
    """The server's limits, for the page to show."""
    limits = app.state.manager.limits
    return {name: getattr(limits, name) for name in limits.__dataclass_fields__}


def _entry(request):
    """The session the request's id names; None when it has ended."""
    return request.app.state.manager.get(request.path_params["id"])


def _gone():
    return JSONResponse(
        {"error": "this session has ended (its tab closed, or it sat unused); reload the page"},
        status_code=404,
    )


async def _model(request):
    entry = _entry(request)
    if entry is None:
        return _gone()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.safetensors"
        entry.session.save_model(path)
        data = path.read_bytes()
    return _download(data, f"playground-{entry.session.settings.dataset}.safetensors")


async def _onnx(request):
    entry = _entry(request)
    if entry is None:
        return _gone()
    exporter = export.onnx_export()
    if exporter is None:
        return JSONResponse(
            {
                "error": "ONNX export is not available on this server: it needs mlplab's ONNX "
                'interop (mlplab.onnx) and pip install "mlplab[onnx]"; download the mlplab '
                "model file instead and convert it later with mlplab export"
            },
            status_code=501,
        )
    session = entry.session
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.onnx"
        try:
            exporter(session.model, path, preprocessing=session.parts.data.preprocessing)
        except (ImportError, ValueError) as error:  # onnx missing; a layer ONNX cannot express
            return JSONResponse({"error": f"ONNX export failed: {error}"}, status_code=501)
        data = path.read_bytes()
    return _download(data, f"playground-{entry.session.settings.dataset}.onnx")


def _download(data, name):
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def _export(request):
    entry = _entry(request)
    if entry is None:
        return _gone()
    settings = entry.session.settings
    return JSONResponse(
        {
            "command": export.command_line(settings),
            "toml": export.toml_text(settings),
            "toml_file": export.CONFIG_FILE,
            "python": export.python_snippet(settings),
        }
    )


async def _save(request):
    entry = _entry(request)
    if entry is None:
        return _gone()
    session = entry.session
    folder = default_folder(f"playground-{session.settings.dataset}", request.app.state.runs_dir)
    try:
        session.save(folder)
    except (RunFolderError, OSError) as error:
        return JSONResponse({"error": f"cannot save the run: {error}"}, status_code=500)
    return JSONResponse({"folder": str(folder), "epochs": session.epoch})


async def _upload(request):
    manager = request.app.state.manager
    limit = manager.limits.max_upload_bytes
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:  # stop reading: the size alone refuses it
            break
    try:
        stored = store_upload(manager.uploads, data, request.query_params.get("dataset"),
                              manager.limits)  # fmt: skip
    except PageError as error:
        return JSONResponse({"field": error.field, "error": error.detail}, status_code=400)
    return JSONResponse(stored)


# ---------------------------------------------------------------------- the live channel
async def _live(websocket):
    """One tab's session, for as long as its socket is open."""
    await websocket.accept()
    inbox = asyncio.Queue()
    reader = asyncio.create_task(_read(websocket, inbox))
    live = _Live(websocket.app.state.manager, websocket)
    try:
        while True:
            message = await _next_message(inbox, wait=not live.playing)
            if message is _CLOSED:
                break
            if message is not None:
                await live.handle(message)
            if live.playing:
                await live.train()
            await live.send_frame_if_due()
            await asyncio.sleep(0)  # let other tabs' sessions have their turn
    except WebSocketDisconnect:
        pass
    finally:
        reader.cancel()
        live.close()


_CLOSED = object()


async def _read(websocket, inbox):
    """Put every message of the socket in ``inbox`` (a dict, or an error text), then _CLOSED."""
    try:
        async for text in websocket.iter_text():
            try:
                message = json.loads(text)
            except ValueError:
                message = f"not JSON: {text[:80]!r}"
            await inbox.put(message)
    except WebSocketDisconnect:
        pass
    finally:
        await inbox.put(_CLOSED)


async def _next_message(inbox, wait):
    """The next message: waited for (while paused), or None at once if there is none."""
    if wait:
        return await inbox.get()
    try:
        return inbox.get_nowait()
    except asyncio.QueueEmpty:
        return None


class _Live:
    """The state of one tab's live channel: its session, whether it plays, its frame credit."""

    def __init__(self, manager, websocket):
        self.manager = manager
        self.websocket = websocket
        self.entry = None
        self.playing = False
        self.credits = CREDITS
        self.dirty = False
        self.error = None
        self.last_frame = 0.0

    async def handle(self, message):
        """Act on one message of the page."""
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self._refuse("message", f"expected an object with a type, got {message!r}")
            return
        kind = message["type"]
        if kind not in MESSAGES:
            await self._refuse("message", f"unknown type {kind!r}: use {', '.join(MESSAGES)}")
        elif kind == "ack":
            self.credits = min(CREDITS, self.credits + 1)
        elif kind == "start":
            await self._start(message.get("settings", {}))
        elif self.entry is None:
            await self._refuse("session", f"{kind!r} before any settings: send start first")
        elif kind == "play":
            self.playing = not self.entry.session.finished
            self.dirty = True
        elif kind == "pause":
            self.playing = False
        elif kind == "step":
            self.playing = False
            self._guarded(lambda: self.entry.session.step(1))
            self.dirty = True
        else:  # reset: the same settings, new initial weights from the same seed
            await self._start(self.entry.page)

    async def _start(self, page):
        """Build (or rebuild) the tab's session from the page's settings, and describe it."""
        self.playing = False
        self.error = None
        try:
            if self.entry is None:
                self.entry = self.manager.create(page)
            else:
                self.manager.replace(self.entry, page)
        except PageError as error:
            await self._refuse(error.field, error.detail)
            return
        await self.websocket.send_text(json.dumps(frames.describe(self.entry)))
        self.dirty = True

    async def train(self):
        """One burst of training; a divergence or a spent time limit pauses with its message."""
        # A burst ends when the next frame is due, so that frames leave on time.
        due = self.last_frame + FRAME_SECONDS - time.perf_counter()
        burst = min(BURST_SECONDS, max(MIN_BURST_SECONDS, due))
        self._guarded(lambda: self.manager.train(self.entry, burst))
        if self.entry.session.finished:
            self.playing = False
        self.dirty = True

    def _guarded(self, action):
        """Run ``action``; a divergence or a limit becomes the tab's error and pauses it."""
        try:
            action()
        except NonFiniteLossError as error:
            self.error, self.playing = str(error), False
        except PageError as error:
            self.error, self.playing = error.detail, False

    async def send_frame_if_due(self):
        """Send a frame when something changed and the page has drawn enough of the last ones."""
        if self.entry is None or not self.dirty or self.credits <= 0:
            return
        now = time.perf_counter()
        if self.playing and now - self.last_frame < FRAME_SECONDS:
            return
        self.last_frame = now
        document = frames.frame(self.entry.session, self.error)
        document["playing"] = self.playing
        await self.websocket.send_text(json.dumps(document))
        self.credits -= 1
        self.dirty = False

    async def _refuse(self, field, detail):
        """Tell the page what is wrong with its input."""
        await self.websocket.send_text(
            json.dumps({"type": "error", "field": field, "message": detail})
        )

    def close(self):
        """End the tab's session."""
        if self.entry is not None:
            self.manager.remove(self.entry.id)
