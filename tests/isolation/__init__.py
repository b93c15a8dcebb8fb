"""The isolation matrix's routes and the worlds its outsiders try them in."""
