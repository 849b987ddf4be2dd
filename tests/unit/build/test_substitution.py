import pytest

from kubelite.build.substitution import SubstitutionError, process_word, process_words, referenced

pytestmark = pytest.mark.unit

ENV = {"A": "apple", "E": "", "SP": "a b", "PATHV": "/usr/local/bin/tool.tar.gz"}


@pytest.mark.parametrize(("word", "expected"), [
    ("$A", "apple"),
    ("${A}", "apple"),
    ("x${A}y", "xappley"),
    ("$A.$A", "apple.apple"),
    ("$NOPE|", "|"),
    ("${NOPE:-dflt}", "dflt"),
    ("${E:-dflt}", "dflt"),
    ("${E-dflt}", ""),
    ("${NOPE-dflt}", "dflt"),
    ("${A:-dflt}", "apple"),
    ("${A:+alt}", "alt"),
    ("${E:+alt}", ""),
    ("${E+alt}", "alt"),
    ("${NOPE:+alt}", ""),
    ("${NOPE:-$A}", "apple"),
    ("${NOPE:-${A}s}", "apples"),
    ("\\$A", "$A"),
    ("'$A'", "$A"),
    ('"$A"', "apple"),
    ('"\\$A"', "$A"),
    ('"a\\b"', "a\\b"),
    ('"a\\"b"', 'a"b'),
    ("a\\ b", "a b"),
    ("$", "$"),
    ("$ x", "$ x"),
    ("100$", "100$"),
    ("${PATHV#*/}", "usr/local/bin/tool.tar.gz"),
    ("${PATHV##*/}", "tool.tar.gz"),
    ("${PATHV%.*}", "/usr/local/bin/tool.tar"),
    ("${PATHV%%.*}", "/usr/local/bin/tool"),
    ("${A/p/P}", "aPple"),
    ("${A//p/P}", "aPPle"),
    ("${SP}", "a b"),
])
def test_process_word(word: str, expected: str) -> None:
    assert process_word(word, ENV) == expected


def test_process_words_splits_unquoted_blanks_and_expansions() -> None:
    assert process_words("a $SP 'c d' \"\" e\\ f", ENV) == ["a", "a", "b", "c d", "", "e f"]
    assert process_words('"$SP"', ENV) == ["a b"]
    assert process_words("  ", ENV) == []


def test_backtick_escape() -> None:
    assert process_word("`$A", ENV, escape="`") == "$A"
    assert process_word("c:\\dir", ENV, escape="`") == "c:\\dir"


@pytest.mark.parametrize("word", ["'open", '"open', "${A", "${A:x}", "${NOPE:?must be set}", "${}"])
def test_errors(word: str) -> None:
    with pytest.raises(SubstitutionError):
        process_word(word, ENV)


def test_error_message_of_required_variable() -> None:
    with pytest.raises(SubstitutionError, match="NOPE: must be set"):
        process_word("${NOPE:?must be set}", ENV)


def test_referenced_names() -> None:
    assert referenced("$A ${B:-$C} '$D' \\$E", ENV) == {"A", "B", "C"}
