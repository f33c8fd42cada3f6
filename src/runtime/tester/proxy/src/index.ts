// Proxy of an ExtensionTester inside the test graph: relays what the extension under test sends
// to the tester's thread, and what the tester sends to the extension under test.
import { BroadcastChannel } from 'node:worker_threads';
import { Addon, Cmd, CmdResult, Extension, RegisterAddonAsExtension, TenEnv, type Msg } from 'ten-runtime-nodejs';
import { wrapWire } from '../../../api/msg';
import type { ToProxy, ToTester } from '../../protocol';

class TesterProxy extends Extension {
  private channel: BroadcastChannel | null = null;
  private nextId = 0;

  private post(m: ToTester): void {
    this.channel?.postMessage(m);
  }

  async onInit(tenEnv: TenEnv): Promise<void> {
    const [name] = await tenEnv.getPropertyString('channel');
    this.channel = new BroadcastChannel(name);
    this.channel.onmessage = (ev: unknown) => this.fromTester(tenEnv, (ev as { data: ToProxy }).data);
  }

  async onStart(): Promise<void> {
    this.post({ t: 'started' });
  }

  async onStop(): Promise<void> {
    this.post({ t: 'stopping' });
  }

  async onDeinit(): Promise<void> {
    this.channel?.close();
    this.channel = null;
  }

  private fromTester(tenEnv: TenEnv, m: ToProxy): void {
    switch (m.t) {
      case 'send': {
        const msg = wrapWire(m.wire);
        if (msg instanceof Cmd) {
          void this.sendCmd(tenEnv, m.id, msg);
          return;
        }
        void this.sendOther(tenEnv, m.id, msg);
        return;
      }
      case 'return':
        // The result carries the relayed cmd's id: the proxy's IN path routes it back.
        void tenEnv.returnResult(wrapWire(m.wire) as CmdResult);
        return;
    }
  }

  private async sendCmd(tenEnv: TenEnv, id: number, cmd: Cmd): Promise<void> {
    for await (const [r, e] of tenEnv.sendCmdEx(cmd)) {
      this.post({ t: 'result', id, wire: r ? r._w : null, error: e ? { code: e.errorCode, message: e.errorMessage ?? '' } : null });
    }
  }

  private async sendOther(tenEnv: TenEnv, id: number, msg: Msg): Promise<void> {
    const e = await tenEnv._b.sendMsg(msg as Parameters<TenEnv['_b']['sendMsg']>[0]);
    this.post({ t: 'result', id, wire: null, error: e ? { code: e.errorCode, message: e.errorMessage ?? '' } : null });
  }

  private relay(msg: Msg): void {
    this.post({ t: 'msg', id: this.nextId++, wire: msg._w });
  }

  async onCmd(_tenEnv: TenEnv, cmd: Cmd): Promise<void> {
    this.relay(cmd);
  }

  async onData(_tenEnv: TenEnv, data: Msg): Promise<void> {
    this.relay(data);
  }

  async onAudioFrame(_tenEnv: TenEnv, frame: Msg): Promise<void> {
    this.relay(frame);
  }

  async onVideoFrame(_tenEnv: TenEnv, frame: Msg): Promise<void> {
    this.relay(frame);
  }
}

@RegisterAddonAsExtension('ten:tester_proxy')
export class TesterProxyAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new TesterProxy(instanceName);
  }
}
