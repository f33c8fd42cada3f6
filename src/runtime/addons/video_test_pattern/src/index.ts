// Built-in addon `video_test_pattern`: colour bars with a moving line, like a camera test card.
import {
  Addon,
  Extension,
  PixelFmt,
  RegisterAddonAsExtension,
  TenEnv,
  VideoFrame,
} from "ten-runtime-nodejs";

/** White, yellow, cyan, green, magenta, red, blue, black: the classic bar order. */
const BARS: readonly (readonly [number, number, number])[] = [
  [235, 235, 235],
  [235, 235, 16],
  [16, 235, 235],
  [16, 235, 16],
  [235, 16, 235],
  [235, 16, 16],
  [16, 16, 235],
  [16, 16, 16],
];

const MAX_DIMENSION = 4096;

async function numberProperty(tenEnv: TenEnv, name: string, fallback: number): Promise<number> {
  const [value, err] = await tenEnv.getPropertyNumber(name);
  return err ? fallback : value;
}

async function stringProperty(tenEnv: TenEnv, name: string, fallback: string): Promise<string> {
  const [value, err] = await tenEnv.getPropertyString(name);
  return err ? fallback : value;
}

class VideoTestPattern extends Extension {
  private tenEnv: TenEnv | undefined;
  private width = 320;
  private height = 240;
  private fps = 15;
  private frameName = "video";
  private pixelFmt = PixelFmt.RGBA;
  private bytesPerPixel = 4;
  private maxCount = 0;

  /** The bars are drawn once; each frame copies them and adds the moving line. */
  private base: Uint8Array = new Uint8Array(0);
  private sent = 0;
  private timer: NodeJS.Timeout | undefined;
  private warned = false;

  async onConfigure(tenEnv: TenEnv): Promise<void> {
    const clamp = (v: number) => Math.min(MAX_DIMENSION, Math.max(8, Math.round(v)));
    this.width = clamp(await numberProperty(tenEnv, "width", this.width));
    this.height = clamp(await numberProperty(tenEnv, "height", this.height));
    this.fps = Math.min(240, Math.max(0.1, await numberProperty(tenEnv, "fps", this.fps)));
    this.frameName = await stringProperty(tenEnv, "frame_name", this.frameName);
    this.maxCount = Math.max(0, await numberProperty(tenEnv, "max_count", this.maxCount));
    const fmt = (await stringProperty(tenEnv, "pixel_fmt", "RGBA")).toUpperCase();
    if (fmt === "RGB24") {
      this.pixelFmt = PixelFmt.RGB24;
      this.bytesPerPixel = 3;
    } else if (fmt !== "RGBA") {
      tenEnv.logWarn(`video_test_pattern: pixel_fmt '${fmt}' is not supported (RGBA, RGB24); using RGBA`);
    }
    this.base = this.drawBars();
  }

  async onStart(tenEnv: TenEnv): Promise<void> {
    this.tenEnv = tenEnv;
    tenEnv.logInfo(
      `video_test_pattern: '${this.frameName}' ${this.width}×${this.height} ` +
        `${this.bytesPerPixel === 4 ? "RGBA" : "RGB24"} at ${this.fps} fps`,
    );
    this.timer = setInterval(() => this.sendFrame(), 1000 / this.fps);
  }

  async onStop(tenEnv: TenEnv): Promise<void> {
    this.halt();
    tenEnv.logInfo(`video_test_pattern: sent ${this.sent} frames`);
  }

  async onDeinit(_tenEnv: TenEnv): Promise<void> {
    this.tenEnv = undefined;
  }

  private drawBars(): Uint8Array {
    const { width, height, bytesPerPixel } = this;
    const row = new Uint8Array(width * bytesPerPixel);
    for (let x = 0; x < width; x++) {
      const [r, g, b] = BARS[Math.floor((x * BARS.length) / width)]!;
      const p = x * bytesPerPixel;
      row[p] = r;
      row[p + 1] = g;
      row[p + 2] = b;
      if (bytesPerPixel === 4) row[p + 3] = 255;
    }
    const image = new Uint8Array(row.length * height);
    for (let y = 0; y < height; y++) image.set(row, y * row.length);
    return image;
  }

  private sendFrame(): void {
    const tenEnv = this.tenEnv;
    if (!tenEnv) return;
    if (this.maxCount > 0 && this.sent >= this.maxCount) {
      this.halt();
      tenEnv.logInfo(`video_test_pattern: reached max_count ${this.maxCount}`);
      return;
    }
    const frame = VideoFrame.Create(this.frameName);
    frame.setWidth(this.width);
    frame.setHeight(this.height);
    frame.setPixelFmt(this.pixelFmt);
    frame.setTimestamp(Date.now());
    frame.setEof(false);
    frame.allocBuf(this.base.length);
    const pixels = new Uint8Array(frame.lockBuf());
    pixels.set(this.base);
    const rowBytes = this.width * this.bytesPerPixel;
    const lineY = this.sent % this.height;
    pixels.fill(255, lineY * rowBytes, (lineY + 1) * rowBytes);
    this.sent++;
    tenEnv.sendVideoFrame(frame).then((err) => {
      if (err && !this.warned) {
        this.warned = true;
        tenEnv.logWarn(`video_test_pattern: sending '${this.frameName}' failed: ${err.errorMessage}`);
      }
    });
  }

  private halt(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

@RegisterAddonAsExtension("video_test_pattern")
export class VideoTestPatternAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new VideoTestPattern(instanceName);
  }
}
