"""Which database the dashboard shows: the council's once anything is loaded, else the demo."""
from __future__ import annotations

import fcntl
from dataclasses import dataclass

from .config import Config
from .database import Database, demo_path, resolve_path

DEMO_SEED = 1


@dataclass(frozen=True)
class Source:
    db: Database
    is_demo: bool

    @property
    def label(self) -> str:
        return "Demo data (synthetic, not a real council's)" if self.is_demo else f"Council data ({self.db.path})"


def council(config: Config) -> Database:
    return Database(resolve_path(), config)


def demo(config: Config) -> Database:
    """The demo database, generated on first use (once, even with several sessions starting together)."""
    db = Database(demo_path(), config)
    if not db.exists:
        db.path.parent.mkdir(parents=True, exist_ok=True)
        with open(db.path.with_name(db.path.name + ".build.lock"), "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not db.exists:
                from .demo import build_demo
                build_demo(db.path, seed=DEMO_SEED)
    return db


def active(config: Config, prefer_demo: bool = False) -> Source:
    """The council's database when it exists (the first real load creates it), unless the demo is asked for."""
    db = council(config)
    if db.exists and not prefer_demo:
        return Source(db, False)
    return Source(demo(config), True)
