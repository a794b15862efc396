"""Sources: rotation, timestamps, images, and every kind of bad input (via the real CLI)."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.errors import SourceError
from posecheck.pose.pipeline import PipelineSettings, PoseStream
from posecheck.pose.sources import open_source, scaled_size, upright

from .conftest import clip_path, ffmpeg, needs_shared, run_cli


def _first_frames(path, n: int, max_side=None):
    source = open_source(path, max_side=max_side)
    frames = []
    for frame in source:
        frames.append(frame)
        if len(frames) == n:
            break
    return source, frames


def _poses(path, n: int):
    with PoseStream(path, PipelineSettings(smoothing=False)) as stream:
        out = []
        for pf in stream:
            out.append(pf.pose)
            if len(out) == n:
                return stream.info, out
    return stream.info, out


@pytest.mark.parametrize(("rotation_tag", "k"), [(90, 1), (-90, 3), (180, 2)],
                         ids=["tag+90", "tag-90-phone-portrait", "tag180"])
def test_upright_turns_by_the_display_rotation(rotation_tag, k):
    image = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    assert np.array_equal(upright(image, rotation_tag), np.rot90(image, k=k))
    assert upright(image, 0) is image


@pytest.mark.parametrize(("wh", "max_side", "expected"), [
    ((1280, 720), 1280, (1280, 720)),
    ((1080, 1920), 1280, (720, 1280)),
    ((640, 480), None, (640, 480)),
], ids=["landscape-untouched", "portrait-shrunk", "no-limit"])
def test_scaled_size_keeps_aspect_and_caps_longer_side(wh, max_side, expected):
    assert scaled_size(*wh, max_side) == expected


@needs_shared
@pytest.mark.slow
def test_rotated_phone_clip_comes_out_upright(tmp_path):
    """A clip stored sideways with a rotation tag gives the same upright pictures and the
    same landmarks as the original."""
    original = tmp_path / "original.mp4"
    rotated = tmp_path / "rotated.mp4"
    ffmpeg("-i", str(clip_path("bridge_side.mp4")), "-t", "1.5", "-an", "-c:v", "libx264", "-crf", "16",
           str(original))
    # Store the pictures turned a quarter clockwise and tag them to be turned back,
    # which is what a phone held sideways writes.
    ffmpeg("-i", str(original), "-vf", "transpose=1", "-c:v", "libx264", "-crf", "16", str(tmp_path / "side.mp4"))
    ffmpeg("-display_rotation", "90", "-i", str(tmp_path / "side.mp4"), "-c", "copy", str(rotated))

    src_o, frames_o = _first_frames(original, 10)
    src_r, frames_r = _first_frames(rotated, 10)
    assert src_r.info.rotation_deg == 90
    assert src_r.info.resolution_wh == src_o.info.resolution_wh == (1280, 720)
    for a, b in zip(frames_o, frames_r):
        assert a.image.shape == b.image.shape == (720, 1280, 3)
        # Two lossy encodes apart: equal up to compression noise, far from a turned picture.
        assert np.mean(np.abs(a.image.astype(int) - b.image.astype(int))) < 6

    _, poses_o = _poses(original, 10)
    _, poses_r = _poses(rotated, 10)
    for a, b in zip(poses_o, poses_r):
        assert a is not None and b is not None
        core = slice(11, 29)
        assert np.max(np.abs(a.xy_px[core] - b.xy_px[core])) < 25  # px, in a 1280x720 frame


@needs_shared
def test_opencv_with_auto_orientation_agrees_on_which_way_is_up(tmp_path):
    """Pins the direction of our rotation against OpenCV's own auto-orientation."""
    import cv2

    side = tmp_path / "side.mp4"
    rotated = tmp_path / "rotated.mp4"
    ffmpeg("-i", str(clip_path("bridge_side.mp4")), "-t", "0.5", "-vf", "transpose=1", "-an",
           "-c:v", "libx264", "-crf", "16", str(side))
    ffmpeg("-display_rotation", "90", "-i", str(side), "-c", "copy", str(rotated))
    cap = cv2.VideoCapture(str(rotated))
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    ok, bgr = cap.read()
    cap.release()
    assert ok
    _, frames = _first_frames(rotated, 1)
    ours = frames[0].image
    assert ours.shape == bgr.shape
    assert np.mean(np.abs(ours.astype(int) - cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(int))) < 4


@needs_shared
def test_timestamps_come_from_the_container(tmp_path):
    """A variable-frame-rate file: timestamps follow the stored pts, not index / fps."""
    vfr = tmp_path / "vfr.mp4"
    # Keep every frame of the first second, then every third one: 30 fps then 10 fps.
    ffmpeg("-i", str(clip_path("bridge_side.mp4")), "-t", "3", "-an",
           "-vf", "select='lt(t,1)+not(mod(n,3))'", "-fps_mode", "vfr", "-c:v", "libx264", str(vfr))
    source = open_source(vfr)
    times = np.array([f.timestamp_ms for f in source])
    steps = np.diff(times)
    assert times[0] == pytest.approx(0.0, abs=1)
    assert np.median(steps[:20]) == pytest.approx(1000 / 30, abs=2)
    assert np.median(steps[-20:]) == pytest.approx(100, abs=3)
    assert times[-1] == pytest.approx(2900, abs=60)


@needs_shared
def test_av1_file_is_decoded(tmp_path):
    """The OpenCV wheel cannot decode AV1; PyAV (dav1d) can, so AV1 phone clips work."""
    av1 = tmp_path / "clip_av1.mp4"
    ffmpeg("-i", str(clip_path("bridge_side.mp4")), "-t", "1", "-an", "-c:v", "libsvtav1", str(av1))
    info, poses = _poses(av1, 30)
    assert info.codec in ("libdav1d", "av1")
    assert len(poses) == 30 and all(p is not None for p in poses)


@needs_shared
def test_image_and_folder_of_images_are_sources(tmp_path):
    import cv2

    _, frames = _first_frames(clip_path("squat_front_goblet.mp4"), 40)
    folder = tmp_path / "shots"
    folder.mkdir()
    for i in (0, 20, 39):
        cv2.imwrite(str(folder / f"shot_{i:02d}.png"), cv2.cvtColor(frames[i].image, cv2.COLOR_RGB2BGR))
    with PoseStream(folder) as stream:
        poses = [pf.pose for pf in stream]
        assert stream.info.kind == "images"
    assert len(poses) == 3 and all(p is not None for p in poses)
    with PoseStream(folder / "shot_00.png") as stream:
        assert stream.info.kind == "image"
        assert [pf.pose is not None for pf in stream] == [True]


def test_missing_camera_is_a_clear_source_error():
    with pytest.raises(SourceError, match="camera 9: cannot be opened"):
        open_source("9")


def _make_zero_frame_mp4(path):
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=30)
        stream.width, stream.height = 64, 64
        container.start_encoding()  # header written, not a single frame


BAD_INPUTS = [
    ("missing", lambda d, clip: d / "nope.mp4", "no such file"),
    ("text-named-mp4", lambda d, clip: (d / "notes.mp4").write_text("hello") and d / "notes.mp4",
     "not a readable video file"),
    ("zero-frames", lambda d, clip: (_make_zero_frame_mp4(d / "empty.mp4"), d / "empty.mp4")[1],
     "no decodable frames|no video stream|not a readable video"),
    ("truncated", lambda d, clip: _truncated(d, clip), "truncated video"),
    ("corrupt-header", lambda d, clip: _corrupt_header(d, clip), "not a readable video file"),
    ("camera-absent", lambda d, clip: "7", "camera 7: cannot be opened"),
    ("empty-folder", lambda d, clip: (d / "nothing").mkdir() or d / "nothing", "holds no images"),
    ("bad-image", lambda d, clip: (d / "x.png").write_bytes(b"\x89PNG broken") and d / "x.png",
     "not a readable image"),
]


def _truncated(d, clip):
    faststart = d / "faststart.mp4"
    ffmpeg("-i", str(clip), "-t", "3", "-an", "-c", "copy", "-movflags", "+faststart", str(faststart))
    data = faststart.read_bytes()
    out = d / "truncated.mp4"
    out.write_bytes(data[: len(data) // 2])
    return out


def _corrupt_header(d, clip):
    data = bytearray(clip.read_bytes()[:400_000])
    data[:2048] = b"\x00" * 2048
    out = d / "corrupt.mp4"
    out.write_bytes(bytes(data))
    return out


@needs_shared
@pytest.mark.parametrize(("make", "message"), [(m, msg) for _, m, msg in BAD_INPUTS],
                         ids=[name for name, _, _ in BAD_INPUTS])
def test_bad_input_gets_one_line_error_and_nonzero_exit(tmp_path, make, message):
    import re

    bad = make(tmp_path, clip_path("bridge_side.mp4"))
    out = tmp_path / "out.landmarks.jsonl"
    proc = run_cli("record", str(bad), "-o", str(out))
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("posecheck: error: ")
    assert re.search(message, lines[0]), lines[0]
    assert not out.exists()
    assert not list(tmp_path.glob(".out.landmarks.jsonl*")), "temp file left behind"
