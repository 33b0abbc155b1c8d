"""Numbers in replies as each language writes them."""

from genai_models.catalogue import CATALOGUE
from genai_models.numerals import decimal, number, percent, short_decimal, signed

NBSP = "\N{NO-BREAK SPACE}"


def test_english_and_spanish_write_decimals_and_percentages_their_own_way():
    assert (decimal(104.83, "en", 1), decimal(104.83, "es", 1)) == ("104.8", "104,8")
    assert (percent(0.973, "en", 1), percent(0.973, "es", 1)) == ("97.3%", f"97,3{NBSP}%")
    assert (percent(0.3, "en"), percent(0.3, "es")) == ("30%", f"30{NBSP}%")
    assert (short_decimal(8.46, "es"), short_decimal(8.0, "es")) == ("8,5", "8")


def test_a_language_the_number_rules_do_not_know_is_written_as_english():
    assert decimal(0.5, "xx-Nowhere", 2) == "0.50"


def test_the_catalogue_fills_a_reply_with_the_readers_numbers():
    too_large = {"size_mb": 8.46, "max_mb": 8}
    assert "8.5 MB" in CATALOGUE.render("image_too_large", "en", too_large)
    assert "8,5 MB" in CATALOGUE.render("image_too_large", "es", too_large)


def test_an_operators_setting_shows_the_decimals_it_has_and_a_move_its_sign():
    assert (number(30.0, "es"), number(2.5, "es"), number(0.25, "en")) == ("30", "2,5", "0.25")
    assert (signed(0.7, "es", 1), signed(-1.4, "es", 1), signed(0.0, "en", 1)) == ("+0,7", "-1,4", "+0.0")
    assert signed(-0.04, "en", 1) == "+0.0"  # rounded to nothing: no "-0.0"
