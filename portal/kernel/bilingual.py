"""Text that staff write in Chinese and may also give in English (a product's name, a rule
set's title, a news entry): the field `<name>_en` is shown when the page is in English and
it is filled; otherwise the Chinese, which the page marks as Chinese-only."""

from django.utils.translation import get_language


def in_page_language(obj, field, language=None):
    """(text, chinese_only): the text to show on this page, and whether it is the Chinese
    standing in for a missing English one. `language`: the active one, if already known."""
    chinese = getattr(obj, field)
    if not (language or get_language() or "").startswith("en"):
        return chinese, False
    english = getattr(obj, f"{field}_en", "")
    return (english, False) if english else (chinese, bool(chinese))
