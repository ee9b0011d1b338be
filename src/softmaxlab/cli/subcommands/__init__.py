"""The subcommands' option declarations and runners, grouped by area:
:mod:`.training` (train, report, runs), :mod:`.models` (evaluate, predict,
export, gradcheck) and :mod:`.tools` (datasets, lab, lessons). ``cli.app``
puts them in its ``COMMANDS`` table."""
