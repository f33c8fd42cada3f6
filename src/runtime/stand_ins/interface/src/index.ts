// The studio's interface stand-in (`ten_studio:stand_in`): runs in place of a node whose package
// cannot run here, for one run. The host gives it, as the node property `stand_in`, what the
// package's manifest (or the graph) says the node receives and how each cmd is answered: as the
// package's language does by default (C++: OK with detail "default"; Python, Node.js, Go: never),
// or OK with results generated from the manifest's result schema. Everything it receives is
// logged under the node's name.
import {
  Addon,
  Cmd,
  CmdResult,
  Extension,
  RegisterAddonAsExtension,
  StatusCode,
  TenEnv,
} from "ten-runtime-nodejs";
import type { CmdAnswer, InterfaceStandInConfig } from "../../../../shared/talk/standin";
import { StandIn } from "../../common";

const LANGUAGES: Record<string, string> = { cpp: "C++", python: "Python", nodejs: "Node.js", go: "Go" };

function describe(a: CmdAnswer): string {
  if (a === null) return "no answer";
  const keys = Object.keys(a.props ?? {});
  return `${a.status === 0 ? "OK" : "ERROR"}${a.detail !== undefined ? ` detail "${a.detail}"` : ""}${keys.length ? ` with ${keys.join(", ")}` : ""}`;
}

class InterfaceStandIn extends StandIn {
  private config: InterfaceStandInConfig | null = null;
  private unanswered = 0;

  constructor(name: string) {
    super(name, `stand-in for ${name}`);
  }

  async onConfigure(tenEnv: TenEnv): Promise<void> {
    const [json, err] = await tenEnv.getPropertyToJson("stand_in");
    if (err) {
      tenEnv.logError(`stand-in for ${this.name}: no "stand_in" property (${err.errorMessage}); it answers no cmd.`);
      return;
    }
    this.config = JSON.parse(json) as InterfaceStandInConfig;
  }

  async onStart(tenEnv: TenEnv): Promise<void> {
    const c = this.config;
    if (!c) return;
    const lang = LANGUAGES[c.language] ?? c.language;
    const which = c.languageFrom === "manifest" ? lang : c.languageFrom === "name" ? `${lang} by its name` : `${lang} assumed`;
    const how =
      c.answer === "schema"
        ? "answers every cmd OK with results generated from the manifest's result schemas"
        : c.cmds["*"] === null
          ? `answers no cmd, as a ${lang} extension without on_cmd does`
          : `answers every cmd ${describe(c.cmds["*"] ?? null)}, as a ${lang} extension without on_cmd does`;
    tenEnv.logInfo(`stand-in for ${this.name} (${c.addon}, ${which}): ${how}; interface from ${c.source}.`);
  }

  async onStop(tenEnv: TenEnv): Promise<void> {
    tenEnv.logInfo(this.log.summary() + (this.unanswered ? `; ${this.unanswered} cmd(s) left unanswered` : ""));
  }

  async onCmd(tenEnv: TenEnv, cmd: Cmd): Promise<void> {
    const c = this.config;
    const name = cmd.getName();
    const answer: CmdAnswer = c ? (name in c.cmds ? c.cmds[name]! : (c.cmds["*"] ?? null)) : null;
    this.log.note(tenEnv, "cmd", cmd, answer === null ? " (not answered)" : ` → ${describe(answer)}`);
    if (answer === null) {
      this.unanswered++;
      return;
    }
    const result = CmdResult.Create(answer.status === 0 ? StatusCode.OK : StatusCode.ERROR, cmd);
    if (answer.props) result.setPropertyFromJson("", JSON.stringify(answer.props));
    for (const path of answer.bufs ?? []) result.setPropertyBuf(path, new ArrayBuffer(0));
    if (answer.detail !== undefined) result.setPropertyString("detail", answer.detail);
    const err = await tenEnv.returnResult(result);
    if (err) tenEnv.logWarn(`stand-in for ${this.name}: answering '${name}' failed: ${err.errorMessage}`);
  }
}

@RegisterAddonAsExtension("ten_studio:stand_in")
export class InterfaceStandInAddon extends Addon {
  async onCreateInstance(_tenEnv: TenEnv, instanceName: string): Promise<Extension> {
    return new InterfaceStandIn(instanceName);
  }
}
