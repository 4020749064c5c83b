"""One module per ``latentsynth`` sub-command. Each has ``register(sub)`` that adds its
parser and sets ``func``; ``latentsynth.cli.COMMANDS`` lists them in --help order."""
