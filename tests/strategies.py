"""Hypothesis strategies for Markdown documents mixing Chinese, English and markup."""

from __future__ import annotations

from hypothesis import strategies as st

ZH = "峰会社区开源云计算容器网络存储我们的是在了和。，、：；！？（）《》“”"
WORDS = st.sampled_from(["OpenStack", "Nova", "峰会", "社区", "云计算", "容器", "k8s", "test", "a", "1.7", "中国移动"])
TEXT = st.lists(st.one_of(WORDS, st.text(alphabet=ZH + "abc xyz-_.!?", min_size=1, max_size=8)), min_size=1, max_size=6).map("".join)

INLINE = st.one_of(
    TEXT,
    TEXT.map(lambda t: f"**{t}**"),
    TEXT.map(lambda t: f"*{t}*"),
    TEXT.map(lambda t: f"`{t.strip('`') or 'x'}`"),
    TEXT.map(lambda t: f"[{t}](https://example.org/{len(t)})"),
    TEXT.map(lambda t: f"![{t}](/images/{len(t)}.png)"),
    st.just("<span>"), st.just("</span>"), st.just("&amp;"), st.just("\\*"),
    st.just("{{ site.url }}"), st.just("{% link a.md %}"), st.just("https://docs.openstack.org/nova/"),
    st.just("[^1]"),
)
LINE = st.lists(INLINE, min_size=1, max_size=5).map(" ".join).map(lambda s: s.strip() or "x")
PARAGRAPH = st.lists(st.tuples(LINE, st.sampled_from(["\n", "  \n", "\\\n"])), min_size=1, max_size=3).map(
    lambda lines: "".join(text + brk for text, brk in lines[:-1]) + lines[-1][0]
)

BLOCK = st.one_of(
    PARAGRAPH,
    st.tuples(st.integers(1, 6), LINE).map(lambda h: "#" * h[0] + " " + h[1]),
    LINE.map(lambda t: f"{t}\n==="),
    st.lists(LINE, min_size=1, max_size=3).map(lambda items: "\n".join(f"- {i}" for i in items)),
    st.lists(LINE, min_size=1, max_size=3).map(lambda items: "\n".join(f"{n}. {i}" for n, i in enumerate(items, 1))),
    PARAGRAPH.map(lambda p: "\n".join("> " + line for line in p.split("\n"))),
    st.tuples(LINE, LINE).map(lambda c: f"| {c[0].replace('|', '')} | b |\n| --- | --- |\n| {c[1].replace('|', '')} | 2 |"),
    TEXT.map(lambda t: f"```python\nprint('{t}')\n```"),
    TEXT.map(lambda t: f"```python\nx = 1  # {t}\n# 注释 {t}\n```"),  # code comments (text/code.py)
    TEXT.map(lambda t: f"```c\nint a; /* 中文 {t} */\n// 单行\n```"),
    TEXT.map(lambda t: f"```bash\n# 创建 {t}\nmkfs.ext4 /dev/sdb\n```"),
    TEXT.map(lambda t: f"    indented {t}"),
    st.just("<div class=\"note\">\n原始 HTML\n</div>"),
    st.just("[ref]: https://example.org/ref \"标题\""),
    st.just("[^1]: 脚注的内容。"),
    st.just("---"),
    st.just("{% include figure.html %}"),
)
# A leading `---` would be YAML front matter, not a thematic break: documents open with text.
DOCUMENT = st.tuples(PARAGRAPH, st.lists(BLOCK, max_size=6)).map(lambda d: "\n\n".join([d[0], *d[1]]) + "\n")
