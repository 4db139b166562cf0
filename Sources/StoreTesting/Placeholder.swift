enum PlaceholderStoreTesting {}
