// Public API of @weft/pilot-agent: named exports only.
