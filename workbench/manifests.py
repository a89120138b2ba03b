"""What a provider's manifest says about the files of an export run, and the parts it leaves.

A provider that writes an export in parts also writes a manifest of each run: the files the
run wrote. Two kinds are read, with the files laid out as the provider delivers them:

- Azure cost exports: `manifest.json` beside the run's files, its `blobs` (blobName);
- AWS Data Exports: `<export>/data/<partition>/<export>-00001.csv.gz` with
  `<export>/metadata/<partition>/<export>-Manifest.json`, its `dataFiles` (S3 URIs), as a
  sync of the bucket (`aws s3 sync`) copies them.

A run that overwrites its folder with fewer parts than the last one (the month's data shrank,
an account left the export) leaves the last run's remaining parts there. The manifest does
not list them. When such a part holds the same account and period as a listed file, the
copies rule sets it aside (snapshots.py). When it holds an account the last run no longer
bills at all, nothing else in the delivery repeats its charges, and only the manifest tells
it from data: `judge` sets it aside only when the evidence leaves no doubt, and names any
other unlisted file beside a manifest with a warning.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path


def blob_name(name: str) -> str:
    """A file name as a manifest's names are compared: without a URL's query (a SAS token),
    surrounding blanks and .gz (files may have been unpacked), case folded (a disk that
    ignores case, a manifest written by hand)."""
    name = name.split("?", 1)[0].strip().casefold()
    return name[:-3] if name.endswith(".gz") else name


def listed_names(uris) -> frozenset[str]:
    """The file names of a manifest's list of paths or URIs (a malformed list: none)."""
    if not isinstance(uris, list):
        return frozenset()
    return frozenset(blob_name(str(u).split("?", 1)[0].replace("\\", "/").rsplit("/", 1)[-1])
                     for u in uris if u)


@dataclass(frozen=True)
class Listing:
    """The files the manifest of a folder's last run lists."""

    manifest: Path
    names: frozenset[str]


def listing(path: str | Path) -> Listing | None:
    """The listing of the run whose files share `path`'s folder, or None without a manifest
    that lists files."""
    found = _listings(Path(path).parent)
    names = frozenset().union(*(one.names for one in found))
    return Listing(found[0].manifest, names) if names else None


def _listings(folder: Path) -> list[Listing]:
    """Each manifest of the runs whose files are in `folder`, with the files it lists."""
    azure = folder / "manifest.json"
    text = read_json(azure)
    if isinstance(text, dict) and isinstance(text.get("blobs"), list):
        names = listed_names([b.get("blobName") for b in text["blobs"] if isinstance(b, dict)])
        return [Listing(azure, names)] if names else []
    for data in (folder, *folder.parents):  # <export>/data/<partition>/ beside <export>/metadata/
        if data.name == "data":
            metadata = data.parent / "metadata" / folder.relative_to(data)
            found = [Listing(m, names) for m in _manifests(metadata)
                     if isinstance(t := read_json(m), dict)
                     and (names := listed_names(t.get("dataFiles")))]
            # the newest run's manifest speaks for the folder: an older one left beside it
            # describes files that run may have overwritten or left behind
            return [max(found, key=lambda one: (_mtime(one.manifest), one.manifest.name))] if found else []
    return []


def listed_by(path: str | Path) -> frozenset[str]:
    """The manifests of `path`'s folder that list `path`: the runs that wrote it.

    Two files of one folder that one manifest lists, under two names, are parts of one run
    (the provider wrote both in it): neither is a copy or an older export of the other,
    whatever charges they share (tiered pricing split over parts bills one charge in each).
    Under one name (`part.csv.gz` and the same part unpacked) they are one listed file."""
    name = blob_name(Path(path).name)
    return frozenset(str(one.manifest) for one in _listings(Path(path).parent)
                     if name in one.names)


def one_run(a: str | Path, b: str | Path, a_by: frozenset[str], b_by: frozenset[str]) -> bool:
    """Whether files `a` and `b`, listed by the manifests `a_by` and `b_by` (listed_by), are
    two parts one manifest lists: the files of one run, never copies of each other."""
    a, b = Path(a), Path(b)
    return (a.parent == b.parent and blob_name(a.name) != blob_name(b.name)
            and not a_by.isdisjoint(b_by))


def sources(folder: Path) -> list[Path]:
    """The manifest files that say which of `folder`'s files a delivery loads (_listings
    reads them), whether they are there or not: one written or changed since a load can
    change its figures, the files' bytes unchanged."""
    found = [folder / "manifest.json"]
    for data in (folder, *folder.parents):
        if data.name == "data":
            metadata = data.parent / "metadata" / folder.relative_to(data)
            return [*found, metadata, *_manifests(metadata)]
    return found


def _manifests(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.name.lower().endswith("manifest.json"))
    except OSError:
        return []


def read_json(path: Path):
    """A JSON file's value; None when it cannot be read (missing, not JSON, nested past
    what Python decodes): a manifest that says nothing."""
    try:
        return json.loads(path.read_text("utf-8-sig"))
    except (OSError, ValueError, RecursionError):
        return None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def newer(path: str | Path, one: Listing) -> bool:
    """Whether `path` was written after its folder's manifest: a run the manifest does not
    describe yet (a sync that fetched the new parts before the new manifest), never a part
    an earlier run left behind, which predates the manifest that leaves it out."""
    return _mtime(Path(path)) > _mtime(one.manifest)


def unlisted(path: str | Path) -> Listing | None:
    """The listing beside `path` when it lists files of the folder (some are there: a folder
    renamed or unpacked elsewhere says nothing) but not `path` itself; else None."""
    p = Path(path)
    found = listing(p)
    if found is None or blob_name(p.name) in found.names or newer(p, found):
        return None
    named = part_name(p.name)  # a part of the same export, not a file put there by hand
    return found if any(blob_name(q.name) in found.names and part_name(q.name) == named
                        for q in p.parent.iterdir() if q != p) else None


def part_name(name: str) -> str:
    """A file name with its part number (the last run of digits) left out: the parts of one
    export share it (`focus-00001.csv.gz`, `focus-00003.csv.gz`)."""
    return re.sub(r"[0-9]+(?=[^0-9]*$)", "#", blob_name(name))


@dataclass(frozen=True)
class Verdict:
    """What the manifest beside a loaded file says of it."""

    listing: Listing
    listed: list[str]  # the loaded files it lists in that folder
    doubt: str  # why it is loaded all the same; "" for a part an earlier run left behind


def judge(loaded: list[dict]) -> dict[str, Verdict]:
    """The loaded files (ingest entries: path, partitions) beside a manifest that does not list
    them while it lists other files of the folder.

    Such a file is a part an earlier run left behind (no doubt) only when all of this holds: files the manifest lists are loaded
    in the same delivery, from the same folder; the file is named as they are but for its
    part number (a part of the same export, not a file put there by hand); and every billing
    period it holds is one the listed files hold (the last run billed that period, and
    without this file's rows). Anything less is named, and loaded.
    """
    out, folders = {}, {}
    for entry in loaded:
        if not entry["partitions"]:
            continue
        here = Path(entry["path"]).parent
        if here not in folders:  # each folder's manifest and files read once
            found = listing(entry["path"])
            there = {blob_name(q.name) for q in here.iterdir()} if found else set()
            folders[here] = found, len(there & found.names) if found else 0
        found, present = folders[here]
        name = blob_name(Path(entry["path"]).name)
        if found is None or name in found.names or not present:
            continue
        listed = [e for e in loaded if Path(e["path"]).parent == here and e["partitions"]
                  and blob_name(Path(e["path"]).name) in found.names]
        periods = {p["billing_period_start"] for e in listed for p in e["partitions"]}
        named = part_name(Path(entry["path"]).name)
        if not listed:
            doubt = "the listed files are not in this delivery"
        elif newer(entry["path"], found):
            doubt = "it was written after the manifest, by a run the manifest does not describe"
        elif all(part_name(Path(e["path"]).name) != named for e in listed):
            doubt = "its name differs from theirs by more than a part number"
        elif any(p["billing_period_start"] not in periods for p in entry["partitions"]):
            doubt = "it holds a billing period they do not"
        else:
            doubt = ""
        out[entry["path"]] = Verdict(found, sorted(e["path"] for e in listed), doubt)
    return out


def missing(loaded: list[dict]) -> list[tuple[Listing, list[str]]]:
    """The manifests beside loaded files that list files their folder does not hold: a
    sync cut short, a part deleted by hand. The month is short of what the run billed.
    (A folder holding none of what its manifest lists, renamed or unpacked elsewhere, says
    nothing, as in `unlisted`.)"""
    out, seen = [], set()
    for entry in loaded:
        here = Path(entry["path"]).parent
        if here in seen:
            continue
        seen.add(here)
        found = listing(entry["path"])
        if found is None:
            continue
        there = {blob_name(q.name) for q in here.iterdir()}
        gone = sorted(found.names - there)
        if gone and found.names & there:
            out.append((found, gone))
    return out
