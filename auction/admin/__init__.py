"""The administrator's work: loading the administrative units, staff accounts, municipalities' settings, and the
log of every such action that inspectors read."""
