export * from "./loop";
export * from "./optimizers";
export { trainClassifier, evaluate, fitBatch } from "./classifier";
export type { Classifier, ClassifierTrainOptions, EpochRecord } from "./classifier";
export * from "./rnn";
export * from "./vicreg";
export * from "./gbnn";
export * from "./ncd";
export * from "./rehearsal";
