// Public API of @weft/testing: named exports only.
