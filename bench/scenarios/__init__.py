"""The benchmark's scenarios, one module each: ``NAME`` and ``async def run(ctx) -> list[Measurement]``."""
