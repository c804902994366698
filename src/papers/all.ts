// The registry list: one import per paper folder (each registers itself with definePaper).
import "./quickstart";
