"""Privacy: consent, data-subject rights, retention sweeps, redaction, audits, the job gate."""
