"""A 団体 (local government): the prefecture or a municipality, named by its 全国地方公共団体コード.

The code is five digits (two for the prefecture, three for the municipality; JIS X 0401 and
0402) and a check digit: each of the five digits is multiplied by 6, 5, 4, 3 and 2, the sum
is divided by 11, and the check digit is the last digit of 11 minus the remainder
(宮城県 04000 → 040002, 仙台市 04100 → 041009). A mistyped digit changes the check digit, so
a code that does not check is refused rather than filed under another 団体.
"""

from dataclasses import dataclass, field

_WEIGHTS = (6, 5, 4, 3, 2)
PREFECTURE_OF_MIYAGI = "040002"


def check_digit(five):
    """The check digit (0 to 9) of a five-digit code given as text."""
    if len(five) != 5 or not (five.isascii() and five.isdigit()):
        raise ValueError(f"five digits expected, got {five!r}")
    total = sum(int(digit) * weight for digit, weight in zip(five, _WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def is_valid_code(code):
    """True for six ASCII digits whose last is the check digit of the first five."""
    return (
        isinstance(code, str)
        and len(code) == 6
        and code.isascii()
        and code.isdigit()
        and check_digit(code[:5]) == int(code[5])
    )


def prefecture_code(code):
    """The two digits of the prefecture a 団体 belongs to ("04" for Miyagi)."""
    return code[:2]


@dataclass(frozen=True)
class Dantai:
    code: str  # 全国地方公共団体コード, six digits with the check digit
    name: str
    kana: str
    section: str  # who answers residents about the service (部署名)
    phone: str
    email: str
    joint_service: bool  # takes part in the 県・市町村共同電子申請サービス
    page: str = ""  # slug of its page under /municipalities/ ("" for the prefecture)
    departments: dict = field(default_factory=dict)  # id -> name, for its procedures

    @property
    def is_prefecture(self):
        return self.code[2:5] == "000"

    def as_dict(self):
        return {"code": self.code, "name": self.name, "kana": self.kana}
