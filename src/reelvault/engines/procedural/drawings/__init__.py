"""How each kind of subject is painted into its patch: one module per family of kinds."""
