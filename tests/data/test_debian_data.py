"""Tests of the ``debian_data`` marker's rule (tests/conftest.py): skip locally, fail in CI."""

import importlib.util
from pathlib import Path

import pytest

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"


@pytest.fixture(scope="module")
def rules():
    """tests/conftest.py loaded as a module of its own, to call its functions directly."""
    spec = importlib.util.spec_from_file_location("suite_conftest", CONFTEST)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PACKAGE = "dataset-fashion-mnist"


@pytest.mark.parametrize("value", ["", "false", "0", "no"])
def test_missing_package_is_skipped_outside_ci_with_the_install_command(rules, value):
    action, reason = rules.debian_data_verdict([PACKAGE], {"CI": value}, lambda _: False)
    assert action == "skip"
    assert f"apt-get install {PACKAGE}" in reason


@pytest.mark.parametrize("value", ["true", "TRUE", "1", "yes"])
def test_missing_package_is_a_failure_in_ci(rules, value):
    action, reason = rules.debian_data_verdict([PACKAGE], {"CI": value}, lambda _: False)
    assert action == "fail"
    assert PACKAGE in reason and "CI=true" in reason


@pytest.mark.parametrize("environ", [{}, {"CI": "true"}])
def test_installed_package_runs_the_test(rules, environ):
    assert rules.debian_data_verdict([PACKAGE], environ, lambda _: True) is None


def test_unknown_or_missing_package_name_is_a_failure(rules):
    action, reason = rules.debian_data_verdict(["dataset-nope"], {}, lambda _: True)
    assert action == "fail" and "DEBIAN_DATA" in reason
    action, reason = rules.debian_data_verdict([], {}, lambda _: True)
    assert action == "fail" and "needs a package name" in reason


def test_every_known_package_names_the_folder_it_installs(rules):
    assert rules.DEBIAN_DATA[PACKAGE] == "/usr/share/datasets/fashion-mnist"


SANDBOX_TESTS = """
import pytest

@pytest.mark.debian_data("fake-present")
def test_present():
    pass

@pytest.mark.debian_data("fake-missing")
def test_missing():
    raise AssertionError("a test whose data is missing must not run")
"""


@pytest.fixture
def sandbox(pytester, tmp_path):
    """A pytester folder with tests/conftest.py, knowing one present and one missing package."""
    present = tmp_path / "present"
    present.mkdir()
    pytester.makeconftest(
        CONFTEST.read_text()
        + f"\nDEBIAN_DATA.update({{'fake-present': {str(present)!r}, "
        + f"'fake-missing': {str(tmp_path / 'absent')!r}}})\n"
    )
    pytester.makepyfile(SANDBOX_TESTS)
    return pytester


def test_a_plain_run_skips_saying_what_to_install(sandbox, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    result = sandbox.runpytest("-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        ["*SKIPPED*needs Debian's fake-missing*apt-get install fake-missing*"]
    )


def test_a_ci_run_fails_the_test_instead(sandbox, monkeypatch):
    monkeypatch.setenv("CI", "true")
    result = sandbox.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*FAILED*test_missing*CI=true*fake-missing*"])
    assert "must not run" not in result.stdout.str()
