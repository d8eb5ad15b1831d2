// Public API of @weft/mixer: named exports only.
