"""mlplab.serve: the playground, a web page that trains real networks live (``mlplab serve``)."""

from mlplab.serve.app import create_app
from mlplab.serve.sessions import Limits, SessionManager

__all__ = ["Limits", "SessionManager", "create_app"]
