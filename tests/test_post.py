"""Reading: encodings, line endings, front matter in YAML/TOML/JSON, clear errors."""

from __future__ import annotations

import pytest

from workflow.errors import InputError
from workflow.store.post import decode, encode_text, parse, render_front_matter


def test_utf8_with_and_without_bom() -> None:
    assert decode("峰会".encode(), "a.md")[:2] == ("峰会", "utf-8")
    assert decode(b"\xef\xbb\xbf" + "峰会".encode(), "a.md")[:2] == ("峰会", "utf-8-sig")


def test_gb18030_is_detected_with_a_warning_naming_the_file() -> None:
    text, encoding, warnings = decode("OpenStack峰会在东京举行。\n".encode("gb18030"), "source_zh/old.md")
    assert (text, encoding) == ("OpenStack峰会在东京举行。\n", "gb18030")
    assert warnings and warnings[0].startswith("source_zh/old.md: not UTF-8; decoded as GB18030/GBK")


def test_binary_file_is_an_input_error_with_file_and_line() -> None:
    with pytest.raises(InputError) as err:
        decode(b"line one\nline two\x00\x01\x02", "source_zh/logo.md")
    assert str(err.value) == (
        "source_zh/logo.md:2: binary file (NUL byte), not Markdown text. Remove it from the source folder."
    )


def test_undecodable_bytes_name_the_line() -> None:
    with pytest.raises(InputError) as err:
        decode(b"ok\nstill ok\n\xff\xfe\xfa\x80 broken", "source_zh/x.md")
    assert str(err.value).startswith("source_zh/x.md:3: cannot decode byte 0xff")


def test_crlf_is_kept() -> None:
    post = parse("# 标题\r\n\r\n正文\r\n".encode(), "a.md")
    assert post.newline == "\r\n" and post.body == "# 标题\n\n正文\n"
    assert encode_text(post.body, post.encoding, post.newline) == "# 标题\r\n\r\n正文\r\n".encode()


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("---\ntitle: 标题\ntags: [OpenStack]\n---\n正文\n", "yaml"),
        ('+++\ntitle = "标题"\ntags = ["OpenStack"]\n+++\n正文\n', "toml"),
        ('{\n  "title": "标题",\n  "tags": ["OpenStack"]\n}\n正文\n', "json"),
    ],
)
def test_front_matter_formats(text: str, fmt: str) -> None:
    post = parse(text.encode(), "a.md")
    assert post.front is not None and post.front.format == fmt
    assert dict(post.front.metadata) == {"title": "标题", "tags": ["OpenStack"]}
    assert post.body == "正文\n" and post.front.raw + post.body == text


def test_no_front_matter_and_a_leading_thematic_break() -> None:
    assert parse("正文\n".encode(), "a.md").front is None
    post = parse("---\n\n正文\n".encode(), "a.md")  # an unclosed `---` is a thematic break
    assert post.front is None and post.body == "---\n\n正文\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\ntitle: [unclosed\nlayout: post\n---\nx\n", "a.md:3: invalid YAML front matter: did not find expected"),
        ('+++\ntitle = "x\n+++\nx\n', "a.md:2: invalid TOML front matter"),
        ('{\n  "title": "x",\n  oops\n}\nx\n', "a.md:3: invalid JSON front matter"),
        ("---\n- a list\n---\nx\n", "a.md:2: front matter must be a mapping"),
    ],
)
def test_invalid_front_matter_names_file_and_line(text: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse(text.encode(), "a.md")
    assert str(err.value).startswith(message)


def test_yaml_rendering_keeps_untouched_lines_byte_for_byte() -> None:
    text = '---\nlayout: post\ntitle: OpenStack巴塞罗那峰会Day2\ndescription: "描述"\ntags: [OpenStack]\n---\n'
    post = parse(text.encode(), "a.md")
    out = render_front_matter(post.front, {"title": "OpenStack Barcelona Summit Day 2", "lang": "en",
                                            "translation": {"source": "source_zh/a.md", "reviewed": "0/3"}})
    assert out == (
        "---\nlayout: post\ntitle: OpenStack Barcelona Summit Day 2\n"
        'description: "描述"\ntags: [OpenStack]\nlang: en\n'
        "translation:\n  source: source_zh/a.md\n  reviewed: 0/3\n---\n"
    )


def test_toml_and_json_rendering_keep_order() -> None:
    toml = parse('+++\ntitle = "标题"  # a comment\ndate = 2018-11-15\n+++\n'.encode(), "a.md")
    out = render_front_matter(toml.front, {"title": "Title", "lang": "en"})
    assert out.startswith('+++\ntitle = "Title"') and "date = 2018-11-15" in out and out.endswith('lang = "en"\n+++\n')
    js = parse('{\n"title": "标题",\n"weight": 3\n}\n'.encode(), "a.md")
    assert render_front_matter(js.front, {"title": "Title", "lang": "en"}) == (
        '{\n  "title": "Title",\n  "weight": 3,\n  "lang": "en"\n}\n'
    )


def test_no_front_matter_gets_a_yaml_block() -> None:
    assert render_front_matter(None, {"title": "T", "lang": "en"}) == "---\ntitle: T\nlang: en\n---\n"
