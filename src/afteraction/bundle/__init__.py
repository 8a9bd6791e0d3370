"""Bundles: the raw responses of every source plus a manifest, captured once and replayed offline."""

from afteraction.bundle.manifest import FORMAT_VERSION, Manifest, SourceEntry
from afteraction.bundle.raw import RawCapture, RawResponse
from afteraction.bundle.store import read_bundle, write_bundle

__all__ = [
    "FORMAT_VERSION",
    "Manifest",
    "RawCapture",
    "RawResponse",
    "SourceEntry",
    "read_bundle",
    "write_bundle",
]
