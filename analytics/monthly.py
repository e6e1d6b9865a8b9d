"""What the monthly exports (infographic, slide pack, publishing) share: the month's filters, the checks
that give a clear error before any rendering starts, and writing the file."""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from .config import Config
from .filters import MONTH, Filters, add_months, month_start

EARLIEST = "1900-01"


class ExportError(Exception):
    """A problem the user can fix (no data for the month, a path that cannot be written); the message says which."""


def month_filters(month: str, services: tuple[str, ...] | None = None) -> Filters:
    if not isinstance(month, str) or not MONTH.fullmatch(month):
        raise ExportError(f"{month!r} is not a month: use YYYY-MM")
    return Filters(month_from=month, month_to=month, services=services or None)


def shift(f: Filters, months: int) -> Filters:
    """The same filters for the month ``months`` away (negative: earlier)."""
    m = add_months(month_start(f.month_to), months).strftime("%Y-%m")
    return dataclasses.replace(f, month_from=m, month_to=m)


def year_to(f: Filters) -> Filters:
    """The 12 months ending with the filters' month (for trend charts)."""
    first = add_months(month_start(f.month_to), -11).strftime("%Y-%m")
    return dataclasses.replace(f, month_from=first)


def check_services(services, config: Config) -> tuple[str, ...] | None:
    if not services:
        return None
    services = (services,) if isinstance(services, str) else tuple(services)
    unknown = [s for s in services if s not in config.service_codes]
    if unknown:
        raise ExportError(f"{', '.join(map(repr, unknown))} is not a service code: use one of "
                          f"{', '.join(config.service_codes)}")
    return services


def require_audits(count: int, f: Filters) -> None:
    if not count:
        where = f" for {', '.join(f.services)}" if f.services else ""
        raise ExportError(f"No audits in {f.month_to}{where}: choose a month with audits "
                          "(`qa-dashboard summary` lists the months in by_month).")


def check_writable(path: str | os.PathLike, suffixes: tuple[str, ...]) -> Path:
    """The output path, refused before any work when its type is wrong or its folder cannot be written."""
    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise ExportError(f"{out}: the file name must end in {' or '.join(suffixes)}")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"{out}: the folder {folder} does not exist")
    if out.is_dir():
        raise ExportError(f"{out} is a folder: give a file name")
    if not os.access(folder, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise ExportError(f"{out}: cannot write there (permission denied)")
    return out


def write_bytes(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise ExportError(f"{path}: cannot write it ({exc.strerror or exc})") from exc


def scope_label(services: tuple[str, ...] | None, config: Config) -> str:
    if not services:
        return "All services"
    return ", ".join(config.service_names.get(s, s) for s in services)


def month_label(month: str) -> str:
    return month_start(month).strftime("%B %Y")
