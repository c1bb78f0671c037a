"""Place names: one folding, one lookup key and one slug, for the build, the seeds, history, the URL and uploads."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

# Ayn and hamza as transliterations write them (the ASCII apostrophe is handled by each caller).
_MARKS = re.compile(r"[‘’ʼʻ`]")


def fold(text: str) -> str:
    """Name without diacritics or ayn/hamza marks: ``"Ḩamāh"`` -> ``"Hamah"``."""
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _MARKS.sub("", folded)


def name_key(text: str, apostrophes: bool = True) -> str:
    """The one key places are looked up by (history, ``?place=``, uploads' locations).

    Folded, lower case, hyphens as spaces, spaces collapsed: ``"Tell Rifa‘at"`` -> ``"tell rifaat"``.

    ``apostrophes=False`` also drops ASCII apostrophes, for matching an upload's locations to places
    (ACLED writes "Ma'arrat", GeoNames "Maarrat"). The page and the published site look names up with
    the apostrophes kept (the published site's runtime folds the same way).
    """
    key = fold(str(text)).lower().replace("-", " ")
    if not apostrophes:
        key = key.replace("'", "")
    return " ".join(key.split())


def slugify(text: str) -> str:
    """ASCII slug of a place name (place ids): ``"Ma‘arrat an Nu‘mān"`` -> ``"maarrat-an-numan"``."""
    folded = fold(text).replace("'", "").lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


def place_aliases(places: Any, ids: bool = False) -> Iterator[tuple[int, str]]:
    """Every name a place goes by, as (row, name): its id (with ``ids``), name and alternative names.

    ``places`` is a places table (columns ``id``, ``name`` and, if any, ``alt_names`` joined by "|").
    """
    alt_names = places["alt_names"] if "alt_names" in places else [""] * len(places)
    for k, (pid, name, alts) in enumerate(zip(places["id"], places["name"], alt_names, strict=True)):
        for n in [pid if ids else "", name, *str(alts or "").split("|")]:
            if n:
                yield k, n
