"""Tests of the web studio's server side: pages, headers, cookies, CSRF, config."""
