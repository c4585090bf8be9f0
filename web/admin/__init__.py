"""The administrator's console (units, accounts, municipalities' settings), its command line, and the action log."""
