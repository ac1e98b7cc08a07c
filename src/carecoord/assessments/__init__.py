"""Assessments and screening: questionnaires, responses, validated instruments and their scoring."""
