"""Readers of directory data, chosen from the path: a ``.json`` file is HSDS 3.0 JSON; a folder (or its
``datapackage.json``) is a tabular data package, HSDS 3.0 or 1.1 by the package's version; a folder of Ohana's
CSV names is the Ohana layout. Each returns a ``common.Bundle``."""

from __future__ import annotations

import json
from pathlib import Path

from carecoord.common.errors import DomainError
from carecoord.directory.imports import hsds1_csv, hsds3_csv, hsds3_json, ohana_csv
from carecoord.directory.imports.common import Bundle


class UnreadablePath(DomainError):
    """The path is not directory data this importer knows."""

    code = "unreadable"
    status = 400


def read_path(path: Path) -> Bundle:
    if path.is_file() and path.name == "datapackage.json":
        path = path.parent
    if path.is_file() and path.suffix.lower() == ".json":
        return hsds3_json.read(path)
    if not path.is_dir():
        raise UnreadablePath(f"No such file or folder: {path}")
    package = path / "datapackage.json"
    if package.is_file():
        try:
            version = str(json.loads(package.read_text(encoding="utf-8-sig")).get("version", ""))
        except (UnicodeDecodeError, json.JSONDecodeError, AttributeError) as error:
            raise UnreadablePath(f"{package} is not a data package: {error}") from None
        if version.startswith("3"):
            return hsds3_csv.read(path)
        return hsds1_csv.read(path)
    if ohana_csv.looks_like(path):
        return ohana_csv.read(path)
    names = ", ".join(ohana_csv.FILES)
    raise UnreadablePath(f"{path} holds no datapackage.json and none of Ohana's CSV files ({names})")
