"""Geometry: angles, inclinations, view and position on constructed poses."""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.pose.geometry import (
    Position, View, classify_position, classify_view, joint_angle_deg, near_side,
    segment_inclination_deg, signed_inclination_deg,
)
from posecheck.pose.landmarks import Landmark as L

from .factories import make_pose


@pytest.mark.parametrize(("a", "b", "c", "deg"), [
    ((0, -1), (0, 0), (0, 1), 180), ((0, -1), (0, 0), (1, 0), 90), ((1, 1), (0, 0), (1, 0), 45),
    ((0, -1, 0), (0, 0, 0), (0, 0, 1), 90),
], ids=["straight", "right-angle", "45", "3d"])
def test_joint_angle_deg(a, b, c, deg):
    assert joint_angle_deg(np.array(a, float), np.array(b, float), np.array(c, float)) == pytest.approx(deg, abs=1e-4)


@pytest.mark.parametrize(("top", "bottom", "deg"), [
    ((0, 0), (0, 1), 0), ((1, 1), (0, 1), 90), ((1, 0), (0, 1), 45), ((0, 2), (0, 1), 180),
    ((0, 0, 1), (0, 1, 0), 45),
], ids=["vertical", "horizontal", "45", "upside-down", "3d-leaning-away"])
def test_segment_inclination_deg(top, bottom, deg):
    assert segment_inclination_deg(np.array(top, float), np.array(bottom, float)) == pytest.approx(deg)


def test_signed_inclination_is_positive_leaning_forward():
    assert signed_inclination_deg(np.array([1.0, 0.0]), np.array([0.0, 1.0]), +1) == pytest.approx(45)
    assert signed_inclination_deg(np.array([1.0, 0.0]), np.array([0.0, 1.0]), -1) == pytest.approx(-45)


def _body(*, yaw_deg: float, position: str, facing_camera: bool = True):
    """World joints of a simple body turned by yaw about the vertical axis."""
    half = 0.18
    if position == "standing":
        sh, hp, kn, an, wr = (0, -0.5, 0), (0, 0, 0), (0, 0.45, 0), (0, 0.9, 0), (0, 0.1, 0)
    elif position == "sitting":
        sh, hp, kn, an, wr = (0, -0.5, 0), (0, 0, 0), (0.45, 0, 0), (0.45, 0.45, 0), (0.3, -0.1, 0)
    elif position == "lying":
        sh, hp, kn, an, wr = (-0.5, 0, 0), (0, 0, 0), (0.3, -0.35, 0), (0.6, 0, 0), (-0.1, 0.05, 0)
    else:  # all fours
        sh, hp, kn, an, wr = (-0.5, 0, 0), (0, 0, 0), (0, 0.45, 0), (0.4, 0.45, 0), (-0.5, 0.5, 0)
    yaw = np.radians(yaw_deg)
    sign = 1 if facing_camera else -1

    def place(p, side):  # side: +1 left, -1 right; the body's left is +x when facing the camera
        x, y, _ = p
        lateral = side * half * sign
        # Positive yaw turns the body's left side toward the camera (smaller z).
        return (lateral * np.cos(yaw) + x * np.sin(yaw), y, -lateral * np.sin(yaw) + x * np.cos(yaw))

    joints = {}
    for name, p in (("SHOULDER", sh), ("HIP", hp), ("KNEE", kn), ("ANKLE", an), ("WRIST", wr), ("ELBOW", sh)):
        joints[L[f"LEFT_{name}"]] = place(p, +1)
        joints[L[f"RIGHT_{name}"]] = place(p, -1)
    nose_forward = -0.1 if facing_camera else 0.1
    joints[L.NOSE] = (0.0, sh[1] - 0.2, nose_forward)
    return make_pose(joints)


@pytest.mark.parametrize(("yaw", "facing", "view"), [
    (0, True, View.FRONT), (0, False, View.BACK), (80, True, View.SIDE_LEFT), (-80, True, View.SIDE_RIGHT),
    (40, True, View.OBLIQUE),
], ids=["front", "back", "left-side-to-camera", "right-side-to-camera", "three-quarter"])
def test_view_classifier(yaw, facing, view):
    assert classify_view(_body(yaw_deg=yaw, position="standing", facing_camera=facing)) == view


@pytest.mark.parametrize("position", ["standing", "sitting", "lying", "all_fours"])
@pytest.mark.parametrize("yaw", [0, 85], ids=["front", "side"])
def test_position_classifier_does_not_depend_on_the_view(position, yaw):
    assert classify_position(_body(yaw_deg=yaw, position=position)) == Position(position)


def test_near_side_is_the_side_nearer_the_camera():
    assert near_side(_body(yaw_deg=80, position="standing")) == "left"
    assert near_side(_body(yaw_deg=-80, position="standing")) == "right"
