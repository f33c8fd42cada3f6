"""Record codes of the link between the TypeScript runtime and a Python host.

Keep in step with src/runtime/core/py_wire.ts. A frame is `u32 length | u8 channel | u32 json
length | JSON array of records | binary section`; each record is a JSON array whose first value is
its code. A message's buffer is the next `blen` bytes of the frame's binary section, in record
order, so buffers never pass through JSON.
"""

# Channels.
CH_GROUP = 0  # records of the extension group hosted over the link
CH_SESSION = 1  # test sessions: the pytest process and its node child

# TypeScript → Python (group channel).
T_INIT = 1  # [1, config]
T_PHASE = 2  # [2, idx, phase]
T_MSG = 3  # [3, idx, type, name, props, blen, srcApp, srcGraph, srcExt, cmdId, seqId, frame, ts]
T_DATA = 4  # [4, idx, name, props, blen, srcExt]
T_RESULT = 5  # [5, cbId, name, props, blen, status, final, completed, srcExt, cmdId]
T_SENT = 6  # [6, cbId, errCode, errMessage]  (errCode 0: sent)
T_EXIT = 7  # [7]
T_ROUTES = 8  # [8, routes|null, pairs]  engine-authorised local delivery (see Dispatcher.routes)
T_CMD = 9  # [9, idx, name, props, blen, srcExt, cmdId, seqId, ts]  a cmd from an extension of the same graph

# Python → TypeScript (group channel).
P_READY = 1  # [1, {exts: [{idx, kind}], pid, python}]
P_CREATE_FAILED = 2  # [2, message]
P_DONE = 3  # [3, idx, phase, props|null]
P_SEND = 4  # [4, idx, cbId, type, name, props, blen, dests|0, cmdId, seqId, frame|0, ts, isEx]
P_DATA = 5  # [5, idx, name, props, blen]
P_RETURN = 6  # [6, idx, cbId, cmdId, status, final, props, blen, name]
P_LOG = 7  # [7, idx, level, msg, category, fields, file, line, func, thread, task]
P_ERROR = 8  # [8, idx, phase, message, traceback]
P_VIOLATION = 9  # [9, idx, object, reason, stack, owner, caller]
P_STALL = 10  # [10, idx, ms, stack]
P_STATS = 11  # [11, stats]
P_LEFTOVER = 12  # [12, {threads: [...], tasks: [...]}]
P_LOCAL = 13  # [13, [[srcIdx, name, n, [dstIdx...]]...], [[dstIdx, name, n]...]]  local sends and deliveries
P_DEBUG = 14  # [14, state, host, port, text]  the debugger: listening | attached | error

# Session channel (test mode).
S_HELLO = 1  # node → py: [1, {pid}]
S_RUN = 2  # py → node: [2, {addon, property, dirs, timeoutUs} | {graph, dirs, timeoutUs}]
S_STOP_TEST = 3  # py → node: [3, code, message]
S_DONE = 4  # node → py: [4, code, message]   (code 0: passed)
S_CLOSE = 5  # py → node: [5]
S_STARTED = 6  # node → py: [6] the test graph started (the tester may begin on_start)
S_LOG = 7  # node → py: [7, event] a log, error or violation of the test graph, to print
