"""The server's sessions: one training session per browser tab, isolated, within limits.

Each tab gets a :class:`mlplab.experiment.session.Session` of its own, reached by a random id that
only that tab is told. :class:`Limits` bound what one page can ask of the machine -- the size of
the network and the data, how many sessions exist at once, how long a session may train and how
long it may sit unused -- and a request beyond them is refused with a message saying which limit
and by how much.
"""

import itertools
import secrets
import time
from dataclasses import dataclass, field

from mlplab.experiment import SettingsError
from mlplab.experiment.session import Session
from mlplab.serve.page import PageError, page_field, to_settings


@dataclass(frozen=True)
class Limits:
    """What one session, and the server as a whole, may use.

    Attributes
    ----------
    max_sessions : int
        Sessions alive at once (one per open tab).
    max_parameters : int
        Trainable parameters of one network.
    max_samples : int
        Points of one data set (``n_samples``).
    max_epochs : int
        Epochs one session may be set to train.
    max_training_seconds : float
        Wall-clock seconds of training one session may spend in all.
    idle_seconds : float
        A session unused this long is ended to make room for others.
    max_upload_bytes : int
        Size of one uploaded CSV file.
    """

    max_sessions: int = 8
    max_parameters: int = 200_000
    max_samples: int = 5_000
    max_epochs: int = 100_000
    max_training_seconds: float = 1800.0
    idle_seconds: float = 900.0
    max_upload_bytes: int = 1_000_000

    def check_page(self, page):
        """Refuse a page asking for more points than allowed, before any data are made."""
        try:
            samples = int(float(page.get("n_samples", 0)))
        except (TypeError, ValueError, AttributeError):
            return  # not a number: reading the settings says so
        if samples > self.max_samples:
            raise PageError(
                "n_samples", f"{samples:,} points; this server allows up to {self.max_samples:,}"
            )

    def check(self, settings):
        """Refuse ``settings`` whose network or data exceed the limits (PageError)."""
        sizes = settings.layers
        parameters = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
        if parameters > self.max_parameters:
            raise PageError(
                "hidden",
                f"{'-'.join(map(str, sizes))} has {parameters:,} parameters; this server allows "
                f"{self.max_parameters:,}: use fewer or narrower layers",
            )
        if settings.epochs > self.max_epochs:
            raise PageError(
                "epochs",
                f"{settings.epochs:,} epochs; this server allows up to {self.max_epochs:,}",
            )


@dataclass
class Entry:
    """A live session and what the manager knows of it."""

    id: str
    page: dict
    session: Session
    created: float = field(default_factory=time.monotonic)
    used: float = field(default_factory=time.monotonic)
    training_seconds: float = 0.0


class SessionLimitError(PageError):
    """A request the server's limits refuse (too many sessions, training time spent)."""


class SessionManager:
    """The sessions of one server, by id; see the module docstring."""

    def __init__(self, limits=None, uploads=None):
        self.limits = limits or Limits()
        self.uploads = uploads
        self._entries = {}

    def __len__(self):
        return len(self._entries)

    def create(self, page):
        """A new session for the page's settings ``page``; returns its :class:`Entry`.

        Raises
        ------
        PageError
            For settings that do not make a run or exceed the limits; SessionLimitError when the
            server already holds ``max_sessions``.
        """
        settings = self._settings(page)
        self.expire()
        if len(self._entries) >= self.limits.max_sessions:
            raise SessionLimitError(
                "session",
                f"the server already runs {len(self._entries)} sessions, its limit; close another "
                "playground tab, or try again later",
            )
        entry = Entry(secrets.token_urlsafe(16), dict(page), _build(settings))
        self._entries[entry.id] = entry
        return entry

    def replace(self, entry, page):
        """Rebuild ``entry``'s session from new settings (or the same ones: a reset)."""
        settings = self._settings(page)
        entry.session = _build(settings)
        entry.page = dict(page)
        entry.training_seconds = 0.0
        entry.used = time.monotonic()
        return entry

    def _settings(self, page):
        """The run's Settings for ``page``, within the limits (PageError otherwise)."""
        if isinstance(page, dict):
            self.limits.check_page(page)
        settings = to_settings(page, self.uploads)
        self.limits.check(settings)
        return settings

    def get(self, session_id):
        """The entry of ``session_id``, or None when there is none (ended, or never made)."""
        entry = self._entries.get(session_id)
        if entry is not None:
            entry.used = time.monotonic()
        return entry

    def remove(self, session_id):
        """End the session ``session_id`` (nothing happens if it has ended already)."""
        self._entries.pop(session_id, None)

    def expire(self):
        """End the sessions left unused for longer than ``idle_seconds``."""
        now = time.monotonic()
        for key in [k for k, e in self._entries.items() if now - e.used > self.limits.idle_seconds]:
            del self._entries[key]

    def train(self, entry, seconds):
        """Train ``entry``'s session for about ``seconds`` within its time limit; steps taken."""
        left = self.limits.max_training_seconds - entry.training_seconds
        if left <= 0:
            raise SessionLimitError(
                "session",
                f"this session has trained for {self.limits.max_training_seconds:g} s, the "
                "server's limit per session; save or export it, then press reset",
            )
        started = time.perf_counter()
        try:
            return entry.session.train_for(min(seconds, left))
        finally:
            entry.training_seconds += time.perf_counter() - started
            entry.used = time.monotonic()


def _build(settings):
    """The session of ``settings``; a SettingsError from building it as a PageError."""
    try:
        return Session(settings)
    except SettingsError as error:
        raise PageError(page_field(error.setting), error.detail) from None
