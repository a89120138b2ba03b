"""commitments: the counted-twice rule and its wording, on tiny sums."""

from decimal import Decimal

from workbench import commitments


def test_one_commitment_in_two_currencies_is_said_as_one():
    """Not "1 commitments": its amounts per currency, never added."""
    said = commitments.said([("ri-a", "EUR", Decimal("5"), Decimal("0.25")),
                             ("ri-a", "USD", Decimal("7"), Decimal("0.5"))])
    assert said.startswith("commitment 'ri-a': its purchase is in effective cost at the price "
                           "billed (€5.00 and $7.00) while its usage rows carry its amortized "
                           "cost (€0.25 and $0.50), so effective-cost figures count it twice")
    one = commitments.said([("ri-b", "JPY", Decimal("1200"), Decimal("33"))])
    assert one.startswith("commitment 'ri-b': its purchase is in effective cost at the price "
                          "billed (¥1,200) while its usage rows carry its amortized cost (¥33)")
