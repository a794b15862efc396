"""The pose stream: frames from a source, poses from an estimator, smoothed."""
