"""gongwen: Chinese official documents (通知, 方案, 总结) into structured data."""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("gongwen")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+src"

__all__ = ["__version__"]
