"""SettingError: a bad value of a named setting, shared by the registries and the experiments."""


class SettingError(ValueError):
    """A setting that cannot be used: names the setting, the value and what to do instead.

    ``setting`` is the name of the setting at fault (None when several are) and ``detail`` the
    message without it; ``str()`` is ``"setting: detail"``. Front ends print the setting in their
    own spelling (``--weight-decay``).
    """

    def __init__(self, setting, detail):
        self.setting = setting
        self.detail = detail
        super().__init__(detail if setting is None else f"{setting}: {detail}")

    def __reduce__(self):
        # Errors cross process boundaries (worker pools): rebuild from both arguments.
        return type(self), (self.setting, self.detail)
