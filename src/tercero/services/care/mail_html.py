"""HTML for the desk's e-mails: an agent's HTML reply and a mailbox's HTML signature are
rebuilt from an allow-list (no dependency: neither bleach nor nh3 is one of ours), and
every HTML part has a plain-text twin for the `multipart/alternative` reply.

The sanitiser never passes markup through: it parses with the standard library's
`HTMLParser` and writes out anew only the allowed tags, with only the allowed
attributes, every text and attribute value escaped again. Script, style and other
active or hidden elements are dropped with their content; any other unknown tag is
dropped and its text kept. Links keep `http`, `https` and `mailto` targets only. No
images: a remote image in a reply tells its sender when and where it was read."""

import html
import re
from html.parser import HTMLParser

ALLOWED = frozenset(
    [
        "a",
        "b",
        "blockquote",
        "br",
        "code",
        "div",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "hr",
        "i",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
    ]
)
VOID = frozenset({"br", "hr"})
# dropped with everything inside them
DROPPED = frozenset(
    [
        "script",
        "style",
        "head",
        "title",
        "iframe",
        "object",
        "embed",
        "template",
        "noscript",
        "textarea",
        "select",
        "button",
        "svg",
        "math",
        "frameset",
        "frame",
        "applet",
    ]
)
BLOCKS = frozenset(
    [
        "blockquote",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "hr",
        "li",
        "ol",
        "p",
        "pre",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    ]
)
SAFE_SCHEMES = ("http://", "https://", "mailto:")
MAX_HTML = 200_000


def _attributes(tag: str, attrs: list[tuple[str, str | None]]) -> str:
    kept = []
    for name, value in attrs:
        value = (value or "").strip()
        if tag == "a" and name == "href" and value.lower().startswith(SAFE_SCHEMES):
            kept.append(f'href="{html.escape(value, quote=True)}"')
        elif tag in ("td", "th") and name in ("colspan", "rowspan") and value.isdigit():
            kept.append(f'{name}="{min(int(value), 100)}"')
        elif name == "title" and tag == "a":
            kept.append(f'title="{html.escape(value, quote=True)}"')
    return "".join(f" {one}" for one in kept)


class _Sanitiser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.dropping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.dropping:  # inside a dropped element: only its own name nests
            if tag == self.dropping[-1]:
                self.dropping.append(tag)
            return
        if tag in DROPPED:
            self.dropping.append(tag)
            return
        if tag not in ALLOWED:
            return
        self.out.append(f"<{tag}{_attributes(tag, attrs)}>")
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.dropping and tag in VOID:
            self.out.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if self.dropping:
            if tag == self.dropping[-1]:
                self.dropping.pop()
            return
        if tag in self.open:
            while self.open:
                closing = self.open.pop()
                self.out.append(f"</{closing}>")
                if closing == tag:
                    break

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.out.append(html.escape(data, quote=False))

    def result(self) -> str:
        self.close()
        return "".join(self.out) + "".join(f"</{tag}>" for tag in reversed(self.open))


def sanitise(markup: str) -> str:
    """`markup` with only allowed tags and attributes, every text escaped."""
    parser = _Sanitiser()
    parser.feed((markup or "")[:MAX_HTML])
    return parser.result().strip()


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.links: list[str] = []
        self.dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED:
            self.dropping += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in BLOCKS:
            self.out.append("\n\n")
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in DROPPED:
            self.dropping = max(0, self.dropping - 1)
        elif tag in BLOCKS and tag != "li":
            self.out.append("\n\n")
        elif tag in ("td", "th"):
            self.out.append(" ")
        elif tag == "a" and self.links:
            href = self.links.pop()
            shown = href.removeprefix("mailto:")
            if href and not "".join(self.out).rstrip().endswith(shown):
                self.out.append(f" ({shown})")

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.out.append(re.sub(r"\s+", " ", data))


def to_text(markup: str) -> str:
    """The plain-text twin of an HTML part: paragraphs and line breaks kept, list items
    as `- `, a link's address after its words, entities decoded."""
    parser = _Text()
    parser.feed(markup or "")
    parser.close()
    lines = [line.strip() for line in "".join(parser.out).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def from_text(text: str) -> str:
    """Plain text as HTML: escaped, blank lines making paragraphs, lines kept."""
    paragraphs = re.split(r"\n\s*\n", (text or "").strip())
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in one.split("\n")) + "</p>"
        for one in paragraphs
        if one.strip()
    )
