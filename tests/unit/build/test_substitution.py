import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubelite.build.substitution import SubstitutionError, process_word, process_words

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


@pytest.mark.parametrize(("word", "env", "expected"), [
    ("${V%%\\**}", {"V": "xx**"}, "xx"),                 # an escaped star in a pattern is literal
    ("${V#*x*y}", {"V": "xxyy"}, "y"),
    ("${V##*x}", {"V": "xxyy"}, "yy"),
    ("${V#?\\?}", {"V": "???y"}, "?y"),
    ("${U:-.}${V%x}${U:-.}", {"V": "xxyy"}, ".xxyy."),
    ("${V/$N/.} ${V//$N/.}", {"V": "/a*/*/*.t", "N": "\\*/"}, "/a.*/*.t /a..*.t"),
    ("${V/$N/} ${V//$N/}", {"V": "/tmp/tmp/x", "N": "/tmp"}, "/tmp/x /x"),
    ("${V//?/-}", {"V": "abc"}, "---"),
    ("${V/[ab]/-}", {"V": "cab"}, "c-b"),
    ("${V//\\//\\/}", {"V": "/a/b"}, "\\/a\\/b"),       # the replacement keeps its escapes
])
def test_pattern_modifiers(word: str, env: dict[str, str], expected: str) -> None:
    assert process_word(word, env) == expected


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


PLAIN = st.text(alphabet=st.characters(blacklist_characters="$\\'\"`", blacklist_categories=("Cs",)))
NAMES = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)


@given(PLAIN)
def test_text_without_specials_is_unchanged(text: str) -> None:
    assert process_word(text, ENV) == text


@given(NAMES, PLAIN)
def test_variables_expand_to_their_value_in_every_spelling(name: str, value: str) -> None:
    env = {name: value}
    assert process_word("${" + name + "}", env) == value
    assert process_word('"${' + name + '}"', env) == value
    assert process_word("'${" + name + "}'", env) == "${" + name + "}"
    assert process_word("${" + name + ":-d}", env) == (value or "d")


@given(st.lists(st.text(alphabet="abc xyz", min_size=1), min_size=1, max_size=5))
def test_quoted_words_survive_splitting(words: list[str]) -> None:
    quoted = " ".join("'" + w + "'" for w in words)
    assert process_words(quoted, ENV) == words
