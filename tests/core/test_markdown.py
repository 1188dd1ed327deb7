import pytest

from core.markdown import render_markdown


def test_markdown_renders_headings_lists_links_and_tables():
    html = render_markdown(
        "## Outcome\n\n- one\n- two\n\n[MHRA](https://www.gov.uk/mhra)\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    assert "<h2>Outcome</h2>" in html
    assert "<li>one</li>" in html
    assert '<a href="https://www.gov.uk/mhra" rel="noopener noreferrer">MHRA</a>' in html
    assert "<table>" in html and "<td>1</td>" in html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        '<iframe src="https://evil.example"></iframe>',
        '<div style="background:url(javascript:alert(1))">x</div>',
        "<svg onload=alert(1)>",
        '<a href="JaVaScRiPt:alert(1)">x</a>',
    ],
)
def test_markdown_never_lets_script_through(hostile):
    html = render_markdown(hostile).lower()
    assert "<script" not in html
    assert "onerror" not in html and "onload" not in html
    assert "javascript:" not in html
    assert "<iframe" not in html and "<svg" not in html and "style=" not in html
