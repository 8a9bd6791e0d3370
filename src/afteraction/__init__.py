"""afteraction: the correlation work of a postmortem, done from the signals, every claim cited."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("afteraction")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"

__all__ = ["__version__"]
