"""The ground floor: what every other floor stands on and nothing here stands on them.

Values (the file record, the finding and its level), safe I/O (regular files read within
bounds, atomic files, the output folder), git run as data, units and printable text,
the CSV cell guard, time formatting, the failure line and the progress line.
"""
