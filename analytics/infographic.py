"""The monthly audit infographic: one A4-landscape page, PNG and tagged PDF, for every practitioner.

The figures come from the library (``metrics.summary``, ``dip_samples``, ``actions``); this module only
chooses, suppresses and lays them out. The page is HTML printed by Debian's chromium (playwright): the PDF
is tagged, and each chart is an ``<img>`` with alt text that gives its figures. The page circulates
widely, so small numbers are suppressed as metrics.md says, and the charts never draw what is hidden.
Greyscale: every figure is written as text beside its mark; grade segments carry their names.
"""
from __future__ import annotations

import base64
import datetime as dt
import html
import textwrap
from typing import Any

import pandas as pd

from . import actions, dip_samples, suppression
from .charts import GRADE_COLOURS, INK, MUTED
from .config import Config
from .filters import Filters
from .metrics import summary
from .monthly import (EARLIEST, ExportError, check_services, month_filters, month_label, require_audits,
                      scope_label, shift)
from .presentation import DASH, round_half_away

WIDTH_PX, HEIGHT_PX = 1123, 794     # A4 landscape at 96 CSS pixels per inch
PNG_SCALE = 2
HATCH = "#9ca3af"


# --- the figures ---------------------------------------------------------------------------------
_count, _pct = suppression.count_text, suppression.pct_text


def grade_suppression(counts: list[int], t: int) -> tuple[list[str], bool]:
    """Which of the four grade counts to hide ("primary", "secondary" or "") and whether % good or better
    must be hidden, for a page that shows the grade counts, their total and % good or better.

    The reader has three equations: the four counts add up to the total, and % good or better × total
    gives (Outstanding + Good), hence also (Requires Improvement + Inadequate). A count from 1 to t - 1 is
    hidden; where an equation then gives a hidden count away (``suppression.discloses``: one hidden count, or
    several the equation leaves a single value), the next smallest non-zero count in it is hidden too, until
    none does. When a group's sum is itself from 1 to t - 1, % good or better would give it away, so the
    percentage is hidden and the groups are no equations. The totals are shown elsewhere on the page, so they
    are never hidden: when nothing else is left to hide and an equation still gives a count away (7 audits:
    Outstanding <5, Good *, Requires Improvement <5, Inadequate 0 leave 1, 5 and 1), no count is shown.
    """
    marks = [suppression.PRIMARY if 1 <= c < t else "" for c in counts]
    good, bad = sum(counts[:2]), sum(counts[2:])
    pct_hidden = any(1 <= group < t for group in (good, bad))
    # One row: the four counts, then the totals a reader knows (audits; the two groups when the % is shown).
    values = [[*counts, sum(counts), good, bad]]
    mask = [[*marks, "", "", ""]]
    # The groups first: hiding a cell's partner in its group also settles the total line.
    lines = ([] if pct_hidden else [[(0, 0), (0, 1), (0, 5)], [(0, 2), (0, 3), (0, 6)]]) + \
        [[(0, 0), (0, 1), (0, 2), (0, 3), (0, 4)]]
    changed = True
    while changed:
        changed = False
        for line in lines:
            if not suppression.discloses(values, mask, line, t):
                continue
            candidates = [j for _, j in line[:-1] if not mask[0][j] and counts[j] > 0]
            if candidates:
                mask[0][min(candidates, key=lambda j: (counts[j], j))] = suppression.SECONDARY_KIND
                changed = True
    if any(suppression.discloses(values, mask, line, t) for line in lines):
        return [suppression.SECONDARY_KIND] * 4, True
    return mask[0][:4], pct_hidden


def change_pts(now_pct: float, before_pct: float) -> float:
    """The change in points, rounded once (as the Overview and the pack give it): 66.667 - 58.333 is 8.3, where
    subtracting the rounded percentages (66.7 - 58.3) would print 8.4."""
    return round_half_away(now_pct - before_pct)


def gather(con, month: str, services, config: Config, *, today: dt.date | None = None) -> dict[str, Any]:
    """Everything the page shows, as plain values (JSON-safe), small numbers already suppressed.

    ``raw`` keeps the unsuppressed ``summary`` of the month, for publishing and the tests.
    """
    services = check_services(services, config)
    f = month_filters(month, services)
    t = int(config["small_number_threshold"])
    s = summary(con, f, config)
    audits = s["audits"]
    require_audits(audits["count"], f)
    n = audits["count"]
    prev = summary(con, shift(f, -1), config)["audits"]

    labels = config.grade_labels
    marks, pct_hidden = grade_suppression([audits["by_grade"][g] for g in labels], t)
    shown = {g: (suppression.primary_label(t) if m == suppression.PRIMARY else suppression.SECONDARY if m
                 else f"{audits['by_grade'][g]:,}") for g, m in zip(labels, marks)}
    mask = dict(zip(labels, marks))
    good = _pct(audits["good_or_better_pct"], n, t, hidden=pct_hidden)
    change = None
    # Last month's % as its own sheet showed it: hidden there, the change would give it back.
    prev_hidden = prev["count"] < t or grade_suppression(list(prev["by_grade"].values()), t)[1]
    if good != DASH and prev["good_or_better_pct"] is not None and not prev_hidden:
        change = change_pts(audits["good_or_better_pct"], prev["good_or_better_pct"])

    pillars = [{"pillar": p, "n": v["count"], "n_text": _count(v["count"], t),
                "good_pct": None if v["count"] < t else v["good_or_better_pct"],
                "good_text": _pct(v["good_or_better_pct"], v["count"], t)}
               for p, v in s["pillars"].items()]
    ranked = [p for p in pillars if p["good_pct"] is not None]
    # Ties share the place: every pillar at the lowest (highest) percentage is named.
    low = min((p["good_pct"] for p in ranked), default=None)
    high = max((p["good_pct"] for p in ranked), default=None)
    weakest = [p["pillar"] for p in ranked if p["good_pct"] == low] if len(ranked) > 1 and low != high else []
    strongest = [p["pillar"] for p in ranked if p["good_pct"] == high] if weakest else []

    mod = s["moderation"]
    cycles = dip_samples.cycles(con, f)
    themes = []
    for theme, group in cycles.groupby("theme", sort=False):
        group = group.reset_index(drop=True)
        for i, row in group.iterrows():
            if not row["in_period"]:
                continue
            before = group.iloc[i - 1] if i > 0 else None
            change_ok = (before is not None and row["good_change_pts"] is not None and row["graded"] >= t
                         and before["graded"] >= t)
            themes.append({"theme": theme, "cycle": int(row["cycle"]), "records": _count(int(row["n"]), t),
                           "good_text": _pct(row["good_pct"], int(row["graded"]), t),
                           "change_pts": round_half_away(row["good_change_pts"]) if change_ok else None})
    finds = dip_samples.findings(con, f)
    strengths = [r.theme_tag for r in finds.itertuples() if r.strengths > 0]
    learning = [r.theme_tag for r in finds.itertuples() if r.learning > 0]

    raised = actions.headline(con, f)["raised"]
    # Closed in the month: actions (raised at any time up to the month) completed or closed in it.
    everything = actions.action_list(con, Filters(EARLIEST, month, services=services))
    closed = int(sum(1 for d in everything["completed_date"] if d is not None and not pd.isna(d)
                     and f.start <= d <= f.end))

    # Provisional and moderated audits make up the audits shown: one hidden, the other would give it back.
    prov_text, moderated_text = suppression.shown_parts([audits["provisional"], mod["moderated"]], n, t)
    return {
        "month": month, "month_label": month_label(month), "scope": scope_label(services, config),
        "services": list(services or ()), "threshold": t, "generated": (today or dt.date.today()).isoformat(),
        "audits": {"count": n, "count_text": _count(n, t), "provisional": audits["provisional"],
                   "provisional_text": prov_text,
                   "good_text": good, "change_pts": change, "previous_month": shift(f, -1).month_to},
        "grades": [{"grade": g, "rank": i + 1, "n": audits["by_grade"][g] if not mask[g] else None,
                    "text": shown[g]} for i, g in enumerate(labels)],
        "pillars": pillars, "weakest": weakest, "strongest": strongest,
        "moderation": {"moderated": mod["moderated"], "moderated_text": moderated_text,
                       # over a hidden count, a percentage gives it back (8 of 9 is the only 88.9% near 13)
                       "agreement_text": _pct(mod["agreement_pct"], mod["moderated"], t,
                                              hidden=not suppression.is_shown(moderated_text))},
        "dip_samples": themes, "strengths": strengths, "learning": learning,
        "actions": {"opened": raised, "opened_text": _count(raised, t),
                    "closed": closed, "closed_text": _count(closed, t)},
        "raw": s,
    }


# --- the charts (SVG images with alt text) --------------------------------------------------------
def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def _svg(width: int, height: int, body: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="Liberation Sans, Arial, sans-serif">'
            f'<defs><pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="8" height="8" fill="#ffffff"/>'
            f'<line x1="0" y1="0" x2="0" y2="8" stroke="{HATCH}" stroke-width="4"/></pattern>'
            # The weakest pillars are dotted: hatching means "suppressed" on this page.
            f'<pattern id="dots" width="7" height="7" patternUnits="userSpaceOnUse">'
            f'<rect width="7" height="7" fill="{GRADE_COLOURS[1]}"/><circle cx="3.5" cy="3.5" r="1.6" fill="#ffffff"/>'
            f'</pattern></defs>{body}</svg>')


def _ink_on(rank: int) -> str:
    return "#ffffff" if rank in (1, 4) else INK


def grade_bar_svg(data: dict, width: int = 500) -> tuple[str, str]:
    """A stacked bar of the shown grades with a legend giving every grade's count; hidden grades merge into
    one hatched segment (its size is the total less the shown cells, which a reader could work out anyway)."""
    total = data["audits"]["count"]
    segments = [(g["text"], g["rank"], g["n"]) for g in data["grades"] if g["n"]]
    hidden = total - sum(n for _, _, n in segments)
    if hidden:
        segments.append(("", 0, hidden))
    body, x, h = [], 0.0, 50
    for text, rank, n in segments:
        w = width * n / total
        fill = "url(#hatch)" if rank == 0 else GRADE_COLOURS[rank]
        body.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{h}" fill="{fill}" stroke="#ffffff" '
                    f'stroke-width="2"/>')
        if rank and w >= 34:
            body.append(f'<text x="{x + w / 2:.1f}" y="{h / 2 + 8}" text-anchor="middle" font-size="22" '
                        f'font-weight="700" fill="{_ink_on(rank)}">{_esc(text)}</text>')
        x += w
    # The legend: every grade with its (suppressed) count, two per row, in grade order.
    for i, g in enumerate(data["grades"]):
        lx, ly = (i % 2) * (width / 2), h + 10 + (i // 2) * 26
        body.append(f'<rect x="{lx}" y="{ly}" width="20" height="20" fill="{GRADE_COLOURS[g["rank"]]}" '
                    f'stroke="{INK}" stroke-width="1"/>')
        body.append(f'<text x="{lx + 28}" y="{ly + 16}" font-size="16" fill="{INK}">{_esc(g["grade"])}: '
                    f'<tspan font-weight="700">{_esc(g["text"])}</tspan></text>')
    if hidden:
        ly = h + 10 + 2 * 26
        body.append(f'<rect x="0" y="{ly}" width="20" height="20" fill="url(#hatch)" stroke="{INK}" stroke-width="1"/>')
        body.append(f'<text x="28" y="{ly + 16}" font-size="16" fill="{INK}">Hatched: grades with small numbers, '
                    f'suppressed</text>')
    alt = (f"Final grades of the {data['audits']['count_text']} audits in {data['month_label']}: "
           + ", ".join(f"{g['grade']} {g['text']}" for g in data["grades"]) + ".")
    return _svg(width, h + 10 + (3 if hidden else 2) * 26, "".join(body)), alt


def pillar_svg(data: dict, width: int = 500) -> tuple[str, str]:
    """One bar per pillar (% good or better), the value written at its end; the weakest dotted and named."""
    rows = data["pillars"]
    label_w, bar_w, row_h = 230, width - 230 - 62, 32
    body = []
    for i, p in enumerate(rows):
        y = i * row_h
        weakest = p["pillar"] in data["weakest"]
        lines = textwrap.wrap(p["pillar"], 30)[:2]
        first_y = y + (21 if len(lines) == 1 else 14)
        spans = "".join(f'<tspan x="{label_w - 8}" y="{first_y + k * 15}">{_esc(line)}</tspan>'
                        for k, line in enumerate(lines))
        body.append(f'<text text-anchor="end" font-size="13.5" fill="{INK}" '
                    f'font-weight="{700 if weakest else 400}">{spans}</text>')
        body.append(f'<rect x="{label_w}" y="{y + 5}" width="{bar_w}" height="{row_h - 10}" fill="#f3f4f6"/>')
        if p["good_pct"] is not None:
            w = bar_w * p["good_pct"] / 100
            fill = "url(#dots)" if weakest else GRADE_COLOURS[1]
            stroke = f' stroke="{INK}" stroke-width="1.5"' if weakest else ""
            body.append(f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" fill="{fill}"{stroke}/>')
        body.append(f'<text x="{label_w + bar_w + 6}" y="{y + 20}" font-size="15" font-weight="700" '
                    f'fill="{INK}">{_esc(p["good_text"])}</text>')
    alt = ("Pillar grades good or better: " + "; ".join(f"{p['pillar']} {p['good_text']} (n {p['n_text']})"
                                                         for p in rows) + "."
           + (f" Weakest: {', '.join(data['weakest'])}." if data["weakest"] else ""))
    return _svg(width, row_h * len(rows), "".join(body)), alt


def _img(svg: str, alt: str, cls: str) -> str:
    src = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img class="{cls}" src="{src}" alt="{_esc(alt)}">'


# --- the page ------------------------------------------------------------------------------------
CSS = f"""
@page {{ size: A4 landscape; margin: 0; }}
* {{ box-sizing: border-box; }}
html, body {{ margin: 0; padding: 0; }}
body {{ width: {WIDTH_PX}px; height: {HEIGHT_PX}px; overflow: hidden; font-family: "Liberation Sans", Arial,
       sans-serif; color: {INK}; background: #ffffff; }}
.page {{ padding: 26px 34px 18px 34px; height: 100%; display: flex; flex-direction: column; gap: 14px; }}
header {{ display: flex; justify-content: space-between; align-items: flex-end;
          border-bottom: 4px solid {INK}; padding-bottom: 8px; }}
h1 {{ font-size: 30px; margin: 0; }}
header p {{ margin: 0; font-size: 16px; }}
.tiles {{ display: grid; grid-template-columns: repeat(4, 1fr); gap: 14px; }}
.tile {{ border: 2px solid {INK}; border-radius: 6px; padding: 10px 14px; }}
.tile h2 {{ font-size: 15px; margin: 0 0 2px 0; font-weight: 700; text-transform: uppercase; letter-spacing: .03em; }}
.tile .big {{ font-size: 44px; font-weight: 700; line-height: 1.05; }}
.tile p {{ margin: 2px 0 0 0; font-size: 14px; }}
.middle {{ display: grid; grid-template-columns: 1fr 1.05fr; gap: 22px; flex: 1; min-height: 0; }}
section h2 {{ font-size: 18px; margin: 0 0 6px 0; border-bottom: 2px solid {INK}; padding-bottom: 3px; }}
section p, section li {{ font-size: 14px; margin: 3px 0; }}
.grades {{ width: 500px; }}
.pillars {{ width: 500px; }}
.tags {{ display: flex; flex-wrap: wrap; gap: 5px; margin: 4px 0 8px 0; padding: 0; list-style: none; }}
.tags li {{ border: 1.5px solid {INK}; border-radius: 12px; padding: 2px 10px; font-size: 14px; margin: 0; }}
.tags.learning li {{ border-style: dashed; }}
.brief {{ margin-top: 10px; }}
.brief p {{ font-size: 15px; }}
table {{ border-collapse: collapse; width: 100%; font-size: 14px; }}
th, td {{ text-align: left; padding: 3px 6px; border-bottom: 1px solid #9ca3af; }}
th {{ border-bottom: 2px solid {INK}; }}
td.num, th.num {{ text-align: right; }}
footer {{ font-size: 11.5px; color: {MUTED}; border-top: 1px solid #9ca3af; padding-top: 5px; }}
footer p {{ margin: 1px 0; }}
"""


def _signed(pts: float | None) -> str:
    if pts is None:
        return DASH
    shown = round_half_away(abs(pts))
    if shown == 0:
        return "no change"
    return f"{'up' if pts > 0 else 'down'} {shown:.1f} pts"


def to_html(data: dict, *, demo: bool = False) -> str:
    a, m, act = data["audits"], data["moderation"], data["actions"]
    grades_svg, grades_alt = grade_bar_svg(data)
    pillars_svg, pillars_alt = pillar_svg(data)
    t = data["threshold"]
    change = a["change_pts"]
    change_line = (f"{_signed(change)} on {a['previous_month']}" if change is not None
                   else f"change on {a['previous_month']}: {DASH}")
    weakest = (f"<section class='brief'><h2>Pillars in brief</h2><p><b>Weakest</b> (dotted): "
               f"{_esc('; '.join(data['weakest']))}.</p><p><b>Strongest:</b> {_esc('; '.join(data['strongest']))}.</p>"
               "</section>" if data["weakest"] else "")
    if data["dip_samples"]:
        rows = "".join(f"<tr><td>{_esc(d['theme'])}</td><td class='num'>{d['cycle']}</td>"
                       f"<td class='num'>{_esc(d['records'])}</td><td class='num'>{_esc(d['good_text'])}</td>"
                       f"<td class='num'>{_esc(_signed(d['change_pts']))}</td></tr>" for d in data["dip_samples"])
        dips = ("<table><thead><tr><th scope='col'>Theme</th><th scope='col' class='num'>Cycle</th>"
                "<th scope='col' class='num'>Records</th><th scope='col' class='num'>Good or better</th>"
                f"<th scope='col' class='num'>Since last cycle</th></tr></thead><tbody>{rows}</tbody></table>")
    else:
        dips = "<p>No dip sample began this month.</p>"
    tags = ""
    if data["strengths"]:
        tags += "<p><b>Strengths found</b></p><ul class='tags'>" + "".join(
            f"<li>{_esc(x)}</li>" for x in data["strengths"]) + "</ul>"
    if data["learning"]:
        tags += "<p><b>Areas for learning</b> (dashed)</p><ul class='tags learning'>" + "".join(
            f"<li>{_esc(x)}</li>" for x in data["learning"]) + "</ul>"
    demo_note = " · DEMO DATA (synthetic)" if demo else ""
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>Audit findings {_esc(data['month_label'])} · {_esc(data['scope'])}</title>
<style>{CSS}</style></head>
<body><main class="page">
<header><div><h1>Audit findings: {_esc(data['month_label'])}</h1>
<p>{_esc(data['scope'])} · children's social care quality assurance{demo_note}</p></div>
<p>Generated {_esc(data['generated'])}</p></header>
<div class="tiles">
 <div class="tile"><h2>Audits completed</h2><div class="big">{_esc(a['count_text'])}</div>
  <p>{_esc(a['provisional_text'])} provisional (not yet moderated)</p></div>
 <div class="tile"><h2>Good or better</h2><div class="big">{_esc(a['good_text'])}</div>
  <p>{_esc(change_line)}</p></div>
 <div class="tile"><h2>Moderation agreement</h2><div class="big">{_esc(m['agreement_text'])}</div>
  <p>of {_esc(m['moderated_text'])} moderated audits</p></div>
 <div class="tile"><h2>Learning actions</h2><div class="big">{_esc(act['opened_text'])} / {_esc(act['closed_text'])}</div>
  <p>opened / closed this month</p></div>
</div>
<div class="middle">
 <div>
  <section><h2>Final grades</h2>{_img(grades_svg, grades_alt, "grades")}</section>
  <section style="margin-top:10px"><h2>Pillars: % good or better</h2>{_img(pillars_svg, pillars_alt, "pillars")}
  </section>
 </div>
 <div>
  <section><h2>Dip samples this month</h2>{dips}</section>
  <section style="margin-top:10px"><h2>What the dip samples found (theme tags)</h2>{tags or '<p>No findings recorded.</p>'}</section>
  {weakest}
 </div>
</div>
<footer>
<p>Final grade: benchmarked, else moderated, else the auditor's. Good or better: Outstanding or Good, of all audits
in the month. Moderation agreement: moderated audits whose moderated grade equals the auditor's. Pillar grade:
moderated, else the auditor's. Learning actions opened: raised this month; closed: completed or closed this month.</p>
<p>{_esc(suppression.note(t))} Percentages are rounded to one decimal place.</p>
</footer>
</main></body></html>"""


# --- printing ------------------------------------------------------------------------------------
def _print(page_html: str, formats: tuple[str, ...]) -> dict[str, bytes]:
    from playwright.sync_api import sync_playwright

    from .images import require_chromium
    browser_path = require_chromium()
    out: dict[str, bytes] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path)
        try:
            page = browser.new_page(viewport={"width": WIDTH_PX, "height": HEIGHT_PX}, device_scale_factor=PNG_SCALE)
            # The page is self-contained: no request may leave the machine.
            page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("data:")
                       else route.continue_())
            page.set_content(page_html, wait_until="load")
            if "png" in formats:
                out["png"] = page.screenshot(full_page=False, type="png")
            if "pdf" in formats:
                out["pdf"] = page.pdf(format="A4", landscape=True, print_background=True, tagged=True,
                                      margin={"top": "0", "right": "0", "bottom": "0", "left": "0"},
                                      prefer_css_page_size=True)
        finally:
            browser.close()
    return out


def render(data: dict, formats: tuple[str, ...] = ("png", "pdf"), *, demo: bool = False) -> dict[str, bytes]:
    """The page as {"png": bytes (2x), "pdf": bytes (tagged)}: one chromium for both."""
    page_html = to_html(data, demo=demo)
    try:
        import asyncio
        asyncio.get_running_loop()
    except RuntimeError:
        return _print(page_html, formats)
    # playwright's sync API refuses to run inside an event loop: print on a thread of its own.
    import concurrent.futures
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(_print, page_html, formats).result()


def build(db, month: str, services=None, formats: tuple[str, ...] = ("png", "pdf"), *, demo: bool | None = None
          ) -> dict[str, bytes]:
    """The infographic of a stored month, as the dashboard's buttons and the CLI make it."""
    if demo is None:
        from .demo import is_demo_database
        demo = is_demo_database(db.path)
    with db.read() as con:
        data = gather(con, month, services, db.config)
    return render(data, formats, demo=demo)


__all__ = ["ExportError", "build", "gather", "render", "to_html"]
