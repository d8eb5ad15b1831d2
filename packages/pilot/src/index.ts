// Public API of @weft/pilot: named exports only.
