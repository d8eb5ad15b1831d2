// Public API of @weft/ctl: named exports only.
