"""The playground's initialization control: offered from nn.INITIALIZERS, read into Settings and
back, kept in the URL, and exported as ``--init`` and in the Python snippet."""

import json
import shlex
import warnings
from urllib.parse import parse_qsl, urlencode

import pytest

from mlplab import nn
from mlplab.cli import build_parser
from mlplab.cli.config import settings_from, settings_sources
from mlplab.serve import Limits, create_app
from mlplab.serve.export import command_line, python_snippet
from mlplab.serve.page import DEFAULTS, PageError, from_settings, options, to_settings

with warnings.catch_warnings():  # Starlette's TestClient warns about httpx's successor
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def test_the_schemes_offered_are_the_registrys_with_their_descriptions():
    offered = options()["initializers"]
    assert list(offered) == list(nn.INITIALIZERS)
    for name, entry in nn.INITIALIZERS.items():
        assert offered[name]["description"] == entry.description
        assert nn.parse_init(offered[name]["spec"]) == (entry, entry.default)
    assert offered["normal"]["spec"] == f"normal:{nn.INITIALIZERS['normal'].default:g}"
    assert DEFAULTS["init"] == "default"


def test_the_page_value_becomes_the_run_setting():
    assert to_settings({}).init == "default"
    assert to_settings({"init": ""}).init == "default"
    assert to_settings({"init": "xavier-normal"}).init == "xavier-normal"
    assert to_settings({"init": " normal:0.3 "}).init == "normal:0.3"


@pytest.mark.parametrize("value", ["glorot", "normal:-1", 7])
def test_a_bad_scheme_names_the_init_control(value):
    with pytest.raises(PageError) as caught:
        to_settings({"init": value})
    assert caught.value.field == "init" and caught.value.detail


def test_settings_page_and_url_round_trip():
    settings = to_settings({"dataset": "moons", "hidden": "5", "init": "kaiming-uniform"})
    page = from_settings(settings)
    assert page["init"] == "kaiming-uniform"
    # What the page writes into its address, every value as text, read back by the server.
    url = urlencode({key: value for key, value in page.items() if value != DEFAULTS[key]})
    assert "init=kaiming-uniform" in url
    assert to_settings(dict(parse_qsl(url))) == settings


def _parsed(command):
    """The Settings the ``mlplab train`` command line ``command`` gives."""
    args = build_parser().parse_args(shlex.split(command)[1:])
    given, toml, _ = settings_sources(args)
    return settings_from(given, toml, None)


def test_exports_carry_the_scheme_when_it_is_not_the_default():
    settings = to_settings({"hidden": "4", "init": "normal:0.2", "n_samples": 100})
    command = command_line(settings)
    assert "--init normal:0.2" in command
    assert _parsed(command.replace(" --config playground.toml", "")).init == "normal:0.2"
    assert "'init': 'normal:0.2'" in python_snippet(settings)
    assert "--init" not in command_line(to_settings({"hidden": "4"}))


def test_a_session_trains_with_the_scheme_and_exports_it(tmp_path):
    app = create_app(Limits(max_sessions=1), runs_dir=tmp_path / "runs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with TestClient(app) as client, client.websocket_connect("/api/live") as socket:
            settings = {"hidden": "4", "n_samples": 100, "init": "zeros"}
            socket.send_text(json.dumps({"type": "start", "settings": settings}))
            ready = json.loads(socket.receive_text())
            assert ready["type"] == "ready" and ready["settings"]["init"] == "zeros"
            texts = client.get(f"/api/sessions/{ready['id']}/export").json()
    assert "--init zeros" in texts["command"]
