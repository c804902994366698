// The registry list: one import per method folder (each registers its adapter and its
// benchmark entry). The order is the benchmark's variant order within each budget tier.
import "./lora";
import "./rslora";
import "./pissa";
import "./lora-ga";
import "./eva";
import "./sorsa";
import "./dora";
import "./lora-xs";
import "./lora-sb";
import "./svfit";
import "./loldu";
import "./dylora";
import "./adalora";
import "./increlora";
import "./sora";
import "./allora";
import "./flora";
import "./miss";
import "./bone";
import "./compacter";
import "./intrinsic";
