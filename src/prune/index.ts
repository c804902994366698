// Masks and sparse training: magnitude and structured pruning, ERK/uniform allocation,
// iterative pruning with rewinding, prune-and-regrow, and pruning-at-init scores.
export * from "./mask";
export * from "./magnitude";
export * from "./allocation";
export * from "./sparse-train";
export * from "./iterative";
export * from "./regrow";
export * from "./saliency";
export * from "./structured";
export * from "./registry";
