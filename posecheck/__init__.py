"""posecheck: exercise form checking from MediaPipe pose landmarks, on your own machine."""

__version__ = "0.1.0"
