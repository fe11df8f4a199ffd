"""The ``constraintlab`` command line (typer + rich). Entry point: :func:`main.main`."""
