// Public API of @weft/sidecar-injector: named exports only.
