export { RunManager, chooseGraphs, type RunManagerOptions } from './runs';
export { RunTelemetry, Ring, DEFAULT_LIMITS, type TelemetryLimits } from './telemetry';
export { computeMetrics, PhaseTimer } from './aggregate';
export { toChromeTrace, type ChromeTrace, type ChromeTraceEvent } from './perfetto';
export { readRecording, writeChromeTrace, writeJsonFile } from './recording';
