class SendOptions:
    """`wait_for_result`: an async send waits until the runtime routed the message and returns
    the routing error, instead of returning at once."""

    wait_for_result: bool

    def __init__(self, wait_for_result: bool = False) -> None:
        self.wait_for_result = wait_for_result
