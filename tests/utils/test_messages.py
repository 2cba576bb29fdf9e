"""mlplab.utils.messages: reprs and problem lists in error messages stay short."""

from mlplab.utils.messages import listed, short_repr, shorten


def test_short_text_is_kept_and_long_text_is_cut():
    assert shorten("abc") == "abc"
    assert shorten("x" * 1000, 20) == "x" * 17 + "..."
    assert len(shorten("x" * 1000)) == 200
    assert short_repr("ab") == "'ab'"
    assert short_repr(list(range(10**5))).endswith("...") and len(short_repr([0] * 10**5)) == 60


def test_a_list_shows_ten_problems_then_counts_the_rest():
    assert listed([]) == ""
    assert listed(["a", "b"]) == "\n  a\n  b"
    lines = listed(f"problem {i}" for i in range(2_000_000)).split("\n")
    assert lines[1:11] == [f"  problem {i}" for i in range(10)]
    assert lines[11:] == ["  ... and 1999990 more"]
    assert len(listed(["y" * 10**6])) < 210
