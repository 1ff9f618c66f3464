"""Browser tests of the web studio: Playwright driving Debian Chromium against a live server."""
