"""Chart conventions: the n labels along a small multiple's foot stay readable at any volume."""
import pandas as pd

from analytics.charts import N_ROW_CHAR_PX, N_ROW_PANEL_PX, N_ROW_Y, n_row, service_small_multiples
from analytics.config import load_config


def _overlaps(texts, ys, points, panel_px=N_ROW_PANEL_PX):
    """Two labels on the same row closer than their width (x in pixels across the panel)."""
    step = panel_px / points
    rows = {}
    for i, (t, y) in enumerate(zip(texts, ys)):
        if t:
            rows.setdefault(y, []).append((i * step, (len(t) + 1) * N_ROW_CHAR_PX))
    return any(b[0] - a[0] < max(a[1], b[1]) for row in rows.values() for a, b in zip(row, row[1:]))


def test_a_council_year_is_one_row_of_exact_counts():
    texts, ys = n_row([8, 12, 9, 10], 4)
    assert texts == ["8", "12", "9", "10"] and ys == [N_ROW_Y] * 4


def test_large_counts_are_staggered_not_overlapping():
    ns = [1003, 998, 1100, 1050, 987, 1012, 1044, 1021, 1009, 1035, 1048, 1017]
    texts, ys = n_row(ns, 12)
    assert texts == [str(k) for k in ns]          # exact while staggering is enough
    assert len(set(ys)) == 2 and not _overlaps(texts, ys, 12)
    assert _overlaps([str(k) for k in ns], [N_ROW_Y] * 12, 12)   # in one row they would collide


def test_counts_of_ten_thousand_or_more_are_shortened():
    texts, ys = n_row([12038, 9999, 10500, 25960] * 3, 12, panel_px=140)
    assert texts[:4] == ["12k", "9999", "10k", "26k"]
    assert not _overlaps(texts, ys, 12, panel_px=140)


def test_too_many_periods_label_every_few():
    texts, ys = n_row([1234] * 36, 36)            # three years of months in a narrow panel
    shown = [i for i, t in enumerate(texts) if t]
    assert texts[0] == "1234" and 3 < len(shown) < 36
    assert not _overlaps(texts, ys, 36)


def test_small_multiples_place_their_n_labels_inside_the_axis():
    config = load_config(None)
    periods = [f"2026-{m:02d}" for m in range(1, 13)]
    series = pd.DataFrame([{"service": s, "period": p, "n": 1000 + i, "good_pct": 55.0}
                           for s in config.service_codes[:2] for i, p in enumerate(periods)])
    fig = service_small_multiples(series, config, "good_pct", "t", "% good")
    labels = [t for t in fig.data if t.mode == "text"]
    lowest = min(min(t.y) for t in labels)
    assert lowest < N_ROW_Y                       # staggered
    assert fig.layout.yaxis.range[0] < lowest     # and drawn, not cut off
    assert list(labels[0].text) == [str(1000 + i) for i in range(12)]


def test_a_long_service_name_is_shortened_at_a_word_and_marked():
    config = load_config(None)
    series = pd.DataFrame([{"service": s, "period": "2026-01", "n": 40, "good_pct": 55.0}
                           for s in ("MASH", "IRSS")])
    titles = [a.text for a in service_small_multiples(series, config, "good_pct", "t", "% good").layout.annotations]
    assert "MASH (n=40)" in titles
    assert "IRSS · Independent Reviewing and… (n=40)" in titles


def test_presentation_mode_enlarges_small_chart_text_as_much_as_the_font():
    # n labels set at 11 or 12 px stayed at desk size on the projector while everything else grew 14 -> 20.
    import plotly.graph_objects as go
    from analytics.charts import presentation_layout
    fig = go.Figure()
    fig.add_bar(x=["A"], y=[1], text=["n=3"], textfont=dict(size=11))
    fig.add_bar(x=["A"], y=[2], text=["n=4"])                      # no size of its own: follows the layout font
    fig.add_scatter(x=[1], y=[1], mode="text", text=["x"], textfont=dict(size=24))
    presentation_layout(fig)
    assert fig.layout.font.size == 20
    assert [t.textfont.size for t in fig.data] == [16, None, 24]   # 11 × 20 / 14 = 15.7 -> 16


def test_a_bar_of_no_height_keeps_its_label_above_the_axis():
    from analytics.charts import foot_label_positions
    assert foot_label_positions([0.0, 12.5, 100.0, float("nan")]) == ["outside", "inside", "inside", "inside"]


def test_a_downloaded_chart_image_says_what_it_covers_and_whose_data_it_is():
    import plotly.graph_objects as go
    from analytics.charts import stamped
    fig = go.Figure(layout=dict(title=dict(text="Final grades in the period"), margin=dict(t=60)))
    out = stamped(fig, "2025-11 to 2026-10 · all services · QA dashboard, council data · made 27 Nov 2026")
    assert out.layout.title.text == "Final grades in the period"
    assert out.layout.title.subtitle.text.startswith("2025-11 to 2026-10 · all services")
    assert out.layout.margin.t == 84                       # room for the line under the title
    assert fig.layout.title.subtitle.text is None          # the chart on screen is left as it was
