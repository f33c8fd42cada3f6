"""Names of TEN's built-in cmds and the wire type each has."""

_BUILTIN = {
    "ten:start_graph": "start_graph",
    "ten:stop_graph": "stop_graph",
    "ten:close_app": "close_app",
    "ten:timer": "timer",
    "ten:timeout": "timeout",
    "ten:trigger_life_cycle": "trigger_life_cycle",
}
