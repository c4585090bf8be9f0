# The two commands of the README. Both install what they need on a fresh machine.
.PHONY: run test

run:
	scripts/run-site

test:
	scripts/test
