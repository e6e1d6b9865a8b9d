"""Chart images: PNG at 2x and SVG from kaleido in Debian's chromium, one server per batch, no MathJax
(nothing fetched from the network), and a clear message where chromium is missing."""
import io

import plotly.graph_objects as go
import pytest

from analytics import images
from analytics.charts import TEMPLATE
from conftest import needs_chromium

chromium = needs_chromium


def figure():
    fig = go.Figure(go.Bar(x=["Outstanding", "Good"], y=[3, 7]))
    fig.update_layout(template=TEMPLATE, title="Final grades", height=400)
    return fig


@chromium
def test_png_at_twice_the_size_and_svg_with_the_template():
    from PIL import Image
    out = images.chart_images(figure(), width=600)
    img = Image.open(io.BytesIO(out["png"]))
    assert img.format == "PNG" and img.size == (1200, 800)     # 600 x 400 CSS pixels at 2x
    svg = out["svg"].decode("utf-8")
    assert svg.startswith("<svg") and "Final grades" in svg and "Liberation Sans" in svg


def test_a_batch_uses_one_kaleido_server_without_mathjax(monkeypatch):
    import kaleido
    opened = []

    class FakeKaleido:
        def __init__(self, **kwargs):
            opened.append(kwargs)

        async def __aenter__(self):
            return self

        async def __aexit__(self, *exc):
            return False

        async def calc_fig(self, fig, opts):
            return f"{opts['format']}:{opts.get('scale', 1)}".encode()

    monkeypatch.setattr(kaleido, "Kaleido", FakeKaleido)
    monkeypatch.setattr(images, "chromium_path", lambda: "/usr/bin/chromium")
    out = images.render_batch([images.Request(figure(), "png"), images.Request(figure(), "svg"),
                               images.Request(figure(), "png")])
    assert out == [b"png:2", b"svg:1", b"png:2"]
    assert len(opened) == 1
    assert opened[0]["mathjax"] is False and opened[0]["path"] == "/usr/bin/chromium"


def test_missing_chromium_says_how_to_install_it(monkeypatch):
    monkeypatch.setenv("QA_DASHBOARD_CHROMIUM", "/nonexistent/chromium")
    assert not images.available()
    with pytest.raises(images.ChromiumMissing, match="apt-get install chromium"):
        images.chart_images(figure())


def test_pages_offer_a_note_instead_of_image_buttons_without_chromium(tmp_path, monkeypatch):
    from conftest import open_app_page, use_council_db
    import monthkit
    use_council_db(monthkit.build(tmp_path / "src.duckdb"), tmp_path, monkeypatch)
    monkeypatch.setenv("QA_DASHBOARD_CHROMIUM", "/nonexistent/chromium")
    at = open_app_page("pages/trends.py")
    captions = "\n".join(c.value for c in at.caption)
    assert "apt-get install chromium" in captions
    assert not [b for b in at.get("download_button") if "image" in str(b.proto.label).lower()]


@chromium
def test_pages_offer_png_and_svg_for_every_chart(tmp_path, monkeypatch):
    from conftest import open_app_page, use_council_db
    import monthkit
    use_council_db(monthkit.build(tmp_path / "src.duckdb"), tmp_path, monkeypatch)
    at = open_app_page("pages/trends.py")
    labels = [b.proto.label for b in at.get("download_button")]
    charts = len(at.get("plotly_chart"))
    assert charts >= 3
    assert labels.count("PNG image") == charts and labels.count("SVG image") == charts
    assert labels.count("Download CSV") == charts and labels.count("Download XLSX") == charts
