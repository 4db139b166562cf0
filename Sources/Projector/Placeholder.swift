enum PlaceholderProjector {}
