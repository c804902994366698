// The registry list: one import per paper folder (each registers itself with definePaper).
import "./quickstart";
import "./rich-lazy";
import "./data-diet";
import "./rankme";
import "./grokking-stablemax";
import "./lora-vs-full-ft";
import "./adapters-compare";
import "./pissa";
import "./lora-ga";
import "./lora-sb";
import "./svfit";
import "./sorsa";
import "./eva";
import "./loldu";
