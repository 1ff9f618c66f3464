"""reelvault: self-hostable AI video generation whose privacy policy is enforced by its code."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("reelvault")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
