"""territory: who controls what in north-western Syria, and the Turkish buffer-zone proposals.

The library is pure (no Streamlit): it builds ``geodata/`` from ``seeds/`` and open data
(:mod:`territory.build`), and answers date queries (:mod:`territory.control`,
:mod:`territory.stats`, :mod:`territory.layers`) that the CLI and the dashboard share.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("territory")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"
