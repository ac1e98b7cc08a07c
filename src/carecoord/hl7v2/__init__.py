"""The HL7 v2 edge: MLLP framing, parsing with python-hl7 and acknowledgements. No rules live here."""
