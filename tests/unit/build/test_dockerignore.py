import pytest

from kubelite.build.dockerignore import Matcher, parse

pytestmark = pytest.mark.unit


def test_parse_normalises_like_docker() -> None:
    text = "# comment\n  \n/abs/path  \n!  keep.txt\n./dir/../other\n #not a comment\n*.log   \n"
    assert parse(text) == ["abs/path", "!keep.txt", "other", "#not a comment", "*.log"]


@pytest.mark.parametrize(("patterns", "path", "excluded"), [
    (["*.log"], "a.log", True),
    (["*.log"], "dir/a.log", False),              # * does not cross directories
    (["*/*.log"], "dir/a.log", True),
    (["**/*.log"], "a.log", True),                 # ** matches zero directories too
    (["**/*.log"], "x/y/z/a.log", True),
    (["node_modules"], "node_modules/pkg/index.js", True),   # a parent match covers the subtree
    (["a?c"], "abc", True),
    (["a?c"], "a/c", False),
    (["[a-c].txt"], "b.txt", True),
    (["[!a-c].txt"], "b.txt", False),
    (["/top"], "top", True),
    (["top"], "sub/top", False),
    (["docs/**"], "docs/a/b.md", True),
    (["docs/**"], "docsx", False),
    (["*", "!keep.txt"], "keep.txt", False),
    (["*", "!keep.txt"], "other.txt", True),
    (["!keep.txt", "*"], "keep.txt", True),       # the last matching pattern decides
    (["dir", "!dir/keep"], "dir/keep", False),
    (["dir", "!dir/keep"], "dir/keep/inner.txt", False),
    (["dir", "!dir/keep"], "dir/drop", True),
    (["a\\*b"], "a*b", True),
    (["a\\*b"], "axb", False),
    (["Dockerfile"], "Dockerfile", True),
])
def test_matching(patterns: list[str], path: str, excluded: bool) -> None:
    assert Matcher(parse("\n".join(patterns))).excluded(path) is excluded


def test_walk_must_descend_into_excluded_dir_only_when_an_exception_can_match_below() -> None:
    m = Matcher(["dir", "!dir/keep"])
    assert m.may_include_below("dir")
    assert not m.may_include_below("other")
    assert not Matcher(["dir"]).may_include_below("dir")
    assert Matcher(["dir", "!**/*.go"]).may_include_below("dir")
