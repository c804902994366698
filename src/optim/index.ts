export * from "./orthograd";
