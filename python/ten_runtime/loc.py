class Loc:
    app_uri: str | None
    graph_id: str | None
    extension_name: str | None

    def __init__(
        self,
        app_uri: str | None = None,
        graph_id: str | None = None,
        extension_name: str | None = None,
    ) -> None:
        self.app_uri = app_uri
        self.graph_id = graph_id
        self.extension_name = extension_name

    def __repr__(self) -> str:
        return f"Loc({self.app_uri!r}, {self.graph_id!r}, {self.extension_name!r})"
