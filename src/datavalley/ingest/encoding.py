"""Text encodings: detect UTF-8 (with or without BOM), UTF-16, GBK / GB18030 and others; transcode to UTF-8.

DuckDB reads UTF-8 itself; anything else is transcoded once, streaming, into a UTF-8 copy.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from datavalley.errors import InvalidInput

SAMPLE = 1 << 20
CHUNK = 1 << 22

#: names users give → the codec we use (GB18030 is a superset of GBK and GB2312)
ALIASES = {
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "cp936": "gb18030",
    "utf8": "utf-8",
    "utf-8-bom": "utf-8-sig",
    "utf8-sig": "utf-8-sig",
    "utf16": "utf-16",
}


def normalise(encoding: str) -> str:
    name = ALIASES.get(encoding.strip().lower(), encoding.strip().lower())
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InvalidInput.for_field(
            "encoding", f"`{encoding}` is not a known encoding; try utf-8, gbk, gb18030 or utf-16"
        ) from None


def looks_binary(sample: bytes) -> bool:
    """True for data that is not text in any encoding we read (NUL bytes outside UTF-16)."""
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return b"\x00" in sample[:8192]


def detect(path: Path) -> str:
    """The encoding of a text file, judged from its first megabyte."""
    with path.open("rb") as f:
        sample = f.read(SAMPLE)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _decodes(sample, "utf-8"):
        return "utf-8"
    if _decodes(sample, "gb18030"):
        return "gb18030"
    from charset_normalizer import from_bytes  # only files that are not UTF-8 need it

    best = from_bytes(sample).best()
    if best is None:
        raise InvalidInput.for_field(
            "encoding", f"cannot tell the text encoding of {path.name}; give it with --encoding"
        )
    return normalise(best.encoding)


def _decodes(sample: bytes, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        decoder.decode(sample, final=len(sample) < SAMPLE)
    except UnicodeDecodeError:
        return False
    return True


def transcode(path: Path, encoding: str, target: Path) -> Path:
    """Write a UTF-8 copy of ``path`` read as ``encoding``; name the line of the first bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    line = 1
    with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as out:
        while True:
            chunk = src.read(CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                good = chunk[: exc.start]
                bad_line = line + good.count(b"\n")
                raise InvalidInput.for_field(
                    "encoding",
                    f"{path.name} line {bad_line} is not valid {encoding}; "
                    "give the file's real encoding with --encoding (utf-8, gbk, gb18030, utf-16 ...)",
                ) from None
            except UnicodeError as exc:  # utf-16 / utf-32 without a byte-order mark, say
                raise InvalidInput.for_field(
                    "encoding",
                    f"{path.name} cannot be read as {encoding} ({exc}); give the file's real encoding "
                    "with --encoding (utf-8, gbk, gb18030, utf-16le ...)",
                ) from None
            out.write(text.lstrip("\ufeff") if line == 1 and text else text)
            line += chunk.count(b"\n")
            if not chunk:
                break
    return target
