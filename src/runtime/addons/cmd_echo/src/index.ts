// Built-in addon `cmd_echo`: answers every cmd with its own properties.
import {
  Addon,
  Cmd,
  CmdResult,
  Extension,
  RegisterAddonAsExtension,
  StatusCode,
  TenEnv,
} from "ten-runtime-nodejs";

class CmdEcho extends Extension {
  async onCmd(tenEnv: TenEnv, cmd: Cmd): Promise<void> {
    const result = CmdResult.Create(StatusCode.OK, cmd);
    const [props] = cmd.getPropertyToJson("");
    if (props && props !== "{}") result.setPropertyFromJson("", props);
    await tenEnv.returnResult(result);
  }
}

@RegisterAddonAsExtension("cmd_echo")
export class CmdEchoAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new CmdEcho(instanceName);
  }
}
