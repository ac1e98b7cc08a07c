"""The FHIR R4 edge at /fhir/: maps domain records to FHIR JSON and back, and holds no rules.

- ``router``: the one generic router (negotiation, bearer tokens, dispatch, errors) for every type;
- ``registry``: which types and interactions exist (the CapabilityStatement is generated from it);
- ``outcome``: every failure becomes an OperationOutcome, with its status decided in one place;
- ``search``: parameters, prefixes, paging and searchset Bundles shared by every type;
- ``interactions/<type>.py``: read, search, create... per type, calling ``access_*``, queries and actions;
- ``mapping/<type>.py``: building FHIR dicts (and, for Patient, reading them into ``PatientData``).
"""
