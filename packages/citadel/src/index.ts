// Public API of @weft/citadel: named exports only.
