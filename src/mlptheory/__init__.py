"""mlptheory: reproduce four deep-learning-theory papers as a Snakemake workflow."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mlptheory")
except PackageNotFoundError:  # running from a source tree that was not pip-installed
    __version__ = "0.1.0+source"
