"""The test kit: builds the world (municipalities, people, lots at a chosen stage), drives auctions, reads pages.

Shared by tests/integration, tests/web, tests/e2e and bench/, so that one change to how a lot is made or an
auction is run is made once.
"""
