"""The assess report's sections, one module each: a function `section(AssessContext) -> SectionResult` that
composes one capability through its public API (`isthmus.scan`, `isthmus.ops`, ...) and returns data."""
