// Public API of @weft/xds: named exports only.
