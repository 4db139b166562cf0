"""The table the suite prints: one row per fault, Markdown so it can go into the README as is."""


def table(rows, seconds):
    lines = [
        "| fault | load: writes acked / reads answered | checks | result |",
        "| --- | --- | --- | --- |",
    ]
    for row in rows:
        checks = "<br>".join(str(check) for check in row.checks)
        lines.append(f"| {row.fault} | {row.load} | {checks} | {'held' if row.held else '**FAILED**'} |")
    held = sum(row.held for row in rows)
    lines.append(f"\n{held} of {len(rows)} faults held in {seconds / 60:.1f} min.")
    return "\n".join(lines)
