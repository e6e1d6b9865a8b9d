"""Chart images (PNG at 2x scale, SVG) rendered server-side by kaleido in Debian's chromium.

The figures carry the shared "qa" plotly template, so an exported image looks like the chart on screen.
A batch (one chart's PNG and SVG, or every chart of the slide pack) runs in one kaleido server: starting
chromium is the slow part. MathJax is switched off so rendering never reaches for the network, and
plotly.js comes from the installed plotly package, not a CDN.
"""
from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

PNG_SCALE = 2
DEFAULT_WIDTH = 1100
DEFAULT_HEIGHT = 500
INSTALL_HINT = ("Chart images need Debian's chromium, which is not installed on this server. Install it with "
                "`sudo apt-get install chromium` (or run `bash scripts/setup.sh`), or set QA_DASHBOARD_CHROMIUM "
                "to a chromium executable, then restart the dashboard.")


class ChromiumMissing(RuntimeError):
    """No chromium to render with; the message says how to install it."""

    def __init__(self, message: str = INSTALL_HINT):
        super().__init__(message)


def chromium_path() -> str | None:
    """The chromium to use: $QA_DASHBOARD_CHROMIUM when set (it must exist), else chromium on the PATH."""
    configured = os.environ.get("QA_DASHBOARD_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() and os.access(configured, os.X_OK) else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def available() -> bool:
    return chromium_path() is not None


def require_chromium() -> str:
    path = chromium_path()
    if path is None:
        raise ChromiumMissing()
    return path


@dataclass(frozen=True)
class Request:
    """One image to render: the figure, the format and its size in CSS pixels (PNG doubles it)."""
    fig: object
    fmt: str = "png"
    width: int | None = None
    height: int | None = None

    def opts(self) -> dict:
        fig_height = getattr(getattr(self.fig, "layout", None), "height", None)
        opts = {"format": self.fmt, "width": self.width or DEFAULT_WIDTH,
                "height": self.height or fig_height or DEFAULT_HEIGHT}
        if self.fmt == "png":
            opts["scale"] = PNG_SCALE
        return opts


async def _render(requests: list[Request], browser: str) -> list[bytes]:
    import kaleido
    out = []
    # One server (one chromium) for the whole batch; mathjax=False keeps it off the network.
    async with kaleido.Kaleido(n=1, mathjax=False, path=browser, timeout=120) as k:
        for r in requests:
            out.append(await k.calc_fig(r.fig, opts=r.opts()))
    return out


def render_batch(requests: list[Request]) -> list[bytes]:
    """Render every request in one kaleido server; raises ChromiumMissing when there is no chromium."""
    if not requests:
        return []
    browser = require_chromium()
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_render(requests, browser))
    # Called from inside an event loop (rare): run the batch on a thread of its own.
    import concurrent.futures
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _render(requests, browser)).result()


def chart_images(fig, *, width: int | None = None, height: int | None = None) -> dict[str, bytes]:
    """One chart as {"png": bytes at 2x scale, "svg": bytes}, rendered in one server."""
    png, svg = render_batch([Request(fig, "png", width, height), Request(fig, "svg", width, height)])
    return {"png": png, "svg": svg}


def png(fig, *, width: int | None = None, height: int | None = None) -> bytes:
    return render_batch([Request(fig, "png", width, height)])[0]
