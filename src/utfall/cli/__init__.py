"""The `utfall` command (typer) and what it shows while it works.

- main: the commands
- feedback: logging and progress on stderr, shared by every command
- load_progress, gate_summary, socioeconomic_file: the presenters of `utfall load`,
  `utfall gate` and `utfall socioeconomic`
"""

from utfall.cli.main import app

__all__ = ["app"]
