# Shortcuts for the README's two commands.
.PHONY: demo test
demo:
	bash scripts/dev.sh demo
test:
	bash scripts/dev.sh test
