"""Transitions of care: the HL7 v2 ADT intake, its processing into encounters and events, review and error queues."""
