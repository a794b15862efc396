"""The pose runtimes' own log lines stay off the user's terminal for the whole run (exit
included), and only those: posecheck's own messages and anything else still get through."""

from __future__ import annotations

import pytest

from posecheck.pose.native_logs import is_noise

from .conftest import clip_path, ffmpeg, needs_shared, run_cli

RUNTIME_LINES = [
    b"INFO: [environment.cc:36] Creating LiteRT environment with options\n",
    b"WARNING: [model_load.cc:402] Sparsity tensors may not yet be fully supported.\n",
    b"INFO: [accelerator_registry.cc:43] DestroyAccelerator: ptr=0x7fd6e8003520, name=CpuAccelerator\n",
    b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n",
    b"W0000 00:00:1733012345.123456   1234 inference_feedback_manager.cc:114] Feedback manager requires...\n",
    b"I0000 00:00:1733012345.123456   1234 gl_context.cc:369] GL version: 2.1\n",
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
]
OTHER_LINES = [
    b"posecheck: error: /nowhere.mp4: no such file or folder\n",
    b"Traceback (most recent call last):\n",
    b"Segmentation fault\n",
    b"F0000 00:00:1733012345 check failed: a fatal native error\n",
]


@pytest.mark.parametrize("line", RUNTIME_LINES)
def test_the_runtimes_informational_lines_are_dropped(line):
    assert is_noise(line)


@pytest.mark.parametrize("line", OTHER_LINES)
def test_errors_and_everything_else_are_passed_on(line):
    assert not is_noise(line)


@needs_shared
def test_analyze_prints_nothing_on_stderr_for_a_clean_clip_and_verbose_lets_the_runtime_speak(tmp_path):
    still = tmp_path / "still.jpg"
    ffmpeg("-ss", "2", "-i", str(clip_path("squat_side_barbell.mp4")), "-frames:v", "1", str(still))
    quiet = run_cli("analyze", str(still), "-e", "squat", check=True)
    assert quiet.stderr == "" and "squat" in quiet.stdout
    missing = run_cli("analyze", str(tmp_path / "nowhere.mp4"), "-e", "squat")
    assert missing.returncode != 0 and missing.stderr.startswith("posecheck: error:")
    loud = run_cli("--verbose", "analyze", str(still), "-e", "squat", check=True)
    assert "squat" in loud.stdout  # what the runtime says with --verbose depends on its version
