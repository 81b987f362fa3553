//! FHIR R4 panels (DOMAIN §8): import of a Bundle or Group into the same checks, and export of
//! accepted rows as a Group.
