"""DOMAIN §9 attachment journey through the FFI."""
from datetime import datetime, timedelta, timezone

import pytest

import pas

T0 = datetime(2026, 1, 15, 18, 0, tzinfo=timezone.utc)


def audits(effects):
    return [e.event for e in effects if isinstance(e, pas.Effect.AUDIT)]


def test_s9_offer_then_lapse_excludes_provider_and_keeps_date():
    j = pas.Journey("R1", T0)
    assert (j.status(), j.registration_id(), j.registered_at()) == ("waiting", "R1", T0)
    step = j.transition(pas.JourneyEvent.OFFER(provider="P7"), T0)
    assert step.journey.status() == "offered" and step.journey.provider() == "P7"
    assert j.status() == "waiting"  # immutable
    [audit] = audits(step.effects)
    assert (audit.subject_kind, audit.subject_id, audit.event) == ("registration", "R1", "offer")
    assert (audit.from_state, audit.to_state, audit.at) == ("waiting", "offered", T0)
    sent = [(e.template, e.to) for e in step.effects
            if isinstance(e, (pas.Effect.EMAIL, pas.Effect.SMS))]
    assert ("offer_to_provider", pas.Recipient.PROVIDER(provider_id="P7")) in sent
    assert ("offer_to_patient", pas.Recipient.PATIENT(registration_id="R1")) in sent
    assert step.journey.next_due() == T0 + timedelta(days=14)
    lapsed = step.journey.transition(pas.JourneyEvent.TICK(), T0 + timedelta(days=14)).journey
    assert lapsed.status() == "waiting"
    assert lapsed.excluded_providers() == ["P7"]
    assert lapsed.registered_at() == T0


def test_s9_accept_then_attach_by_claim():
    j = pas.Journey("R1", T0)
    j = j.transition(pas.JourneyEvent.OFFER(provider="P7"), T0).journey
    j = j.transition(pas.JourneyEvent.PROVIDER_ACCEPT(provider="P7"), T0).journey
    step = j.transition(pas.JourneyEvent.ATTACHMENT_CLAIM(practitioner="a1234"), T0)
    assert step.journey.status() == "attached"
    assert step.journey.practitioner() == "A1234"
    assert step.journey.is_terminal()


def test_s9_three_failed_contacts_close_unreachable():
    j = pas.Journey("R1", T0)
    for event in (pas.JourneyEvent.OFFER(provider="P7"),
                  pas.JourneyEvent.PROVIDER_ACCEPT(provider="P7"),
                  pas.JourneyEvent.CONTACT_FAILED(), pas.JourneyEvent.CONTACT_FAILED()):
        j = j.transition(event, T0).journey
    assert j.failed_contacts() == 2
    j = j.transition(pas.JourneyEvent.CONTACT_FAILED(), T0).journey
    assert (j.status(), j.closed_reason()) == ("closed", "unreachable")


def test_s9_invalid_transition_names_state_and_event():
    j = pas.Journey("R1", T0)
    with pytest.raises(pas.PasError.TransitionRefused) as e:
        j.transition(pas.JourneyEvent.ATTACHMENT_CLAIM(practitioner="A1234"), T0)
    assert e.value.code == "invalid_transition"
    assert e.value.detail == "attachment_claim is not possible in state waiting"


def test_s9_not_due_and_bad_ids():
    j = pas.Journey("R1", T0)
    with pytest.raises(pas.PasError.TransitionRefused) as e:
        j.transition(pas.JourneyEvent.TICK(), T0)
    assert e.value.code == "not_due"
    with pytest.raises(pas.PasError.InvalidField) as e:
        j.transition(pas.JourneyEvent.OFFER(provider=""), T0)
    assert e.value.field == "provider"
    with pytest.raises(pas.PasError.InvalidField) as e:
        pas.Journey("", T0)
    assert e.value.field == "registration_id"


def test_journey_survives_storage_as_json():
    j = pas.Journey("R1", T0).transition(pas.JourneyEvent.OFFER(provider="P7"), T0).journey
    back = pas.Journey.from_json(j.to_json())
    assert (back.status(), back.provider(), back.changed_at()) == ("offered", "P7", T0)
    with pytest.raises(pas.PasError.InvalidState) as e:
        pas.Journey.from_json("{}")
    assert e.value.code == "invalid_state"
