class LogOption:
    """`skip`: frames between the log call and the caller reported as its location."""

    skip: int
    sync: bool

    def __init__(self, skip: int = 2, sync: bool = False) -> None:
        self.skip = skip
        self.sync = sync


DefaultLogOption = LogOption(skip=2, sync=False)
