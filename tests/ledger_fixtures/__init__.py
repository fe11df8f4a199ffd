"""Builders for the ledger tests: course-layout files written from LEDGER_FORMATS.md."""
