// Public API of @weft/proxy: named exports only.
