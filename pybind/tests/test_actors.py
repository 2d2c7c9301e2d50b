import pytest

import detente


def test_resolve_person_on_a_date():
    r = detente.resolve("Mevlut Cavusoglu", date="2023-05-10")
    assert r["code"] == "TURGOV"
    assert r["office"] == "foreign minister"
    r = detente.resolve("Hakan Fidan", date="2023-05-10")
    assert (r["code"], r["office"]) == ("TURSPY", "head of intelligence")


def test_resolve_capital_and_organisation():
    assert detente.resolve("Ankara")["code"] == "TURGOV"
    assert detente.resolve("IGOWSTNAT")["code"] == "NAT"


def test_errors_are_a_hierarchy():
    with pytest.raises(detente.UnknownActorError) as info:
        detente.resolve("Ruritania")
    assert isinstance(info.value, LookupError)
    assert isinstance(info.value, detente.DetenteError)
    assert "Ruritania" in str(info.value)
    with pytest.raises(ValueError, match="impossible date"):
        detente.resolve("Ankara", date="2023-02-30")
