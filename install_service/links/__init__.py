"""Alloy Link: expiring, single-use install links and the hosted install page."""
