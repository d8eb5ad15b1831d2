// Public API of @weft/galley: named exports only.
