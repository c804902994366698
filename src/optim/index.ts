export * from "./orthograd";
export * from "./fast-adam";
export * from "./schedules";
