"""The annual evaluation each förbund receives (issue 5): tables → suppression → report files."""
