enum LagPlaceholder {}
