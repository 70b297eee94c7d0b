"""Indicator catalogues as data the city manages: versions, raw fields, indicators (DOMAIN §4, §4b)."""
