"""An import-linter contract for the floors of docs/architecture.md.

import-linter's own `layers` contract cannot say "grading, inside the factories app, sits above the
registry, which is the rest of that app": its layers may not contain each other. This contract places
every module on the floor of the most specific pattern that names it (`factories.grading` beats
`factories`; `*.urls` beats an app's name) and is broken by any import, at module level or inside a
function, from a floor to a floor above it.

    [importlinter:contract:floors]
    type = floors
    floors =
        config: config *.urls
        apps: factories.grading | cultivation
        registry: factories
        core: accounts

Floors are listed from the top down. A `|` splits a floor into rooms that may not import each other
(grading and the cultivation pool read the floors below, never each other's internals). A module that no pattern names breaks the contract too, so a new
package has to be placed before it can be imported.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output


@dataclass(frozen=True)
class _Pattern:
    floor: int
    room: int
    text: str

    @property
    def specificity(self) -> tuple[int, int]:
        parts = self.text.split(".")
        return len(parts), sum(part != "*" for part in parts)

    def matches(self, module: str) -> bool:
        parts, mine = module.split("."), self.text.split(".")
        return len(parts) >= len(mine) and all(
            fnmatch.fnmatchcase(part, pattern) for part, pattern in zip(parts, mine, strict=False)
        )


class FloorsContract(Contract):
    """Each module imports only modules of its own floor or the floors below it."""

    type_name = "floors"

    floors = fields.ListField(subfield=fields.StringField())

    def _patterns(self) -> tuple[list[str], list[_Pattern]]:
        lines: list[str] = list(self.floors)  # type: ignore[call-overload]
        names, patterns = [], []
        for index, line in enumerate(lines):
            name, _, modules = line.partition(":")
            names.append(name.strip())
            # listed top first; a larger number is a higher floor
            floor = len(lines) - index
            for room, texts in enumerate(modules.split("|")):
                patterns += [_Pattern(floor, room, text) for text in texts.split()]
        return names[::-1], patterns

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        names, patterns = self._patterns()
        place: dict[str, _Pattern | None] = {}
        for module in graph.modules:
            matching = [p for p in patterns if p.matches(module)]
            place[module] = max(matching, key=lambda p: p.specificity, default=None)
        unplaced = sorted(m for m, where in place.items() if where is None)
        upward = []
        for importer in sorted(graph.modules):
            here = place[importer]
            if here is None:
                continue
            below = here.floor
            for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                there = place.get(imported)
                if there is None:
                    continue
                above = there.floor
                if above > below or (above == below and there.room != here.room):
                    lines = sorted(
                        d["line_number"]
                        for d in graph.get_import_details(importer=importer, imported=imported)
                    )
                    upward.append(
                        {
                            "importer": importer,
                            "imported": imported,
                            "lines": lines,
                            "from": names[below - 1],
                            "to": names[above - 1],
                        }
                    )
        return ContractCheck(
            kept=not upward and not unplaced, metadata={"upward": upward, "unplaced": unplaced}
        )

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["upward"]:
            lines = ", ".join(f"l.{n}" for n in item["lines"])
            output.print_error(
                f"{item['importer']} ({item['from']}) imports {item['imported']} ({item['to']}) {lines}",
                bold=False,
            )
        for module in check.metadata["unplaced"]:
            output.print_error(f"{module} is on no floor: name it in the contract", bold=False)
