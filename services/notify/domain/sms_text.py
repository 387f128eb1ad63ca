"""SMS text rules: Vietnamese without diacritics (an option) and segment counts.

An SMS is GSM-7 when every character is in the GSM 03.38 alphabet (160 characters
in one part, 153 per part once split; characters of the extension table count
twice), else UCS-2 (70 in one part, 67 per part, counted in UTF-16 units).
Vietnamese with diacritics is always UCS-2, so stripping them more than halves the
number of parts a message costs.
"""

import math
import unicodedata

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")

GSM7, UCS2 = "gsm7", "ucs2"

# Characters per part (3GPP TS 23.038 / 23.040): one part, then each part of a split message
GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def without_diacritics(text: str) -> str:
    """'Hồ sơ đã được tiếp nhận' -> 'Ho so da duoc tiep nhan' (đ/Đ have no
    decomposition, so they are mapped by hand)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def encoding(text: str) -> str:
    return GSM7 if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text) else UCS2


def segments(text: str) -> tuple[str, int]:
    """(encoding, number of SMS parts) for `text`."""
    if encoding(text) == GSM7:
        length = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        single, part = GSM7_SINGLE, GSM7_PART
    else:
        length = len(text.encode("utf-16-le")) // 2
        single, part = UCS2_SINGLE, UCS2_PART
    if length <= single:
        return encoding(text), 1
    return encoding(text), math.ceil(length / part)


def sms_body(text: str, strip_diacritics: bool) -> tuple[str, str, int]:
    """The text an SMS carries, its encoding and its parts."""
    if strip_diacritics:
        text = without_diacritics(text)
    code, parts = segments(text)
    return text, code, parts
