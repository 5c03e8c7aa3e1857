"""Content files as editors save them: UTF-8 with or without a BOM, LF or CRLF.

Anything else is named, not read: a file saved as Shift_JIS (many Japanese Windows tools),
EUC-JP or UTF-16 (Notepad's "Unicode") is reported with the encoding it seems to be in and
how to fix it (`make fix` converts it), and a binary file is reported as what it seems to
be. Nothing here raises on any bytes.
"""

import codecs

BOM = codecs.BOM_UTF8

# Leading bytes of the binary files editors are likely to drop into content/.
MAGIC = (
    (b"\x89PNG", "PNG 画像"),
    (b"\xff\xd8\xff", "JPEG 画像"),
    (b"GIF8", "GIF 画像"),
    (b"%PDF", "PDF"),
    (b"PK\x03\x04", "Word・Excel などの Office 文書か ZIP"),
    (b"\xd0\xcf\x11\xe0", "古い形式の Word・Excel 文書"),
    (b"\x1aE\xdf\xa3", "WebM 動画"),
    (b"RIFF", "音声・動画・画像"),
)
# Tried in this order: EUC-JP bytes decode as (meaningless) cp932 half-width kana, while
# typical Shift_JIS text is not valid EUC-JP, so EUC-JP must be tried first.
LEGACY = (("euc_jp", "EUC-JP"), ("cp932", "Shift_JIS"))


class NotUtf8(ValueError):
    """The file is not UTF-8 text; the message says what it seems to be and what to do."""

    def __init__(self, message, encoding=None):
        super().__init__(message)
        self.message = message
        self.encoding = encoding  # Python codec name of a text file in another encoding


def guess(data):
    """(codec, name) of a text file that is not UTF-8, or None when it is not text at all."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return ("utf-16", "UTF-16")
    if b"\x00" in data:
        return None
    for codec, name in LEGACY:
        try:
            data.decode(codec)
        except UnicodeDecodeError:
            continue
        return (codec, name)
    return None


def decode(data):
    """The text of a UTF-8 file (without its BOM, lines ending in LF); raises NotUtf8."""
    try:
        if b"\x00" in data and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise UnicodeDecodeError("utf-8", data, 0, 1, "NUL byte")
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _not_utf8(data) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _not_utf8(data):
    kind = next((what for magic, what in MAGIC if data.startswith(magic)), None)
    found = None if kind else guess(data)
    if found:
        codec, name = found
        return NotUtf8(
            f"ファイルの文字コードが UTF-8 ではありません（{name} のようです）。"
            "make fix で UTF-8 に変換するか、エディタで文字コードに「UTF-8」を選んで保存し直してください",
            codec,
        )
    space = " " if kind and kind[-1].isascii() else ""  # 「PDF のようです」「PNG 画像のようです」
    seems = f"（{kind}{space}のようです）" if kind else ""
    return NotUtf8(
        f"テキストファイルではありません{seems}。ページは Markdown（.md）で書き、"
        "画像は content/images/、動画と字幕は content/media/files/ に置いてください"
    )


def as_browsers_read(data):
    """Text as a browser would read a file served without a charset: by its BOM, else UTF-8,
    with what does not decode replaced (for looking for script, not for publishing)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    return data.decode("utf-8-sig", "replace")


def read_text(path):
    """The text of a content file, as `decode`; raises NotUtf8 naming what it is instead."""
    try:
        data = path.read_bytes()
    except OSError as error:  # a broken link, a folder named x.md, no permission
        raise NotUtf8(
            f"ファイルを読めません（{error.strerror}）。壊れたリンクや読み取りの許可を確かめてください"
        ) from None
    return decode(data)
