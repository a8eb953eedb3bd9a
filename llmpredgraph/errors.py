"""User-facing errors: one line that names the problem and the fix."""


class UserError(Exception):
    """An error caused by input or environment, shown to the user as one line."""

    def __init__(self, problem: str, fix: str | None = None):
        self.problem = problem
        self.fix = fix
        super().__init__(self.one_line())

    def __reduce__(self):  # from a worker process, intact (the default would re-parse the one line)
        return type(self), (self.problem, self.fix)

    def one_line(self) -> str:
        text = self.problem.rstrip(".")
        if self.fix:
            text += f". Fix: {self.fix.rstrip('.')}."
        return " ".join(text.split())
