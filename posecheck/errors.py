"""Typed errors; the CLI turns each into one line on stderr and a non-zero exit code."""


class PosecheckError(Exception):
    """Base class for every error posecheck reports to a user."""

    exit_code = 1


class SourceError(PosecheckError):
    """An input (camera, video, image, recording) cannot be opened or read."""

    exit_code = 2


class ModelError(PosecheckError):
    """A pose model is missing, corrupt or cannot be loaded."""

    exit_code = 3


class SpecError(PosecheckError):
    """An exercise spec is invalid."""

    exit_code = 4


class UnknownExercise(SpecError):
    """An exercise name no spec answers to: a usage error, not a broken spec."""

    exit_code = 2


class RecordingError(SourceError):
    """A landmark recording is malformed."""
