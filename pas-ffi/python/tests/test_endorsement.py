"""DOMAIN §10 endorsements and the MOA role through the FFI."""
from datetime import datetime, timedelta, timezone

import pytest

import pas

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)
TOKEN = "0f3c9a7e-5d1b-4c2a-9e8f-7a6b5c4d3e2f"


@pytest.fixture
def parties():
    p = pas.Parties()
    p.upsert(pas.Party(id="dr-lee@bcsc", email="lee@clinic.ca",
                       licence_standing=pas.Standing.GOOD))
    p.upsert(pas.Party(id="moa-kaur@bcsc", email="kaur@clinic.ca"))
    return p


def test_s10_handshake_grants_moa_role_while_standing_is_good(parties):
    book = pas.EndorsementBook()
    created = book.create(parties, "moa-kaur@bcsc", "LEE@clinic.ca", TOKEN, NOW)
    assert created.request == 1
    assert [r.state for r in book.requests()] == ["received"]
    book.apply(parties, pas.EndorsementEvent.APPROVE(request=1, party="dr-lee@bcsc"), NOW)
    effects = book.apply(parties, pas.EndorsementEvent.APPROVE(request=1, party="moa-kaur@bcsc"),
                         NOW)
    assert any(isinstance(e, pas.Effect.AUDIT) for e in effects)
    assert book.holds_moa_role(parties, "moa-kaur@bcsc")
    assert book.acts_for(parties, "moa-kaur@bcsc") == ["dr-lee@bcsc"]
    book.check_access(parties, "moa-kaur@bcsc", "dr-lee@bcsc")
    assert [(e.status, sorted(e.parties)) for e in book.endorsements()] == [
        ("active", ["dr-lee@bcsc", "moa-kaur@bcsc"])]

    assert parties.set_standing("dr-lee@bcsc", pas.Standing.NOT_GOOD)
    with pytest.raises(pas.PasError.AccessDenied) as e:
        book.check_access(parties, "moa-kaur@bcsc", "dr-lee@bcsc")
    assert e.value.code == "standing_not_good"
    assert not book.holds_moa_role(parties, "moa-kaur@bcsc")


def test_s10_unknown_address_gets_token_email_and_expires(parties):
    book = pas.EndorsementBook()
    created = book.create(parties, "dr-lee@bcsc", "new.moa@clinic.ca", TOKEN, NOW)
    [email] = [e for e in created.effects if isinstance(e, pas.Effect.EMAIL)]
    assert email.template == "endorsement_request" and email.token == TOKEN
    assert email.to == pas.Recipient.ADDRESS(email="new.moa@clinic.ca")
    reminder = book.tick(NOW + timedelta(days=7))
    assert any(getattr(e, "template", "") == "endorsement_reminder" for e in reminder)
    book.tick(NOW + timedelta(days=30))
    assert [r.state for r in book.requests()] == ["expired"]


def test_s10_refusals_are_typed(parties):
    book = pas.EndorsementBook()
    book.create(parties, "moa-kaur@bcsc", "lee@clinic.ca", TOKEN, NOW)
    with pytest.raises(pas.PasError.TransitionRefused) as e:
        book.create(parties, "dr-lee@bcsc", "kaur@clinic.ca", TOKEN + "x", NOW)
    assert e.value.code == "duplicate"
    with pytest.raises(pas.PasError.TransitionRefused) as e:
        book.apply(parties, pas.EndorsementEvent.APPROVE(request=1, party="moa-kaur@bcsc"), NOW)
    assert e.value.code in ("not_allowed", "invalid_transition")
    with pytest.raises(pas.PasError.TransitionRefused) as e:
        book.apply(parties, pas.EndorsementEvent.APPROVE(request=99, party="dr-lee@bcsc"), NOW)
    assert e.value.code == "not_found"
    with pytest.raises(pas.PasError.InvalidField) as e:
        book.create(parties, "dr-lee@bcsc", "x@clinic.ca", "short", NOW)
    assert (e.value.field, e.value.code) == ("token", "invalid_token")
    with pytest.raises(pas.PasError.InvalidField) as e:
        book.create(parties, "dr-lee@bcsc", "not-an-email", TOKEN, NOW)
    assert e.value.field == "recipient_email"


def test_s10_book_survives_storage_without_tokens(parties):
    book = pas.EndorsementBook()
    book.create(parties, "dr-lee@bcsc", "new.moa@clinic.ca", TOKEN, NOW)
    stored = book.to_json()
    assert TOKEN not in stored
    back = pas.EndorsementBook.from_json(stored)
    back.apply(parties, pas.EndorsementEvent.RECEIVE(token=TOKEN, party="moa-kaur@bcsc"), NOW)
    assert [r.state for r in back.requests()] == ["received"]
    assert [p.id for p in parties.list()] == ["dr-lee@bcsc", "moa-kaur@bcsc"]
