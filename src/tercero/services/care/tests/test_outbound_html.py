"""The HTML of the desk's replies and signatures: rebuilt from an allow-list, never
passed through, and its plain-text twin readable."""

from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tercero.services.care import mail_html


@pytest.mark.parametrize(
    ("given_html", "expected"),
    [
        ("<p>Hi <b>Maria</b></p>", "<p>Hi <b>Maria</b></p>"),
        ("<p onclick='x()' style='color:red'>Hi</p>", "<p>Hi</p>"),
        ("<script>alert(1)</script>Hi", "Hi"),
        ("<style>p {}</style><p>Hi</p>", "<p>Hi</p>"),
        ('<a href="javascript:alert(1)">x</a>', "<a>x</a>"),
        ('<a href=" JAVASCRIPT:alert(1)">x</a>', "<a>x</a>"),
        (
            '<a href="https://a.example/?q=1&amp;r=2">docs</a>',
            '<a href="https://a.example/?q=1&amp;r=2">docs</a>',
        ),
        (
            '<a href="mailto:help@acme.example">mail us</a>',
            '<a href="mailto:help@acme.example">mail us</a>',
        ),
        ('<img src="https://tracker.example/p.gif">Hi', "Hi"),
        ("<svg><svg><p>in</p></svg>out</svg>after", "after"),
        ("<blink>kept</blink>", "kept"),
        ("a &lt;b&gt; &amp; c", "a &lt;b&gt; &amp; c"),
        ("<p>open<div>never closed", "<p>open<div>never closed</div></p>"),
        ("</p>stray close", "stray close"),
        ('<td colspan="2" onmouseover="x">cell</td>', '<td colspan="2">cell</td>'),
        ("<!-- a comment --><br/>text", "<br>text"),
        ('<p title="x" class="y">t</p>', "<p>t</p>"),
    ],
)
def test_sanitise_keeps_only_allowed_tags_and_attributes(given_html, expected):
    assert mail_html.sanitise(given_html) == expected


class _Seen(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attributes = set(), set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.update((tag, name, value or "") for name, value in attrs)


@given(st.text(alphabet=st.sampled_from(list("<>/\"'=&; abpscriptjavonerlkhf:")), max_size=80))
def test_sanitised_html_holds_only_allowed_tags_and_safe_attributes_whatever_the_input(text):
    cleaned = mail_html.sanitise(text)
    seen = _Seen()
    seen.feed(cleaned)
    assert seen.tags <= mail_html.ALLOWED
    for tag, name, value in seen.attributes:
        assert (tag, name) in {
            ("a", "href"),
            ("a", "title"),
            ("td", "colspan"),
            ("th", "colspan"),
            ("td", "rowspan"),
            ("th", "rowspan"),
        }
        assert name != "href" or value.lower().startswith(mail_html.SAFE_SCHEMES)
    assert mail_html.sanitise(cleaned) == cleaned


def test_the_plain_text_twin_keeps_paragraphs_lists_links_and_decodes_entities():
    markup = (
        "<p>Hello&nbsp;Maria,</p><p>See <a href='https://acme.example/g'>the guide</a> "
        "&amp; <a href='mailto:help@acme.example'>help@acme.example</a>.</p>"
        "<ul><li>one</li><li>two</li></ul><p>Line<br>two</p>"
    )
    assert mail_html.to_text(markup) == (
        "Hello Maria,\n\nSee the guide (https://acme.example/g) & help@acme.example.\n\n"
        "- one\n- two\n\nLine\ntwo"
    )


def test_plain_text_becomes_escaped_paragraphs():
    assert mail_html.from_text("a < b\nnext\n\n<i>para</i>") == (
        "<p>a &lt; b<br>next</p><p>&lt;i&gt;para&lt;/i&gt;</p>"
    )
